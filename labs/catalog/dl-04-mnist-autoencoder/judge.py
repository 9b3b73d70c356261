"""The trusted half of the MNIST autoencoder lab (contract: labs/grader_api.py).

The learner's ``train_autoencoder`` trains on the first rows of the store's MNIST training
split inside the sandbox. Its encoder and decoder are then traced into two ONNX graphs that
the clean check step runs on held-out images (rows of the test split drawn here from the
secret stream and shifted a little, labs/heldout.py) that never enter the learner's sandbox;
the decoder sees only the codes of at most 64 numbers, so the reconstruction cannot copy its
input. The reconstruction error is computed here against the images, and compared with the
error of the best constant answer: the mean image of the same held-out set.

The task's own bar (an error below half the mean-image baseline) holds on real MNIST; the
generated stand-in used in tests adds strong per-pixel noise that no code of 64 numbers can
reproduce (PCA with 64 components reaches only 0.68 of the baseline on it), so the bar here is
0.95 of the baseline, chosen from measured margins (`manage.py lab_margins
dl-04-mnist-autoencoder --seeds 10`): the reference reaches 0.76-0.80 (worst margin 0.155), an
autoencoder like the ticket's own (code of 12, BCE, Adam 1e-3) 0.86-0.89 (worst margin 0.063
over 4 draws), an untrained model or the mean image 1.0 or more. For a given model the error
of one image has a standard deviation of about 0.006 (0.04 of the baseline), so the ratio
over 200 images has a standard error of about 0.003: the ticket's model fails by the draw of
images only 20 standard errors away, with a probability far below 1e-6.

The learner's grid (numbers) is compared with the images and with their reconstructions by
the clean step, and ``figures`` turns it into the picture shown on the result page.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CORE, EDGE, Draw, Figure, Prepared, Test, Verdict
from labs.heldout import HeldOutMissing, draw_heldout
from labs.interface import Class, Function

INTERFACE = [
    Class("Autoencoder", methods={"encode": ("x",), "decode": ("z",), "forward": ("x",)}),
    Function("train_autoencoder", ("loader", "epochs", "device")),
    Function("reconstruction_grid", ("model", "images")),
]

HELDOUT = 200  # also the batch size the encoder and decoder are traced with
GRID_IMAGES = 8
TRAIN_ROWS = 6000
EPOCHS = 4
BATCH = 64
MAX_CODE = 64
BASELINE_SHARE = 0.95
RANGE_TOLERANCE = 1e-6
MAX_GRID = (512, 2048)  # (H, W)
ORIGINAL_RMS = 2.0  # pixel levels of 255: rounding or truncation differ by at most 1
RECONSTRUCTION_RMS = 4.0

TESTS = [
    Test("reconstruction", 5, _("Reconstruction error"), CORE,
         uses=("trained", "exported", "check:reconstructions")),
    Test("shapes_ranges", 2, _("Code size, shapes and range"), EDGE,
         uses=("trained", "exported", "check:reconstructions"), requires=("reconstruction",)),
    Test("grid", 3, _("Reconstruction grid"), CORE,
         uses=("trained", "grid", "check:grid_reconstructions")),
]  # fmt: skip


def prepare(draw: Draw) -> Prepared:
    try:
        heldout = draw_heldout("mnist", HELDOUT + GRID_IMAGES, draw.secret_np)
        images, missing = heldout.images, None
    except HeldOutMissing as error:
        images = np.zeros((HELDOUT + GRID_IMAGES, 1, 28, 28), dtype=np.uint8)
        missing = str(error)
    held, grid = images[:HELDOUT], images[HELDOUT:]
    return Prepared(
        inputs={
            "seed": int(draw.public_np.integers(0, 2**31 - 1)),
            "train_rows": TRAIN_ROWS,
            "epochs": EPOCHS,
            "batch": BATCH,
            "check_batch": HELDOUT,
            "grid_images": grid,
        },
        hidden={"heldout": held, "grid": grid, "missing": missing},
        check_inputs={"heldout": held, "grid_images": grid},  # the clean step only
    )


def _reconstructions(seen):
    if seen.get("problem") == "missing":
        return None
    return np.asarray(seen.get("values"), dtype=np.float64)


def _judge_reconstruction(seen, hidden: dict) -> Verdict:
    if hidden["missing"]:
        return Verdict.fail(_("The MNIST set is not installed on this grading server."))
    recon = _reconstructions(seen)
    if recon is None:
        return Verdict.fail(_("The encoder and decoder could not be exported to ONNX."))
    codes = seen.get("codes_shape") or []
    if len(codes) != 2 or codes[0] != HELDOUT or not 1 <= codes[1] <= MAX_CODE:
        return Verdict.fail(
            _("For {count} images encode must return codes of shape (N, code_dim) with "
              "code_dim at most {most}; got {got}."),
            count=HELDOUT, most=MAX_CODE, got=codes,
        )  # fmt: skip
    if recon.size != HELDOUT * 28 * 28:
        return Verdict.fail(
            _("decode must return {count} images of 28×28; got shape {got}."),
            count=HELDOUT, got=list(recon.shape),
        )  # fmt: skip
    if not np.isfinite(recon).all():
        return Verdict.fail(_("The reconstructions contain NaN or infinity."))
    x = hidden["heldout"].reshape(HELDOUT, -1).astype(np.float64) / 255.0
    error = float(np.mean((recon.reshape(HELDOUT, -1) - x) ** 2))
    baseline = float(np.mean((x - x.mean(axis=0)) ** 2))
    ratio = error / baseline
    margin = BASELINE_SHARE - ratio
    if margin < 0:
        return Verdict.fail(
            _("Reconstruction MSE on held-out images is {error:.4f}, {ratio:.2f} of the "
              "mean-image baseline {baseline:.4f}; at most {share:.2f} of it is required."),
            error=error, ratio=ratio, baseline=baseline, share=BASELINE_SHARE,
        ).with_margin(margin)  # fmt: skip
    return Verdict.ok(
        _("Reconstruction MSE on held-out images: {error:.4f}, {ratio:.2f} of the mean-image "
          "baseline {baseline:.4f} (required: at most {share:.2f})."),
        error=error, ratio=ratio, baseline=baseline, share=BASELINE_SHARE,
    ).with_margin(margin)  # fmt: skip


def _judge_shapes(seen) -> Verdict:
    recon = _reconstructions(seen)
    if recon is None:
        return Verdict.fail(_("The encoder and decoder could not be exported to ONNX."))
    if list(recon.shape) != [HELDOUT, 1, 28, 28]:
        return Verdict.fail(
            _("decode must return shape (N, 1, 28, 28); got {got}."), got=list(recon.shape)
        )
    low, high = float(recon.min()), float(recon.max())
    if low < -RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        return Verdict.fail(
            _("decode must return values in [0, 1]; got values from {low:.3f} to {high:.3f}."),
            low=low, high=high,
        )  # fmt: skip
    return Verdict.ok(
        _("Codes of {size} numbers, reconstructions (N, 1, 28, 28) in [0, 1]."),
        size=seen["codes_shape"][1],
    )


def _grid_array(seen) -> tuple[np.ndarray | None, Verdict | None]:
    """The learner's grid as float64 grey levels (H, W), or why it cannot be one."""
    if seen.get("type") != "ndarray":
        return None, Verdict.fail(
            _("reconstruction_grid must return a numpy array, not {type}."), type=seen.get("type")
        )
    if seen.get("dtype") != "uint8":
        return None, Verdict.fail(
            _("reconstruction_grid must return an array of uint8, not {dtype}."),
            dtype=seen.get("dtype"),
        )
    shape = seen.get("shape") or []
    grey = len(shape) == 2 or (len(shape) == 3 and shape[2] == 3)
    if not grey or "values" not in seen or shape[0] > MAX_GRID[0] or shape[1] > MAX_GRID[1]:
        return None, Verdict.fail(
            _("The grid must have shape (H, W) or (H, W, 3) with H at most {h} and W at most "
              "{w}; got {got}."),
            h=MAX_GRID[0], w=MAX_GRID[1], got=shape,
        )  # fmt: skip
    grid = np.asarray(seen["values"], dtype=np.float64)
    if grid.ndim == 3:
        grid = grid.mean(axis=2)
    if grid.shape[0] < 56 or grid.shape[1] < 28:
        return None, Verdict.fail(_("The grid of shape {got} cannot hold the images."), got=shape)
    return grid, None


def best_rms(area: np.ndarray, patches: np.ndarray) -> np.ndarray:
    """For each 28×28 patch, the smallest root-mean-square difference to a 28×28 window of
    ``area`` (grey levels), over every position of the window."""
    import torch
    import torch.nn.functional as F

    if area.shape[0] < 28 or area.shape[1] < 28:
        return np.full(len(patches), np.inf)
    g = torch.from_numpy(np.ascontiguousarray(area, dtype=np.float64))[None, None]
    k = torch.from_numpy(np.ascontiguousarray(patches, dtype=np.float64))[:, None]
    cross = F.conv2d(g, k)[0]
    window = F.avg_pool2d(g * g, 28, stride=1)[0, 0] * (28 * 28)
    ssd = window[None] - 2 * cross + (k * k).sum(dim=(1, 2, 3))[:, None, None]
    return np.sqrt(np.clip(ssd.amin(dim=(1, 2)).numpy(), 0, None) / (28 * 28))


def _judge_grid(seen, checked, hidden: dict) -> Verdict:
    grid, problem = _grid_array(seen)
    if problem is not None:
        return problem
    if checked.get("problem") == "missing":
        return Verdict.fail(_("The encoder and decoder could not be exported to ONNX."))
    half = grid.shape[0] // 2
    originals = hidden["grid"].reshape(GRID_IMAGES, 28, 28).astype(np.float64)
    found = best_rms(grid[:half], originals)
    margin = ORIGINAL_RMS - float(found.max())
    if not (found <= ORIGINAL_RMS).all():
        return Verdict.fail(
            _("{missing} of the {count} images are not in the upper half of the grid at their "
              "size of 28×28 with pixel values 255·x."),
            missing=int((~(found <= ORIGINAL_RMS)).sum()), count=GRID_IMAGES,
        )  # fmt: skip
    recon = np.asarray(checked.get("values"), dtype=np.float64)
    if recon.size != GRID_IMAGES * 28 * 28:
        return Verdict.fail(_("decode must return {count} images of 28×28; got shape {got}."),
                            count=GRID_IMAGES, got=list(recon.shape))  # fmt: skip
    want = np.clip(recon.reshape(GRID_IMAGES, 28, 28), 0, 1) * 255.0
    found = best_rms(grid[half:], want)
    margin = min(margin, RECONSTRUCTION_RMS - float(found.max()))
    if not (found <= RECONSTRUCTION_RMS).all():
        return Verdict.fail(
            _("{missing} of the {count} reconstructions are not in the lower half of the grid "
              "(the model's outputs at 28×28, pixel values 255·x)."),
            missing=int((~(found <= RECONSTRUCTION_RMS)).sum()), count=GRID_IMAGES,
        )  # fmt: skip
    return Verdict.ok(_("The originals are above, their reconstructions below.")).with_margin(
        margin
    )


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test == "reconstruction":
        return _judge_reconstruction(evidence["check:reconstructions"], hidden)
    if test == "shapes_ranges":
        return _judge_shapes(evidence["check:reconstructions"])
    if test == "grid":
        return _judge_grid(evidence["grid"], evidence["check:grid_reconstructions"], hidden)
    raise KeyError(test)


def figures(evidence) -> list[Figure]:
    """The learner's grid, as the picture on the result page (numbers only; the engine
    writes the PNG)."""
    if "grid" not in evidence:  # the observation failed: no picture
        return []
    seen = evidence["grid"]
    if not isinstance(seen, dict) or seen.get("dtype") != "uint8" or "values" not in seen:
        return []
    image = np.asarray(seen["values"])
    return [
        Figure(
            "reconstructions.png",
            image,
            _("Your reconstruction grid: originals above, reconstructions below"),
        )
    ]
