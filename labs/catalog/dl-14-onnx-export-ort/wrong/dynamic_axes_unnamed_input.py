# expect-fail: mlp_matches, cnn_matches, onnx_valid, dynamic_batch
# dynamic_axes names an input "input", but input_names is not given: the exporter calls the
# input something else, ignores the axis with a warning, and the batch stays fixed.
import numpy as np
import onnxruntime as ort
import torch


def export_to_onnx(model, example_input, path, opset=17):
    model.eval()
    torch.onnx.export(model, (example_input,), path, dynamic_axes={"input": {0: "batch"}},
                      opset_version=opset, dynamo=False)


def run_onnx(path, x):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]
