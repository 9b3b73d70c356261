# expect-fail: mlp_matches, cnn_matches, onnx_valid, dynamic_batch
# The classic: no dynamic axis, so the example's batch size is built into the file, and
# onnxruntime refuses batches of any other size.
import numpy as np
import onnxruntime as ort
import torch


def export_to_onnx(model, example_input, path, opset=17):
    model.eval()
    torch.onnx.export(model, (example_input,), path, input_names=["input"],
                      output_names=["output"], opset_version=opset, dynamo=False)


def run_onnx(path, x):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]
