"""Runs inside the sandbox, next to the learner's code: trains the learner's autoencoder with
train_autoencoder on the first rows of the store's MNIST training split, then hands off its
encoder and decoder, each traced into an ONNX graph of its own, to the clean check step, which
runs them on held-out images that never enter this sandbox (the decoder sees only the codes).
It also records the learner's reconstruction grid for a few images, as numbers: the grader
turns them into the picture shown on the result page."""

import warnings

import numpy
import torch
from labkit import datasets
from torch import nn

_isinstance = isinstance
_type = type
_module = nn.Module
_ndarray = numpy.ndarray
MAX_GRID_VALUES = 3 * 512 * 2048


class _Encode(nn.Module):
    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.encode(x)


class _Decode(nn.Module):
    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, z):
        return self.model.decode(z)


def _export(module, example, path, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example,), path, input_names=[name], dynamo=False)


def run(solution, observe, inputs):
    device = inputs["device"]
    torch.manual_seed(inputs["seed"])
    model = x = None

    with observe("trained") as seen:
        x, y = datasets.load("mnist", "train", limit=inputs["train_rows"])
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(x, y),
            batch_size=inputs["batch"],
            shuffle=True,
            generator=torch.Generator().manual_seed(inputs["seed"]),
        )
        model = solution.train_autoencoder(loader, inputs["epochs"], device)
        if not _isinstance(model, _module):
            kind = _type(model).__name__
            model = None
            raise TypeError(f"train_autoencoder returned {kind}, not an nn.Module")
        seen.value = {"module": True}

    with observe("exported") as seen:
        model = model.cpu().eval()
        example = x[: inputs["check_batch"]]
        with torch.no_grad():
            codes = model.encode(example)
        _export(_Encode(model), example, observe.handoff("encode.onnx"), "x")
        _export(_Decode(model), codes.detach(), observe.handoff("decode.onnx"), "z")
        seen.value = True

    with observe("grid") as seen:
        images = torch.from_numpy(inputs["grid_images"]).to(torch.float32).div_(255.0)
        model.eval()
        grid = solution.reconstruction_grid(model, images)
        if _type(grid) is not _ndarray:
            seen.value = {"type": _type(grid).__name__}
        elif grid.size > MAX_GRID_VALUES:
            seen.value = {"type": "ndarray", "dtype": str(grid.dtype), "shape": list(grid.shape)}
        else:
            seen.value = {
                "type": "ndarray",
                "dtype": str(grid.dtype),
                "shape": list(grid.shape),
                "values": grid,
            }
