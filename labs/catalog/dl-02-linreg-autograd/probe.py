"""Runs inside the sandbox: calls the learner's fit_linear_regression on the grader's tasks and
records the (w, b) it returns, as plain data, and which forbidden tools (nn.Linear,
torch.optim, closed-form solvers) were called while it ran. The least-squares solutions the
results are compared with are computed by the judge, outside."""

import contextlib

import numpy
import torch
from torch import nn

# Bound before the learner's module is imported (the runner loads this module first).
_isinstance = isinstance
_tensor = torch.Tensor
_type = type
_list = list
_tuple = tuple
_used = []
_append = _used.append


def _spy(owner, name, label):
    """Replace owner.name by a wrapper that records ``label`` when called."""
    original = getattr(owner, name, None)
    if original is None:
        return

    def wrapper(*args, **kwargs):
        _append(label)
        return original(*args, **kwargs)

    with contextlib.suppress(AttributeError, TypeError):
        setattr(owner, name, wrapper)


# Installed when this module loads, before the solution is imported, so that names the
# solution imports (`from torch.linalg import solve`) are the recording ones too.
for _name in ("lstsq", "pinv", "inv", "inv_ex", "solve", "solve_ex", "cholesky_solve",
              "lu_solve", "solve_triangular", "tensorsolve", "tensorinv"):  # fmt: skip
    _spy(torch.linalg, _name, "solve:torch.linalg." + _name)
for _name in ("inverse", "pinverse", "cholesky_solve", "lu_solve", "triangular_solve"):
    _spy(torch, _name, "solve:torch." + _name)
    _spy(torch.Tensor, _name, "solve:Tensor." + _name)
for _name in ("lstsq", "pinv", "inv", "solve", "tensorsolve", "tensorinv"):
    _spy(numpy.linalg, _name, "solve:numpy.linalg." + _name)
_spy(torch.optim.Optimizer, "__init__", "torch.optim.Optimizer")
_spy(nn.Linear, "__init__", "nn.Linear")
_spy(nn.Linear, "forward", "nn.Linear")


def _result(value) -> dict:
    if not (_type(value) in (_tuple, _list) and len(value) == 2):
        return {"pair": False, "type": _type(value).__name__}
    w, b = value
    seen = {
        "pair": True,
        "w_tensor": _isinstance(w, _tensor),
        "b_tensor": _isinstance(b, _tensor),
        "w_shape": _list(w.shape) if _isinstance(w, _tensor) else None,
        "b_shape": _list(b.shape) if _isinstance(b, _tensor) else None,
    }
    try:
        seen["w"] = torch.as_tensor(w).detach().cpu().to(torch.float64).reshape(-1)
        seen["b"] = torch.as_tensor(b).detach().cpu().to(torch.float64).reshape(-1)
    except Exception as error:  # numbers that are not numbers
        seen["problem"] = _type(error).__name__
    return seen


def _call(solution, case, device):
    x = torch.from_numpy(case["X"]).to(device)
    y = torch.from_numpy(case["y"]).to(device)
    return solution.fit_linear_regression(x, y, lr=case["lr"], epochs=case["epochs"])


def run(solution, observe, inputs):
    device = inputs["device"]
    for name, case in inputs["cases"].items():
        with observe(name) as seen:
            seen.value = _result(_call(solution, case, device))

    with observe("early") as seen:
        seen.value = _result(_call(solution, inputs["early"], device))

    with observe("used") as seen:
        seen.value = [str(label) for label in _used]
