"""Runs inside the sandbox, next to the learner's code: builds the grader's models from the
weights it is given (drawn per job outside, a different model for each function), passes them
through the learner's pipeline functions and records what comes back. What save_model and
export_onnx write, and predict traced into an ONNX graph, are handed off to check.py,
which runs them in a clean sandbox on inputs that never enter this one; the expected outputs
are computed by the judge, outside."""

import warnings

import torch
from torch import nn

_isinstance = isinstance
_module = nn.Module
_tensor = torch.Tensor


class _Predict(nn.Module):
    """The learner's predict around one model, for tracing."""

    def __init__(self, predict, model) -> None:
        super().__init__()
        self.predict = predict
        self.model = model

    def forward(self, x):
        return self.predict(self.model, x)


class GraderNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3)
        )

    def forward(self, x):
        return self.net(x)


def build(weights: dict) -> GraderNet:
    """The grader's model with the given weights and BatchNorm statistics."""
    model = GraderNet()
    model.load_state_dict({key: torch.from_numpy(value) for key, value in weights.items()})
    return model


def _outputs(value) -> dict:
    if not _isinstance(value, _tensor):
        return {"tensor": False, "type": type(value).__name__}
    return {
        "tensor": True,
        "values": value.detach().cpu().to(torch.float64).tolist(),
        "requires_grad": bool(value.requires_grad),
    }


def run(solution, observe, inputs):
    # A fresh model for each function: learner code may change the one it is given (a
    # forward pass in train mode moves BatchNorm statistics).
    models = inputs["models"]

    with observe("saved") as seen:
        solution.save_model(build(models["save"]), observe.handoff("saved.pt"))
        seen.value = True

    with observe("loaded") as seen:
        loaded = solution.load_model(inputs["load_file"], GraderNet)
        if not _isinstance(loaded, _module):
            seen.value = {"module": False, "type": type(loaded).__name__}
        else:
            loaded.eval()
            with torch.no_grad():
                seen.value = {
                    "module": True,
                    **_outputs(loaded(torch.from_numpy(inputs["x_load"]))),
                }

    x_predict = torch.from_numpy(inputs["x_predict"])
    with observe("predicted") as seen:
        model = build(models["predict"])
        model.train()  # predict must switch it to evaluation itself
        seen.value = _outputs(solution.predict(model, x_predict))
        # What predict does, traced into a graph that the clean step runs on inputs only it
        # has (same batch size: a traced graph may have the batch size built in).
        model = build(models["predict"]).train()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Predict(solution.predict, model),
                (x_predict,),
                observe.handoff("predict.onnx"),
                input_names=["x"],
                dynamo=False,
            )

    with observe("exported") as seen:
        model = build(models["export"]).eval()
        example = torch.from_numpy(inputs["x_example"])
        solution.export_onnx(model, observe.handoff("model.onnx"), example)
        seen.value = True
