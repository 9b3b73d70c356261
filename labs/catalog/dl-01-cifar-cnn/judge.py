"""The trusted half of the CIFAR-10 CNN lab (contract: labs/grader_api.py).

The probe trains a fresh ``SimpleCNN`` with the learner's ``train_one_epoch`` on the first
rows of the store's CIFAR-10 training split (labkit, inside the sandbox), with the grader's
optimizer and loader, then returns its logits for held-out images: rows of the test split
drawn here from the secret stream and shifted a little (labs/heldout.py). Their labels never
leave this process, and accuracy is computed here.

The returned mean loss is judged on a second call that cannot lie: ``train_one_epoch`` gets
the grader's linear model (weights from the secret stream), random images and labels, a
loader that does not shuffle and an SGD optimizer with learning rate 0, so the model does not
change during the epoch and its mean cross-entropy, per sample or per batch, is computed here
with NumPy. Shapes, the layer count and the parameter count are what the learner's process
reports: shapes count once the accuracy test passes, layers and parameters are claims.

Accuracy is a statistical test: 500 held-out images, bar 0.40 (chance 0.10). The reference
reached 0.58 or more on 10 draws (`manage.py lab_margins dl-01-cifar-cnn --seeds 10`: worst
margin 0.18). For a model whose accuracy over the pool is 0.55, Hoeffding's bound gives
P(measured < 0.40) <= exp(-2 * 500 * 0.15^2) = 1.7e-10 < 1e-6: a correct solution fails only
by training worse, not by the draw of images.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, EDGE, Draw, Prepared, Test, Verdict
from labs.heldout import HeldOutMissing, draw_heldout
from labs.interface import Class, Function

INTERFACE = [
    Class("SimpleCNN", init_keywords=("num_classes",), methods={"forward": ("x",)}),
    Function("train_one_epoch", ("model", "loader", "optimizer", "device")),
]

HELDOUT = 500
ACCURACY_BAR = 0.40
TRAIN_ROWS = 5000  # the probe's training rows (labkit's cifar10 train split, first rows)
EPOCHS = 2
BATCH = 32
LEARNING_RATE = 1e-3  # Adam
LOSS_ROWS = 100  # the loss test's data: 6 batches of 16 and one of 4
LOSS_BATCH = 16
LOSS_TOLERANCE = 1e-4  # relative
MAX_PARAMETERS = 5_000_000
SHAPE_CASES = (("10", 1), ("10", 7), ("4", 7))  # (num_classes, N)

TESTS = [
    Test("accuracy", 4, _("Accuracy after training"), CORE, uses=("predictions",)),
    Test("epoch_loss", 3, _("Mean loss of the epoch"), CORE, uses=("epoch_loss",)),
    Test("shapes", 1, _("Output shapes"), EDGE, uses=("shapes",), requires=("accuracy",)),
    Test("layers", 1, _("Convolutional and linear layers"), CLAIM, uses=("structure",)),
    Test("parameters", 1, _("Number of parameters"), CLAIM, uses=("structure",)),
]


def prepare(draw: Draw) -> Prepared:
    secret = draw.secret_np
    try:
        heldout = draw_heldout("cifar10", HELDOUT, secret)
        images, labels, missing = heldout.images, heldout.labels, None
    except HeldOutMissing as error:
        images = np.zeros((HELDOUT, 3, 32, 32), dtype=np.uint8)
        labels, missing = None, str(error)
    weights = secret.normal(0.0, 0.05, size=(10, 3 * 32 * 32)).astype(np.float32)
    bias = secret.normal(0.0, 0.5, size=10).astype(np.float32)
    public = draw.public_np
    loss_x = public.random((LOSS_ROWS, 3, 32, 32), dtype=np.float32)
    loss_y = public.integers(0, 10, size=LOSS_ROWS).astype(np.int64)
    return Prepared(
        inputs={
            "seed": int(public.integers(0, 2**31 - 1)),
            "heldout": images,
            "train_rows": TRAIN_ROWS,
            "epochs": EPOCHS,
            "batch": BATCH,
            "learning_rate": LEARNING_RATE,
            "loss_model": {"weight": weights, "bias": bias},
            "loss_x": loss_x,
            "loss_y": loss_y,
            "loss_batch": LOSS_BATCH,
            "shape_x": public.random((7, 3, 32, 32), dtype=np.float32),
        },
        hidden={
            "labels": labels,
            "missing": missing,
            "expected_loss": expected_losses(weights, bias, loss_x, loss_y, LOSS_BATCH),
        },
    )


def expected_losses(weights, bias, x, y, batch: int) -> dict[str, float]:
    """The epoch's mean cross-entropy of the (unchanging) linear model, per sample and per
    batch, in float64."""
    logits = x.reshape(len(x), -1).astype(np.float64) @ weights.T.astype(np.float64) + bias
    top = logits.max(axis=1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    losses = log_z - logits[np.arange(len(y)), y]
    batches = [losses[i : i + batch].mean() for i in range(0, len(losses), batch)]
    return {"sample": float(losses.mean()), "batch": float(np.mean(batches))}


def _judge_accuracy(seen, hidden: dict) -> Verdict:
    if hidden["missing"]:
        return Verdict.fail(_("The CIFAR-10 set is not installed on this grading server."))
    logits = np.asarray(seen, dtype=np.float64)
    if logits.shape != (HELDOUT, 10):
        return Verdict.fail(
            _("For {count} images the model must return logits of shape {want}, got {got}."),
            count=HELDOUT, want=[HELDOUT, 10], got=list(logits.shape),
        )  # fmt: skip
    if not np.isfinite(logits).all():
        return Verdict.fail(_("The logits contain NaN or infinity: the training diverged."))
    accuracy = float(np.mean(logits.argmax(axis=1) == hidden["labels"]))
    margin = accuracy - ACCURACY_BAR
    if margin < 0:
        return Verdict.fail(
            _("Accuracy on held-out images is {accuracy:.3f}; at least {bar:.2f} is required "
              "(chance: 0.10)."),
            accuracy=accuracy, bar=ACCURACY_BAR,
        ).with_margin(margin)  # fmt: skip
    return Verdict.ok(
        _("Accuracy on held-out images: {accuracy:.3f} (required: {bar:.2f})."),
        accuracy=accuracy, bar=ACCURACY_BAR,
    ).with_margin(margin)  # fmt: skip


def _judge_loss(seen, hidden: dict) -> Verdict:
    if not isinstance(seen, dict) or seen.get("type") not in ("float", "int"):
        kind = seen.get("type") if isinstance(seen, dict) else None
        return Verdict.fail(_("train_one_epoch must return a Python float, not {kind}."), kind=kind)
    value = seen.get("value")
    if not isinstance(value, int | float) or not np.isfinite(value):
        return Verdict.fail(
            _("train_one_epoch returned {value}, not a finite number."), value=value
        )
    want = hidden["expected_loss"]
    errors = {kind: abs(value - loss) / abs(loss) for kind, loss in want.items()}
    error = min(errors.values())
    if error > LOSS_TOLERANCE:
        return Verdict.fail(
            _("On a model that does not change during the epoch, train_one_epoch returned "
              "{value:.5f}; the mean cross-entropy of the epoch is {sample:.5f} per sample and "
              "{batch:.5f} per batch."),
            value=value, sample=want["sample"], batch=want["batch"],
        ).with_margin(LOSS_TOLERANCE - error)  # fmt: skip
    return Verdict.ok(
        _("The returned loss is the mean cross-entropy of the epoch ({value:.5f})."), value=value
    ).with_margin(LOSS_TOLERANCE - error)


def _judge_shapes(seen) -> Verdict:
    for classes, rows in SHAPE_CASES:
        got = seen.get(f"{classes}/{rows}") if isinstance(seen, dict) else None
        want = [rows, int(classes)]
        if got != want:
            return Verdict.fail(
                _("SimpleCNN(num_classes={classes}) on a batch of {rows} images returned shape "
                  "{got}, expected {want}."),
                classes=classes, rows=rows, got=got, want=want,
            )  # fmt: skip
    return Verdict.ok(_("Logits of shape (N, num_classes) for N = 1 and 7."))


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test == "accuracy":
        return _judge_accuracy(evidence["predictions"], hidden)
    if test == "epoch_loss":
        return _judge_loss(evidence["epoch_loss"], hidden)
    if test == "shapes":
        return _judge_shapes(evidence["shapes"])
    seen = evidence["structure"]
    if test == "layers":
        conv, linear = int(seen.get("conv", 0)), int(seen.get("linear", 0))
        if conv >= 2 and linear >= 1:
            return Verdict.ok(
                _("{conv} nn.Conv2d and {linear} nn.Linear layers."), conv=conv, linear=linear
            )
        return Verdict.fail(
            _("At least two nn.Conv2d and one nn.Linear layers are required; the model has "
              "{conv} and {linear}."),
            conv=conv, linear=linear,
        )  # fmt: skip
    if test == "parameters":
        count = int(seen.get("parameters", 0))
        if 0 < count <= MAX_PARAMETERS:
            return Verdict.ok(_("{count} parameters (at most {most})."), count=count,
                              most=MAX_PARAMETERS)  # fmt: skip
        return Verdict.fail(_("The model has {count} parameters; at most {most} are allowed."),
                            count=count, most=MAX_PARAMETERS)  # fmt: skip
    raise KeyError(test)
