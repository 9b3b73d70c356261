"""Runs inside the sandbox, next to the learner's code: builds the grader's MLP and CNN from
the weights it is given (drawn per job outside), has the learner's export_to_onnx write them
to files that are handed off to check.py (which runs them with onnxruntime in a clean
sandbox, on batch sizes and inputs that never enter this one), and calls the learner's
run_onnx on an ONNX file the judge wrote. The expected outputs are computed by the judge,
outside."""

import numpy
import torch
from torch import nn

_isinstance = isinstance
_ndarray = numpy.ndarray
_tensor = torch.Tensor
_type = type


class GraderMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 4),
        )  # fmt: skip

    def forward(self, x):
        return self.net(x)


class GraderCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Dropout(0.3), nn.Linear(16, 5),
        )  # fmt: skip

    def forward(self, x):
        return self.net(x)


def build(factory, weights: dict) -> nn.Module:
    """The grader's model with the given weights and BatchNorm statistics, in eval mode."""
    model = factory()
    model.load_state_dict({key: torch.from_numpy(value) for key, value in weights.items()})
    return model.eval()


def _array(value) -> dict:
    if _isinstance(value, _tensor):
        return {"ndarray": False, "type": "torch.Tensor"}
    if _type(value) is not _ndarray:
        return {"ndarray": False, "type": _type(value).__name__}
    return {"ndarray": True, "values": numpy.asarray(value, dtype=numpy.float64)}


def run(solution, observe, inputs):
    for name, factory in (("mlp", GraderMLP), ("cnn", GraderCNN)):
        with observe(f"exported_{name}") as seen:
            model = build(factory, inputs["weights"][name])
            example = torch.from_numpy(inputs[f"example_{name}"])
            solution.export_to_onnx(model, example, observe.handoff(f"{name}.onnx"))
            seen.value = True

    with observe("run_onnx") as seen:
        seen.value = [_array(solution.run_onnx(inputs["onnx_file"], x)) for x in inputs["x_run"]]
