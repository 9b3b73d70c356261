"""The trusted half of the GAN checkpoint lab (contract: labs/grader_api.py).

What the lab asks is a mechanism: save the generator whenever the epoch's score improves. The
learner chooses the score, so the expected checkpoint is decided here from the scores the
returned history holds: after each epoch, best.pt must hold the generator's state at the end
of the best epoch so far (any of them, when scores tie). The states themselves are copied by
the probe at each epoch boundary (the loader it gives train tells it when a pass starts), and
best.pt as it was then; all are opened only by check.py, in a clean sandbox, which reports
which epochs' states each version of best.pt equals, tensor by tensor, whether the generator
changed at all during training, and how the final best.pt runs once loaded into a fresh,
traced Generator on latent vectors drawn here that never entered the learner's sandbox.

A submission that does not train (the generator never changes), keeps no checkpoint, or
saves it at the wrong time cannot pass the core tests; the history's format and the models'
shapes are claims or easy cases and count only after them.
"""

from __future__ import annotations

import math

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, EDGE, Draw, Message, Prepared, Test, Verdict, message
from labs.interface import Class, Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Class("Generator", methods={"forward": ("z",)}),
    Class("Discriminator", methods={"forward": ("x",)}),
    Function(
        "train", ("generator", "discriminator", "loader", "epochs", "checkpoint_dir", "device")
    ),
]

EPOCHS = 3
TRAIN_ROWS = 1500
BATCH_SIZE = 64
LATENT = 100
RANGE_SLACK = 1e-6  # tanh in float32 reaches exactly +-1

TESTS = [
    Test("checkpoint_is_best", 4, _("The checkpoint is the best epoch's generator"), CORE,
         uses=("history", "check:saved", "check:trained")),
    Test("saved_on_improvement", 2, _("Saved as soon as the score improves"), CORE,
         uses=("history", "check:saved")),
    Test("checkpoint_loads", 2, _("The checkpoint loads into a fresh Generator"), EDGE,
         uses=("traced", "check:resumed"), requires=("checkpoint_is_best",)),
    Test("shapes", 1, _("Shapes and ranges"), EDGE, uses=("shapes",),
         requires=("checkpoint_is_best",)),
    Test("history", 1, _("Training history"), CLAIM, uses=("history",)),
]  # fmt: skip


def prepare(draw: Draw) -> Prepared:
    z = draw.secret_np.normal(0.0, 1.0, (16, LATENT)).astype(np.float32)
    return Prepared(
        inputs={
            "seed": draw.public.randrange(2**31),
            "epochs": EPOCHS,
            "train_rows": TRAIN_ROWS,
            "batch_size": BATCH_SIZE,
        },
        check_inputs={"epochs": EPOCHS, "z": z},  # the clean step only
    )


# --- the history -------------------------------------------------------------------------------


def _scores(history: dict) -> list[float] | Verdict:
    """The history's scores, one finite number per epoch, or a Verdict saying what is wrong."""
    passes = history.get("passes")
    if passes != EPOCHS:
        return Verdict.fail(
            _("train went over the loader {passes} times for {epochs} epochs: exactly one pass "
              "per epoch is expected (gather what the score needs during that pass)."),
            passes=passes, epochs=EPOCHS,
        )  # fmt: skip
    scores = history.get("scores")
    if not isinstance(scores, list):
        return Verdict.fail(
            _("train must return the history as a list of dicts, not {type}."),
            type=history.get("type"),
        )
    if len(scores) != EPOCHS:
        return Verdict.fail(
            _("The history has {count} entries for {epochs} epochs: one per epoch is expected."),
            count=len(scores), epochs=EPOCHS,
        )  # fmt: skip
    for epoch, score in enumerate(scores, start=1):
        if not isinstance(score, int | float) or not math.isfinite(score):
            return Verdict.fail(
                _("Entry {epoch} of the history has no finite number under the key 'score'."),
                epoch=epoch,
            )
    return [float(score) for score in scores]


def _best_so_far(scores: list[float], epoch: int) -> set[int]:
    """The epochs (1-based) up to ``epoch`` whose score is the best so far."""
    best = max(scores[:epoch])
    return {k for k in range(1, epoch + 1) if scores[k - 1] == best}


def _listing(epochs: set[int]) -> str:
    return ", ".join(str(epoch) for epoch in sorted(epochs))


def _problem(report: dict, epoch: int) -> Verdict | None:
    """A failing verdict for a best.pt that is missing or is not the generator's state_dict."""
    problem = report.get("problem")
    if problem is None:
        return None
    if problem == "missing":
        return Verdict.fail(
            _("After epoch {epoch} there was no checkpoint_dir/best.pt. It must be saved as soon "
              "as the score improves; the first epoch's score always does."),
            epoch=epoch,
        )  # fmt: skip
    if problem == "not_weights_only":
        return Verdict.fail(
            _("best.pt does not load with torch.load(weights_only=True) ({detail}): save the "
              "generator's state_dict, not the module."),
            detail=report.get("detail"),
        )  # fmt: skip
    if problem == "not_state_dict":
        return Verdict.fail(
            _("best.pt holds {type}, not the generator's state_dict (a dictionary of tensors)."),
            type=report.get("type"),
        )
    if problem == "keys":
        return Verdict.fail(
            _("best.pt is not the generator's state_dict: missing {missing}, unexpected "
              "{unexpected}."),
            missing=report.get("missing"), unexpected=report.get("unexpected"),
        )  # fmt: skip
    if problem == "shapes":
        return Verdict.fail(
            _("Tensors of best.pt have other shapes than the generator's: {keys}."),
            keys=report.get("keys"),
        )
    return Verdict.fail(_("The states of the generator could not be compared."))


def _held(equals: list) -> Message:
    if not equals:
        return message(_("none of the generator's states at the ends of the epochs"))
    if equals == [0]:
        return message(_("the generator's state before training"))
    return message(
        _("the generator's state after epoch {epochs}"),
        epochs=_listing({epoch for epoch in equals if epoch}),
    )


def _judge_boundary(report: dict, scores: list[float], epoch: int) -> Verdict:
    problem = _problem(report, epoch)
    if problem is not None:
        return problem
    best = _best_so_far(scores, epoch)
    equals = [int(k) for k in report.get("equals", [])]
    if best & set(equals):
        return Verdict.ok()
    return Verdict.fail(
        _("After epoch {epoch} best.pt held {held}, but the best score so far ({score:.6g}) was "
          "after epoch {best}."),
        epoch=epoch, held=_held(equals), score=max(scores[:epoch]), best=_listing(best),
    )  # fmt: skip


def _judge_is_best(evidence) -> Verdict:
    scores = _scores(evidence["history"])
    if isinstance(scores, Verdict):
        return scores
    trained = evidence["check:trained"]
    if not trained.get("changed"):
        return Verdict.fail(
            _(
                "The generator passed to train did not change during training: train must train "
                "the generator it is given."
            )
        )
    saved = evidence["check:saved"]
    verdict = _judge_boundary(saved.get(str(EPOCHS), {}), scores, EPOCHS)
    if not verdict.passed:
        return verdict
    best = _best_so_far(scores, EPOCHS)
    return Verdict.ok(
        _("best.pt holds the generator after epoch {epoch}, the one with the best score "
          "({score:.6g})."),
        epoch=_listing(best), score=max(scores),
    )  # fmt: skip


def _judge_on_improvement(evidence) -> Verdict:
    scores = _scores(evidence["history"])
    if isinstance(scores, Verdict):
        return scores
    saved = evidence["check:saved"]
    for epoch in range(1, EPOCHS + 1):
        verdict = _judge_boundary(saved.get(str(epoch), {}), scores, epoch)
        if not verdict.passed:
            return verdict
    return Verdict.ok(_("After every epoch best.pt held the generator of the best epoch so far."))


def _in_range(seen: dict) -> bool:
    low, high = seen.get("min"), seen.get("max")
    return (
        isinstance(low, int | float)
        and isinstance(high, int | float)
        and -1 - RANGE_SLACK <= low <= high <= 1 + RANGE_SLACK
    )


def _judge_loads(evidence) -> Verdict:
    seen = evidence["check:resumed"]
    problem = seen.get("problem")
    if problem == "load_state_dict":
        return Verdict.fail(
            _("best.pt does not load into a fresh Generator(): {detail}"), detail=seen.get("detail")
        )
    if problem == "no_generator":
        return Verdict.fail(_("A fresh Generator() could not be traced for the check."))
    if problem == "run":
        return Verdict.fail(
            _("The fresh Generator() with best.pt loaded could not be run ({detail})."),
            detail=seen.get("detail"),
        )
    if problem is not None:
        return _problem(seen, EPOCHS) or Verdict.fail(_("best.pt could not be checked."))
    outputs = seen.get("outputs", {})
    for batch in (1, 16):
        got = outputs.get(str(batch), {})
        if got.get("shape") != [batch, 1, 28, 28] or not got.get("finite") or not _in_range(got):
            return Verdict.fail(
                _("Loaded into a fresh Generator(), best.pt gives for {batch} latent vectors "
                  "images of shape {shape} with values from {low} to {high}; expected shape "
                  "{want} and values in [-1, 1]."),
                batch=batch, shape=got.get("shape"), low=got.get("min"), high=got.get("max"),
                want=[batch, 1, 28, 28],
            )  # fmt: skip
    return Verdict.ok(
        _("best.pt loads into a fresh Generator() (load_state_dict, strict) and generates "
          "(N, 1, 28, 28) images in [-1, 1] from new latent vectors.")
    )  # fmt: skip


def _judge_shapes(seen: dict) -> Verdict:
    for batch in (1, 16):
        got = seen.get(f"generator_{batch}", {})
        if not got.get("tensor") or got.get("shape") != [batch, 1, 28, 28] or not _in_range(got):
            return Verdict.fail(
                _("Generator() for z of shape ({batch}, 100) returned {what} of shape {shape}, "
                  "values from {low} to {high}; expected shape {want} with values in [-1, 1]."),
                batch=batch, what=got.get("type", "tensor"), shape=got.get("shape"),
                low=got.get("min"), high=got.get("max"), want=[batch, 1, 28, 28],
            )  # fmt: skip
        got = seen.get(f"discriminator_{batch}", {})
        if not got.get("tensor") or got.get("shape") != [batch, 1]:
            return Verdict.fail(
                _("Discriminator() for images of shape ({batch}, 1, 28, 28) returned shape "
                  "{shape}; expected {want}."),
                batch=batch, shape=got.get("shape"), want=[batch, 1],
            )  # fmt: skip
    return Verdict.ok(
        _("Generator: (N, 100) -> (N, 1, 28, 28) in [-1, 1]; Discriminator: (N, 1, 28, 28) -> "
          "(N, 1).")
    )  # fmt: skip


def judge(test: str, evidence, hidden) -> Verdict:
    if test == "checkpoint_is_best":
        return _judge_is_best(evidence)
    if test == "saved_on_improvement":
        return _judge_on_improvement(evidence)
    if test == "checkpoint_loads":
        return _judge_loads(evidence)
    if test == "shapes":
        return _judge_shapes(evidence["shapes"])
    if test == "history":
        scores = _scores(evidence["history"])
        if isinstance(scores, Verdict):
            return scores
        return Verdict.ok(
            _("The history has one entry per epoch with a score: {scores}."),
            scores=", ".join(f"{score:.4g}" for score in scores),
        )
    raise KeyError(test)
