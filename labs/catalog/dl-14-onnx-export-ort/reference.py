import numpy as np
import onnxruntime as ort
import torch
from torch import nn


def export_to_onnx(model: nn.Module, example_input: torch.Tensor, path: str, opset: int = 17):
    model.eval()
    torch.onnx.export(
        model,
        (example_input,),
        path,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        opset_version=opset,
        dynamo=False,
    )


def run_onnx(path: str, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return session.run(None, {name: np.asarray(x, dtype=np.float32)})[0]
