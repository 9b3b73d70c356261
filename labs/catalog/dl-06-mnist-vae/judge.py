"""The trusted half of the MNIST VAE lab (contract: labs/grader_api.py).

``vae_loss`` gets tensors drawn per job (reconstructions, images as (N, 1, 28, 28) or (N, 784),
means and log-variances) and its values are compared with BCE + KL computed here in float64.

Training: the probe runs the grader's own Adam loop (the reference loss, not the learner's) on
the learner's ``VAE``, on MNIST-shaped images this judge makes per job from the secret stream:
ten smooth near-binary stroke patterns, shifted, dimmed a little and lightly noised. (The
store's generated MNIST stand-in carries per-pixel noise so strong that its BCE cannot fall
below 0.98 of its start, while the task's bar is 0.8; real MNIST is not needed to show that a
VAE learns.) The model's outputs for 200 held-out images, before and after training, come back
as numbers and the loss is computed here. Those images carry a secret perturbation (their
contrast squeezed into [0.04, 0.96], then each pixel moved by +-0.04): a model that copies its
input instead of going through its latent code reproduces the perturbation and is refused
(``COPY_BAR``); a VAE's copy coefficient is about 0.

Margins (`manage.py lab_margins dl-06-mnist-vae --seeds 10`): the reference ends at 0.61 of
its start or less (worst margin 0.187 against the bar 0.8); the ticket's own VAE (512 hidden
units) at about 0.58 (worst margin 0.216 over 3 draws); a VAE with only 64 hidden units at
about 0.72 (worst margin 0.080). The start is ~549 nats per image, so even the smallest of
these margins is ~44 nats, while the per-image losses spread by tens of nats: the standard
error over 200 images is a few nats, and a correct solution fails by the draw of images with a
probability far below 1e-6.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, EDGE, Draw, Prepared, Test, Verdict
from labs.interface import Class, Function

INTERFACE = [
    Class("VAE", init_keywords=("latent_dim",), methods={"forward": ("x",), "sample": ("n",)}),
    Function("vae_loss", ("recon", "x", "mu", "logvar")),
]

LOSS_TOLERANCE = 1e-4  # relative
TRAIN_ROWS = 3000
HELDOUT = 200
EPOCHS = 4
BATCH = 64
LEARNING_RATE = 1e-3
LOSS_SHARE = 0.8  # the trained loss must be below this share of the start
PERTURBATION = 0.04
COPY_BAR = 0.5
LOSS_CASES = ((1, 20), (4, 5), (7, 2))  # (N, latent) with x of (N, 1, 28, 28)
FLAT_CASES = ((3, 20), (6, 4))  # with x of (N, 784)

TESTS = [
    Test("loss_value", 3, _("Loss value"), CORE, uses=("loss_values",)),
    Test("loss_flat_input", 1, _("Loss with flat images"), CORE, uses=("loss_flat",)),
    Test("training", 3, _("Training lowers the loss"), CORE, uses=("training",)),
    Test("forward_shapes", 1, _("Shapes and range of forward"), EDGE, uses=("shapes",),
         requires=("training",)),
    Test("sample", 1, _("Sampling"), EDGE, uses=("sample",), requires=("training",)),
    Test("reparameterisation", 1, _("Reparameterisation"), CLAIM, uses=("gradients",)),
]  # fmt: skip


def _prototypes(rng: np.random.Generator) -> np.ndarray:
    low = rng.random((10, 7, 7))
    patterns = low.repeat(4, axis=1).repeat(4, axis=2)
    for axis in (1, 2):
        patterns = sum(np.roll(patterns, shift, axis) for shift in range(-2, 3)) / 5
    return np.clip((patterns - 0.5) * 12.0, 0.0, 1.0)


def make_images(rng: np.random.Generator, prototypes: np.ndarray, count: int) -> np.ndarray:
    """uint8 (count, 1, 28, 28): a pattern per image, shifted by up to 2 pixels, dimmed to
    90-100% and lightly noised."""
    labels = rng.integers(0, len(prototypes), count)
    images = prototypes[labels].copy()
    shifts = rng.integers(-2, 3, size=(count, 2))
    for i, (dy, dx) in enumerate(shifts):
        images[i] = np.roll(images[i], (int(dy), int(dx)), axis=(0, 1))
    images *= rng.uniform(0.9, 1.0, size=(count, 1, 1))
    images += rng.normal(0.0, 0.02, size=images.shape)
    return np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)[:, None]


def _loss_case(rng: np.random.Generator, rows: int, latent: int, flat: bool) -> dict:
    x = rng.random((rows, 784))
    x[: rows // 2 + 1] = (x[: rows // 2 + 1] > 0.7).astype(np.float64)  # binary rows too
    return {
        "recon": rng.uniform(0.01, 0.99, size=(rows, 784)).astype(np.float32),
        "x": (x if flat else x.reshape(rows, 1, 28, 28)).astype(np.float32),
        "mu": rng.normal(0.0, 1.0, size=(rows, latent)).astype(np.float32),
        "logvar": rng.normal(0.0, 0.5, size=(rows, latent)).astype(np.float32),
    }


def reference_loss(recon, x, mu, logvar) -> float:
    """BCE summed over pixels and batch + KL summed likewise, in float64 (logs clamped at
    -100 as torch's binary_cross_entropy does)."""
    r = np.asarray(recon, np.float64).reshape(len(mu), -1)
    t = np.asarray(x, np.float64).reshape(len(mu), -1)
    with np.errstate(divide="ignore"):
        bce = -(t * np.maximum(np.log(r), -100) + (1 - t) * np.maximum(np.log1p(-r), -100))
    m, lv = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
    kl = -0.5 * (1 + lv - m**2 - np.exp(lv))
    return float(bce.sum() + kl.sum())


def prepare(draw: Draw) -> Prepared:
    public, secret = draw.public_np, draw.secret_np
    loss_cases = [_loss_case(public, n, k, flat=False) for n, k in LOSS_CASES]
    flat_cases = [_loss_case(public, n, k, flat=True) for n, k in FLAT_CASES]
    prototypes = _prototypes(secret)
    train = make_images(secret, prototypes, TRAIN_ROWS)
    # Contrast squeezed into [p, 1 - p] so that the secret +-p per pixel is never clipped: it
    # is then independent of everything a VAE's code can carry.
    images = make_images(secret, prototypes, HELDOUT).astype(np.float64) / 255.0
    clean = PERTURBATION + (1 - 2 * PERTURBATION) * images
    signs = secret.choice(np.array([-1.0, 1.0]), size=clean.shape)
    heldout = (clean + PERTURBATION * signs).astype(np.float32)
    return Prepared(
        inputs={
            "seed": int(public.integers(0, 2**31 - 1)),
            "loss_cases": loss_cases,
            "flat_cases": flat_cases,
            "train": train,
            "heldout": heldout,
            "epochs": EPOCHS,
            "batch": BATCH,
            "learning_rate": LEARNING_RATE,
            "shape_x": public.random((5, 1, 28, 28), dtype=np.float32),
        },
        hidden={
            "loss": [reference_loss(**case) for case in loss_cases],
            "flat": [reference_loss(**case) for case in flat_cases],
            "heldout": heldout.astype(np.float64).reshape(HELDOUT, -1),
            "clean": clean.reshape(HELDOUT, -1),
        },
    )


def _judge_losses(seen, want: list[float], shape: str) -> Verdict:
    if not isinstance(seen, list) or len(seen) != len(want):
        return Verdict.fail(_("vae_loss did not return one value per case."))
    worst = 0.0
    for value, expected in zip(seen, want, strict=True):
        if not isinstance(value, int | float) or not np.isfinite(value):
            return Verdict.fail(_("vae_loss must return a finite scalar; got {value}."),
                                value=value)  # fmt: skip
        error = abs(value - expected) / abs(expected)
        worst = max(worst, error)
        if error > LOSS_TOLERANCE:
            return Verdict.fail(
                _("For x of shape {shape} vae_loss returned {value:.3f}, expected {want:.3f} "
                  "(BCE and KL, both summed over pixels and the batch)."),
                shape=shape, value=value, want=expected,
            ).with_margin(LOSS_TOLERANCE - error)  # fmt: skip
    return Verdict.ok(
        _("vae_loss equals BCE + KL for x of shape {shape}."), shape=shape
    ).with_margin(LOSS_TOLERANCE - worst)


def _outputs(seen, rows: int):
    recon = np.asarray(seen.get("recon"), dtype=np.float64)
    mu = np.asarray(seen.get("mu"), dtype=np.float64)
    logvar = np.asarray(seen.get("logvar"), dtype=np.float64)
    if recon.size != rows * 784 or mu.ndim != 2 or len(mu) != rows or mu.shape != logvar.shape:
        return None
    return recon.reshape(rows, 784), mu, logvar


def _judge_training(seen, hidden: dict) -> Verdict:
    before = _outputs(seen.get("before") or {}, HELDOUT)
    after = _outputs(seen.get("after") or {}, HELDOUT)
    if before is None or after is None:
        return Verdict.fail(
            _(
                "forward must return recon (N, 784), mu and logvar (N, latent_dim) for the "
                "held-out images."
            )
        )
    if not all(np.isfinite(part).all() for part in (*before, *after)):
        return Verdict.fail(_("The outputs contain NaN or infinity."))
    x = hidden["heldout"]
    start = reference_loss(before[0], x, before[1], before[2]) / HELDOUT
    end = reference_loss(after[0], x, after[1], after[2]) / HELDOUT
    moved = x - hidden["clean"]
    copy = float(np.sum((after[0] - hidden["clean"]) * moved) / np.sum(moved * moved))
    if copy > COPY_BAR:
        return Verdict.fail(
            _(
                "The reconstructions reproduce pixel-level details of their inputs that no "
                "latent code of a VAE can carry: forward must encode, sample and decode."
            )
        ).with_margin(COPY_BAR - copy)
    ratio = end / start
    margin = LOSS_SHARE - ratio
    if margin <= 0:
        return Verdict.fail(
            _("The loss on held-out images went from {start:.1f} to {end:.1f} per image "
              "({ratio:.2f} of the start); below {share:.1f} of the start is required."),
            start=start, end=end, ratio=ratio, share=LOSS_SHARE,
        ).with_margin(margin)  # fmt: skip
    return Verdict.ok(
        _("The loss on held-out images went from {start:.1f} to {end:.1f} per image "
          "({ratio:.2f} of the start; required: below {share:.1f})."),
        start=start, end=end, ratio=ratio, share=LOSS_SHARE,
    ).with_margin(margin)  # fmt: skip


def _judge_shapes(seen) -> Verdict:
    for case, latent in (("4d", 20), ("flat", 20), ("latent8", 8)):
        got = seen.get(case) if isinstance(seen, dict) else None
        want = {"recon": [5, 784], "mu": [5, latent], "logvar": [5, latent]}
        if not isinstance(got, dict) or any(got.get(k) != v for k, v in want.items()):
            return Verdict.fail(
                _("forward returned shapes {got}; expected recon {recon}, mu and logvar "
                  "{latent} (case: {case})."),
                got=got, recon=want["recon"], latent=want["mu"], case=case,
            )  # fmt: skip
        low, high = got.get("low"), got.get("high")
        if not (isinstance(low, float) and isinstance(high, float) and 0 <= low <= high <= 1):
            return Verdict.fail(_("recon must lie in [0, 1]; got values from {low} to {high}."),
                                low=low, high=high)  # fmt: skip
    return Verdict.ok(_("recon (N, 784) in [0, 1], mu and logvar (N, latent_dim)."))


def _judge_sample(seen) -> Verdict:
    if not isinstance(seen, dict) or seen.get("shape") != [6, 784]:
        got = seen.get("shape") if isinstance(seen, dict) else None
        return Verdict.fail(_("sample(6) returned shape {got}, expected [6, 784]."), got=got)
    low, high = seen.get("low"), seen.get("high")
    if not (isinstance(low, float) and isinstance(high, float) and 0 <= low <= high <= 1):
        return Verdict.fail(_("Samples must lie in [0, 1]; got values from {low} to {high}."),
                            low=low, high=high)  # fmt: skip
    if not seen.get("varied"):
        return Verdict.fail(_("All samples are the same: sample must draw z from N(0, I)."))
    return Verdict.ok(_("sample(n) gives n different images (n, 784) in [0, 1]."))


def _judge_gradients(seen) -> Verdict:
    encoder, reached = int(seen.get("encoder", 0)), int(seen.get("reached", 0))
    if encoder == 0:
        return Verdict.fail(_("mu and logvar do not depend on any parameter of the model."))
    if reached < encoder:
        return Verdict.fail(
            _("The reconstruction term's gradient reaches {reached} of the {encoder} parameter "
              "tensors that mu and logvar depend on: sample z as mu + eps * exp(logvar / 2)."),
            reached=reached, encoder=encoder,
        )  # fmt: skip
    if not seen.get("stochastic"):
        return Verdict.fail(_("In training mode forward gives the same output twice: z must "
                              "be sampled."))  # fmt: skip
    return Verdict.ok(_("Gradients of the reconstruction reach the encoder; z is sampled."))


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test == "loss_value":
        return _judge_losses(evidence["loss_values"], hidden["loss"], "(N, 1, 28, 28)")
    if test == "loss_flat_input":
        return _judge_losses(evidence["loss_flat"], hidden["flat"], "(N, 784)")
    if test == "training":
        return _judge_training(evidence["training"], hidden)
    if test == "forward_shapes":
        return _judge_shapes(evidence["shapes"])
    if test == "sample":
        return _judge_sample(evidence["sample"])
    if test == "reparameterisation":
        return _judge_gradients(evidence["gradients"])
    raise KeyError(test)
