"""Runs inside the sandbox: builds the grader's own model from a seed, passes it through the
learner's pipeline functions and records outputs. Expected outputs are computed by the judge,
outside, from the same seed."""

import numpy as np
import onnx
import onnxruntime
import torch
from torch import nn


class GraderNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3)
        )

    def forward(self, x):
        return self.net(x)


def build_model(seed: int) -> GraderNet:
    """The grader's model: seeded weights and non-trivial BatchNorm statistics."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = GraderNet()
    norm = model.net[1]
    norm.running_mean.copy_(torch.randn(16, generator=generator))
    norm.running_var.copy_(torch.rand(16, generator=generator) + 0.5)
    return model


def _rows(tensor):
    return tensor.detach().cpu().double().tolist()


def run(solution, checks, inputs):
    # A fresh model for each check: learner code may change the one it is given (a forward
    # pass in train mode moves BatchNorm statistics), which must not spill into other checks.
    seed = inputs["seed"]
    x = torch.tensor(inputs["x"], dtype=torch.float32)

    model = build_model(seed)
    with checks.check("save_load_roundtrip") as check:
        solution.save_model(model, "model.pt")
        loaded = solution.load_model("model.pt", GraderNet)
        loaded.eval()
        with torch.no_grad():
            check.value = _rows(loaded(x))

    with checks.check("state_dict_file") as check:
        saved = torch.load("model.pt", weights_only=True, map_location="cpu")
        check.value = {
            "is_dict": isinstance(saved, dict),
            "tensors": isinstance(saved, dict)
            and all(isinstance(v, torch.Tensor) for v in saved.values()),
            "keys": sorted(saved) if isinstance(saved, dict) else [],
        }

    with checks.check("predict") as check:
        model = build_model(seed)
        model.train()
        output = solution.predict(model, x)
        check.value = {"values": _rows(output), "requires_grad": bool(output.requires_grad)}

    model = build_model(seed).eval()
    with checks.check("onnx_valid") as check:
        solution.export_onnx(model, "model.onnx", x[:2].clone())
        onnx.checker.check_model("model.onnx")
        check.value = True

    with checks.check("onnx_dynamic_batch") as check:
        graph = onnx.load("model.onnx").graph
        dim = graph.input[0].type.tensor_type.shape.dim[0]
        check.value = {"dim_param": dim.dim_param, "dim_value": dim.dim_value}

    with checks.check("onnx_matches_torch") as check:
        session = onnxruntime.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        check.value = {
            str(n): np.asarray(session.run(None, {name: x[:n].numpy()})[0]).tolist() for n in (1, 5)
        }
