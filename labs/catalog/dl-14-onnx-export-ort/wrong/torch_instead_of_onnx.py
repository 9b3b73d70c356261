# expect-fail: run_onnx, onnx_valid, dynamic_batch
# run_onnx does not run the file: it remembers the last exported model and runs it in
# PyTorch, so a file it did not write gives wrong outputs (or none).
import numpy as np
import torch

_last = {}


def export_to_onnx(model, example_input, path, opset=17):
    model.eval()
    torch.onnx.export(model, (example_input,), path, input_names=["input"],
                      dynamic_axes={"input": {0: "batch"}}, opset_version=opset, dynamo=False)
    _last["model"] = model


def run_onnx(path, x):
    with torch.no_grad():
        return _last["model"](torch.from_numpy(x)).numpy()
