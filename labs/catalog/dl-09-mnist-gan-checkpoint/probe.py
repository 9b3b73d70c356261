"""Runs inside the sandbox, next to the learner's code.

The learner's train gets the learner's Generator and Discriminator, a loader over the first
rows of MNIST's training split (read here with labkit) and a fresh checkpoint directory. The
loader is wrapped so that this probe sees each epoch start: at every epoch boundary (and when
train returns) it saves a copy of the generator's state_dict as it is then, and copies the
bytes of checkpoint_dir/best.pt as it is then (without opening it). All of these go to
check.py, which opens them in a clean sandbox and says which saved best.pt equals which
epoch's state; the judge compares that with the scores of the returned history. A fresh
Generator, traced, goes too, so that check.py can load best.pt into it and run it.
"""

import hashlib
import os
import tempfile
import warnings

import torch
from labkit import datasets
from torch.utils.data import DataLoader, TensorDataset

# Bound before the learner's module is imported (the runner loads this module first).
_isinstance = isinstance
_type = type
_float = float
_len = len
_tensor = torch.Tensor
_save = torch.save
_open = open
LATENT = 100


class _EpochLoader:
    """The grader's loader, telling the probe when each pass over it starts."""

    def __init__(self, loader, on_pass) -> None:
        self._loader = loader
        self._on_pass = on_pass
        self.passes = 0

    def __iter__(self):
        self.passes += 1
        self._on_pass(self.passes)
        return iter(self._loader)

    def __len__(self) -> int:
        return _len(self._loader)

    def __getattr__(self, name: str):
        # loader.dataset, loader.batch_size...: what the DataLoader has (len(loader.dataset)
        # to average a loss is common).
        return getattr(self._loader, name)


def _number(value):
    """A score as a float, or None when it is not a number."""
    if _isinstance(value, _tensor):
        if value.numel() != 1:
            return None
        value = value.detach().cpu().reshape(()).item()
    if _type(value) is bool:
        return None
    try:
        return _float(value)
    except (TypeError, ValueError):
        return None


def _describe(value) -> dict:
    if not _isinstance(value, _tensor):
        return {"tensor": False, "type": _type(value).__name__}
    seen = {"tensor": True, "shape": list(value.shape)}
    if value.is_floating_point() and value.numel():
        detached = value.detach()
        seen["min"] = _float(detached.min())
        seen["max"] = _float(detached.max())
    return seen


def run(solution, observe, inputs):
    torch.set_num_threads(1)
    device = inputs["device"]
    seed = inputs["seed"]
    epochs = inputs["epochs"]

    with observe("shapes") as seen:
        torch.manual_seed(seed)
        generator = solution.Generator().to(device).eval()
        discriminator = solution.Discriminator().to(device).eval()
        shapes = {}
        with torch.no_grad():
            for batch in (1, 16):
                shapes[f"generator_{batch}"] = _describe(
                    generator(torch.randn(batch, LATENT, device=device))
                )
                shapes[f"discriminator_{batch}"] = _describe(
                    discriminator(torch.rand(batch, 1, 28, 28, device=device))
                )
        seen.value = shapes

    with observe("traced") as seen:
        torch.manual_seed(seed + 1)
        fresh = solution.Generator().eval()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.jit.trace(fresh, torch.randn(2, LATENT), check_trace=False).save(
                observe.handoff("generator.pt")
            )
        seen.value = True

    checkpoint_dir = tempfile.mkdtemp(prefix="checkpoints-")
    best_path = os.path.join(checkpoint_dir, "best.pt")
    generator = None
    last_best = [None]

    def snapshot(epoch: int) -> None:
        """The generator's state after ``epoch`` epochs, and best.pt as it is now."""
        state = {key: value.detach().cpu().clone() for key, value in generator.state_dict().items()}
        _save(state, observe.handoff(f"epoch_{epoch}.pt"))
        if epoch == 0:
            return
        if not os.path.isfile(best_path):
            _open(observe.handoff(f"best_after_{epoch}.missing"), "wb").close()
            last_best[0] = None
            return
        with _open(best_path, "rb") as handle:
            data = handle.read()
        digest = hashlib.sha256(data).hexdigest()
        if digest != last_best[0]:  # a new version: unchanged ones are not sent twice
            last_best[0] = digest
            with _open(observe.handoff(f"best_after_{epoch}.pt"), "wb") as handle:
                handle.write(data)

    with observe("history") as seen:
        torch.manual_seed(seed)
        generator = solution.Generator().to(device)
        discriminator = solution.Discriminator().to(device)
        x, y = datasets.load("mnist", "train", limit=inputs["train_rows"])
        loader = _EpochLoader(
            DataLoader(
                TensorDataset(x, y),
                batch_size=inputs["batch_size"],
                shuffle=True,
                generator=torch.Generator().manual_seed(seed),
            ),
            lambda passes: snapshot(passes - 1),
        )
        snapshot(0)
        history = solution.train(generator, discriminator, loader, epochs, checkpoint_dir, device)
        snapshot(loader.passes)
        entries = list(history) if _isinstance(history, list | tuple) else None
        scores = None
        if entries is not None:
            scores = [
                _number(entry["score"]) if _isinstance(entry, dict) and "score" in entry else None
                for entry in entries
            ]
        seen.value = {
            "passes": loader.passes,
            "type": _type(history).__name__,
            "scores": scores,
        }
