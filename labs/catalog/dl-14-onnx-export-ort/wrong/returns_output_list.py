# expect-fail: run_onnx, onnx_valid, dynamic_batch
# run_onnx returns what session.run returns: a list of outputs, not the output array.
import numpy as np
import onnxruntime as ort
import torch


def export_to_onnx(model, example_input, path, opset=17):
    model.eval()
    torch.onnx.export(model, (example_input,), path, input_names=["input"],
                      dynamic_axes={"input": {0: "batch"}}, opset_version=opset, dynamo=False)


def run_onnx(path, x):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})
