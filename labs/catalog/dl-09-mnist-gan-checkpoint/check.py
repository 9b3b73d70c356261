"""The clean step of the GAN checkpoint lab: grader code only, in a sandbox of its own.

The run step handed off (``handoff/``): ``epoch_<k>.pt``, the generator's state_dict as the
probe copied it after k epochs (k = 0 before training); ``best_after_<k>.pt``, the bytes of
the learner's best.pt as they were after epoch k when they had changed since the epoch before
(``best_after_<k>.missing`` when there was no best.pt then); and ``generator.pt``, a fresh
Generator traced to TorchScript. Here best.pt is opened with ``torch.load(weights_only=True)``
as data; for each epoch boundary this step reports which epochs' states it equals, tensor by
tensor, and it loads the final best.pt into the fresh generator and runs it on latent vectors
that never entered the run step. The judge decides with the history's scores."""

import os

import numpy as np
import torch


def _state(path: str) -> tuple[dict | None, dict | None]:
    """(the state_dict in a file, None), or (None, a report of why it is not one)."""
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as error:
        return None, {"problem": "not_weights_only", "detail": type(error).__name__}
    if not isinstance(state, dict) or not all(
        isinstance(key, str) and isinstance(value, torch.Tensor) for key, value in state.items()
    ):
        return None, {"problem": "not_state_dict", "type": type(state).__name__}
    return state, None


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[key].dtype == b[key].dtype and torch.equal(a[key], b[key]) for key in a
    )


def _version(handoff: str, epoch: int):
    """best.pt as it was after ``epoch`` epochs: a path, "missing", or None (never seen)."""
    for k in range(epoch, 0, -1):
        if os.path.exists(os.path.join(handoff, f"best_after_{k}.missing")):
            return "missing"
        path = os.path.join(handoff, f"best_after_{k}.pt")
        if os.path.exists(path):
            return path
    return "missing"


def _compare(path: str, snapshots: dict) -> dict:
    state, problem = _state(path)
    if problem is not None:
        return problem
    reference = snapshots[0]
    missing = sorted(set(reference) - set(state))
    unexpected = sorted(set(state) - set(reference))
    if missing or unexpected:
        return {"problem": "keys", "missing": missing[:10], "unexpected": unexpected[:10]}
    wrong = sorted(key for key in reference if state[key].shape != reference[key].shape)
    if wrong:
        return {"problem": "shapes", "keys": wrong[:10]}
    return {"equals": [epoch for epoch, snap in sorted(snapshots.items()) if _equal(state, snap)]}


def _resumed(handoff: str, state, z: np.ndarray) -> dict:
    """The fresh generator with best.pt loaded, run on new latent vectors."""
    try:
        module = torch.jit.load(os.path.join(handoff, "generator.pt"), map_location="cpu")
    except Exception as error:
        return {"problem": "no_generator", "detail": f"{type(error).__name__}"}
    try:
        module.load_state_dict(state, strict=True)
    except Exception as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        return {"problem": "load_state_dict", "detail": (lines[0] if lines else "")[:300]}
    module.eval()
    outputs = {}
    for batch in (1, 16):
        try:
            with torch.no_grad():
                images = module(torch.from_numpy(z[:batch]))
        except Exception as error:
            return {"problem": "run", "detail": f"{type(error).__name__}"}
        outputs[str(batch)] = {
            "shape": list(images.shape),
            "min": float(images.min()),
            "max": float(images.max()),
            "finite": bool(torch.isfinite(images).all()),
        }
    return {"outputs": outputs}


def run(observe, inputs, handoff):
    torch.set_num_threads(1)
    epochs = inputs["epochs"]
    snapshots = {}
    for epoch in range(epochs + 1):
        path = os.path.join(handoff, f"epoch_{epoch}.pt")
        if os.path.exists(path):
            snapshots[epoch] = torch.load(path, weights_only=True, map_location="cpu")

    with observe("trained") as seen:
        seen.value = {
            "snapshots": sorted(snapshots),
            "changed": [
                epoch for epoch in sorted(snapshots) if epoch and not _equal(snapshots[epoch],
                                                                             snapshots[0])
            ] if 0 in snapshots else [],
        }  # fmt: skip

    with observe("saved") as seen:
        boundaries = {}
        for epoch in range(1, epochs + 1):
            version = _version(handoff, epoch)
            if version == "missing":
                boundaries[str(epoch)] = {"problem": "missing"}
            elif 0 not in snapshots:
                boundaries[str(epoch)] = {"problem": "no_snapshots"}
            else:
                boundaries[str(epoch)] = _compare(version, snapshots)
        seen.value = boundaries

    with observe("resumed") as seen:
        version = _version(handoff, epochs)
        if version == "missing":
            seen.value = {"problem": "missing"}
        else:
            state, problem = _state(version)
            seen.value = problem if problem is not None else _resumed(handoff, state, inputs["z"])
