# expect-fail: mlp_matches, cnn_matches, run_onnx, onnx_valid, dynamic_batch
# expect-score: 0
# Writes an empty file and returns the input: a do-nothing submission.
import numpy as np


def export_to_onnx(model, example_input, path, opset=17):
    open(path, "wb").close()


def run_onnx(path, x):
    return np.zeros((x.shape[0], 1), dtype=np.float32)
