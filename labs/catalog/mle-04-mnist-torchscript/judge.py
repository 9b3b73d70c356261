"""The trusted half of the MNIST TorchScript lab (contract: labs/grader_api.py).

The learner's train runs in the sandbox on the first rows of MNIST's training split, which
the probe reads there with labkit. Held-out images come from MNIST's test split, read here
from the worker's dataset store and drawn per job from the secret stream, in two disjoint
sets:

- *visible* images enter the learner's sandbox with a little noise added (so that they cannot
  be looked up in the store by their bytes); the eager model's outputs on them are what the
  TorchScript file must reproduce, and they give the eager model's accuracy;
- *held-out* images go only to check.py, which runs the TorchScript file on them in a clean
  sandbox: an accuracy that no claim of the learner's process can make.

The labels of both sets never leave this module. Accuracies are computed here from the
reported logits. The TorchScript file is opened only by check.py.

Thresholds come from measured margins (``manage.py lab_margins mle-04-mnist-torchscript
--seeds 10``, the reference on the generated stand-in sets): see ACCURACY_THRESHOLD.
"""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CORE, EDGE, Draw, Prepared, Test, Verdict
from labs.interface import Class, Function
from labs.labkit.datasets import DatasetError, read_arrays

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Class("Net", methods={"forward": ("x",)}),
    Function("train", ("model", "loader", "epochs", "device")),
    Function("export_torchscript", ("model", "path")),
]

TRAIN_ROWS = 3000
EPOCHS = 3
BATCH_SIZE = 64
VISIBLE = 300  # held-out images the learner's sandbox sees (without labels)
HELD_OUT = 500  # held-out images only check.py sees
NOISE = 0.02  # uniform noise added to the visible images, in units of full brightness
# Measured (manage.py lab_margins, 10 seeds, generated stand-in set): the reference (a
# 784-128-10 MLP, Adam, 3 epochs on 3000 rows) scored at least 0.680 on the 300 visible images
# and 0.668 on the 500 held-out ones: worst margins 0.18 and 0.168 over this threshold (chance
# is 0.10). Sampling bound: for a model whose accuracy over the whole test split is p, the
# accuracy on n images drawn without replacement falls below p - t with probability at most
# exp(-2 n t^2) (Hoeffding, which holds without replacement too). The reference's p is about
# 0.70 or more on every training seed measured, so with t = 0.20 and n = 300 a correct solution
# fails with probability below exp(-24) < 1e-10.
ACCURACY_THRESHOLD = 0.50
ATOL = 1e-4  # TorchScript against eager logits: the same float32 operations
RTOL = 1e-4

TESTS = [
    Test("accuracy", 4, _("Accuracy of the trained model"), CORE, uses=("trained", "eager")),
    Test("torchscript_accuracy", 3, _("Accuracy of the TorchScript file"), CORE,
         uses=("exported", "check:scripted")),
    Test("torchscript_matches_eager", 2, _("TorchScript matches the eager model"), EDGE,
         uses=("exported", "eager", "check:scripted"),
         requires=("accuracy", "torchscript_accuracy")),
    Test("shapes", 1, _("Output shape"), EDGE, uses=("shapes",), requires=("accuracy",)),
]  # fmt: skip


def _test_split() -> tuple[np.ndarray, np.ndarray]:
    """MNIST's test split from the worker's store, as uint8 images and int64 labels."""
    return read_arrays("mnist", "test", root=settings.DATASET_DIR)


def prepare(draw: Draw) -> Prepared:
    seed = draw.public.randrange(2**31)
    inputs = {
        "seed": seed,
        "train_rows": TRAIN_ROWS,
        "epochs": EPOCHS,
        "batch_size": BATCH_SIZE,
    }
    try:
        images, labels = _test_split()
    except DatasetError as error:
        # The probe's own read of the training split fails the same way and tells the learner;
        # here nothing can be judged.
        empty = np.zeros((0, 1, 28, 28), np.float32)
        return Prepared(
            inputs={**inputs, "visible": empty},
            hidden={"missing": str(error)},
            check_inputs={"visible": empty, "held_out": empty},
        )
    rng = draw.secret_np
    order = rng.permutation(len(labels))
    visible_count = min(VISIBLE, len(order) // 3)
    held_count = min(HELD_OUT, len(order) - visible_count)
    visible_rows = order[:visible_count]
    held_rows = order[visible_count : visible_count + held_count]
    visible = images[visible_rows].astype(np.float32) / 255.0
    visible += rng.uniform(-NOISE, NOISE, visible.shape).astype(np.float32)
    visible = np.clip(visible, 0.0, 1.0, out=visible)
    held_out = images[held_rows].astype(np.float32) / 255.0
    return Prepared(
        inputs={**inputs, "visible": visible},
        hidden={"visible": labels[visible_rows], "held_out": labels[held_rows]},
        check_inputs={"visible": visible, "held_out": held_out},  # the clean step only
    )


def _logits(value, rows: int):
    """The (rows, 10) logits in ``value``, or a Verdict saying what came instead."""
    if isinstance(value, dict):
        return Verdict.fail(_("The model could not be run: {error}"), error=value.get("error"))
    try:
        logits = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return Verdict.fail(_("The model's output is not a tensor of numbers."))
    if logits.shape != (rows, 10):
        return Verdict.fail(
            _("For a batch of {rows} images the model returned shape {got}, expected {want}."),
            rows=rows, got=list(logits.shape), want=[rows, 10],
        )  # fmt: skip
    if not np.isfinite(logits).all():
        return Verdict.fail(_("The model's output holds NaN or infinite values."))
    return logits


def _accuracy(logits, labels: np.ndarray, what) -> Verdict:
    found = _logits(logits, len(labels))
    if isinstance(found, Verdict):
        return found
    accuracy = float(np.mean(found.argmax(axis=1) == labels))
    margin = accuracy - ACCURACY_THRESHOLD
    if margin < 0:
        return Verdict.fail(
            _("{what}: accuracy {accuracy:.3f} on {count} held-out images; at least "
              "{threshold:.2f} is required (chance is 0.10)."),
            what=what, accuracy=accuracy, count=len(labels), threshold=ACCURACY_THRESHOLD,
        ).with_margin(margin)  # fmt: skip
    return Verdict.ok(
        _("{what}: accuracy {accuracy:.3f} on {count} held-out images (required: "
          "{threshold:.2f})."),
        what=what, accuracy=accuracy, count=len(labels), threshold=ACCURACY_THRESHOLD,
    ).with_margin(margin)  # fmt: skip


def _judge_accuracy(evidence, hidden: dict) -> Verdict:
    trained = evidence["trained"]
    if not trained.get("module"):
        return Verdict.fail(
            _("train must return the trained model (an nn.Module), not {type}."),
            type=trained.get("type"),
        )
    eager = evidence["eager"]
    if not eager.get("tensor"):
        return Verdict.fail(
            _("The model must return a tensor, not {type}."), type=eager.get("type")
        )
    return _accuracy(eager.get("values"), hidden["visible"], _("The trained model"))


def _scripted(evidence):
    """The clean step's outputs, or a Verdict when the file could not be loaded."""
    seen = evidence["check:scripted"]
    problem = seen.get("problem")
    if problem == "missing":
        return Verdict.fail(_("export_torchscript did not write the file it was given."))
    if problem == "not_torchscript":
        return Verdict.fail(
            _("torch.jit.load could not load the file ({detail}): save a TorchScript module "
              "(torch.jit.script or torch.jit.trace, then torch.jit.save or .save), not "
              "torch.save of the model or of its state_dict."),
            detail=seen.get("detail"),
        )  # fmt: skip
    return seen


def _judge_torchscript_accuracy(evidence, hidden: dict) -> Verdict:
    seen = _scripted(evidence)
    if isinstance(seen, Verdict):
        return seen
    return _accuracy(seen.get("held_out"), hidden["held_out"], _("The TorchScript model"))


def _judge_matches(evidence, hidden: dict) -> Verdict:
    seen = _scripted(evidence)
    if isinstance(seen, Verdict):
        return seen
    rows = len(hidden["visible"])
    eager = _logits(evidence["eager"].get("values"), rows)
    if isinstance(eager, Verdict):
        return eager
    worst = float("inf")
    for key, want in (("visible", eager), ("visible_one", eager[:1])):
        got = _logits(seen.get(key), len(want))
        if isinstance(got, Verdict):
            return Verdict.fail(
                _("The TorchScript model on a batch of {rows}: {problem}"), rows=len(want),
                problem=got.message,
            )  # fmt: skip
        difference = float(np.max(np.abs(got - want)))
        margin = -float(np.max(np.abs(got - want) - (ATOL + RTOL * np.abs(want))))
        worst = min(worst, margin)
        if margin < 0:
            return Verdict.fail(
                _("On a batch of {rows} images the TorchScript outputs differ from the eager "
                  "model's in eval mode by up to {difference:.2e} (tolerance {tolerance:g}): "
                  "was the model exported in eval mode?"),
                rows=len(want), difference=difference, tolerance=ATOL,
            ).with_margin(margin)  # fmt: skip
    return Verdict.ok(
        _("The TorchScript file, loaded without your code, gives the eager model's outputs "
          "(batches of {rows} and 1)."),
        rows=rows,
    ).with_margin(worst)  # fmt: skip


def _judge_shapes(seen: dict) -> Verdict:
    for batch in (1, 7):
        got = seen.get(str(batch))
        if got != [batch, 10]:
            return Verdict.fail(
                _("Net() on a batch of {batch} images (N, 1, 28, 28) returned shape {got}, "
                  "expected {want}."),
                batch=batch, got=got, want=[batch, 10],
            )  # fmt: skip
    return Verdict.ok(_("Net maps (N, 1, 28, 28) to (N, 10) for N = 1 and N = 7."))


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if "missing" in hidden:
        return Verdict.fail(_("The grading server has no MNIST data: {detail}"),
                            detail=hidden["missing"])  # fmt: skip
    if test == "accuracy":
        return _judge_accuracy(evidence, hidden)
    if test == "torchscript_accuracy":
        return _judge_torchscript_accuracy(evidence, hidden)
    if test == "torchscript_matches_eager":
        return _judge_matches(evidence, hidden)
    if test == "shapes":
        return _judge_shapes(evidence["shapes"])
    raise KeyError(test)
