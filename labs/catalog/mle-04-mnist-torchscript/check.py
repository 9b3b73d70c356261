"""The clean step of the TorchScript lab: grader code only, in a sandbox of its own. It loads
the file that the learner's export_torchscript wrote (``handoff/model.pt``) with
``torch.jit.load(..., map_location="cpu")``, in a process where the learner's module does not
exist, and runs it as it was saved (no ``.eval()`` here: the file must already be in eval
mode) on the images the learner's sandbox saw, in a batch of all of them and in a batch of one,
and on held-out images that never entered that sandbox. It reports the outputs; the judge
compares them with the eager outputs and computes accuracy with labels only it holds."""

import os

import numpy as np
import torch


def _describe(error: Exception) -> str:
    """The error's type and its last line (TorchScript puts its own traceback first)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1] if lines else ''}"[:300]


def _run(module, images: np.ndarray):
    try:
        with torch.no_grad():
            result = module(torch.from_numpy(np.ascontiguousarray(images)))
    except Exception as error:
        return {"error": _describe(error)}
    if not isinstance(result, torch.Tensor) or not result.is_floating_point():
        return {"error": f"the model returned {type(result).__name__}, not a float tensor"}
    return result.detach().to(torch.float64).numpy()


def run(observe, inputs, handoff):
    torch.set_num_threads(1)
    path = os.path.join(handoff, "model.pt")
    with observe("scripted") as seen:
        if not os.path.exists(path):
            seen.value = {"problem": "missing"}
            return
        try:
            module = torch.jit.load(path, map_location="cpu")
        except Exception as error:
            seen.value = {"problem": "not_torchscript", "detail": type(error).__name__}
            return
        seen.value = {
            "visible": _run(module, inputs["visible"]),
            "visible_one": _run(module, inputs["visible"][:1]),
            "held_out": _run(module, inputs["held_out"]),
        }
