"""The trusted half of the scheduled-sampling lab (contract: labs/grader_api.py).

The core of the lab is the grader's own training of the learner's SeqModel with the learner's
schedule on sine waves whose frequency is drawn per job, followed by free-running prediction
of new waves from their first point: the judge alone holds their continuation. The
schedule is checked on numbers of epochs drawn per job. How forward uses its targets is
read from a small fresh model: which outputs move when one target is changed (ratio 1.0),
whether the targets matter at all (ratio 0.0), and, over many calls at one ratio, which steps
consumed their target (the probe reads it from gradients: a step that fed back the model's
own output passes none to the target it skipped).

Statistical bounds (a correct solution fails these checks with probability < 1e-6):

- Rate. Over CALLS calls of STEPS - 1 = 19 steps, the share of steps that consumed their
  target is a mean of n = 100 * 19 = 1900 independent variables in [0, 1] (one per call and
  step: the share of the batch's rows forced at that step, whether the coin is shared by the
  batch or drawn per row), each with mean ``ratio``. Hoeffding: P(|share - ratio| >= 0.065)
  <= 2 exp(-2 * 1900 * 0.065**2) = 2.1e-7.
- Per step, not per call. A row keeps one choice for all 19 steps with probability
  q = r**19 + (1 - r)**19 <= 0.8**19 + 0.2**19 = 0.0144 for the ratios drawn here
  (0.2-0.8). The share of such rows is a mean of 100 independent per-call shares in [0, 1]
  with mean q; Hoeffding: P(share >= 0.5) <= exp(-2 * 100 * (0.5 - 0.0144)**2) = 3e-21. A
  coin drawn once per call (or once per sequence) gives a share of 1.

Training threshold (free-running MSE < 0.05, from the contract), measured with
`manage.py lab_margins dl-11-scheduled-sampling --seeds 10`: the reference's worst free-running
MSE was 0.0037 (margin 0.046), its largest rate deviation 0.019 (tolerance 0.065). An
exponential (0.7**epoch) and a step schedule (1, then 0) trained as well in trials.
"""

from __future__ import annotations

import math

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CORE, EDGE, Draw, Prepared, Test, Verdict
from labs.interface import Class, Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Class(
        "SeqModel", init=("input_size", "hidden_size", "output_size"), methods={"forward": ("x",)}
    ),
    Function("teacher_forcing_schedule", ("epoch", "total_epochs")),
]

STEPS = 20  # time steps of every sequence
SMALL_ROWS = 4
SMALL = (3, 2)  # input_size, output_size of the small model
TRAIN, TEST = 512, 200
PERIOD = (12.0, 20.0)  # steps per period of the sine waves
RATIOS = (0.2, 0.25, 0.3, 0.7, 0.75, 0.8)
CALLS = 100
RATE_TOLERANCE = 0.065  # see the bound above
CONSTANT_SHARE = 0.5  # see the bound above
MSE_THRESHOLD = 0.05
EXACT = 1e-6  # "does not change": outputs equal up to float32 rounding

TESTS = [
    Test("free_running", 4, _("Free-running prediction after training"), CORE,
         uses=("training", "free_running")),
    Test("schedule", 2, _("Teacher-forcing schedule"), CORE, uses=("schedule",)),
    Test("ratio_one", 1, _("Ratio 1.0: the previous target"), EDGE, uses=("ratio_one",),
         requires=("free_running",)),
    Test("ratio_zero", 1, _("Ratio 0.0: no targets"), EDGE, uses=("ratio_zero",),
         requires=("free_running",)),
    Test("per_step", 2, _("A coin per step"), EDGE, uses=("forcing",),
         requires=("free_running",)),
]  # fmt: skip


def _waves(rng: np.random.Generator, count: int, omega: float) -> tuple[np.ndarray, np.ndarray]:
    """Points (sin, cos) of waves with random phases: x[:, t] = y_t, targets[:, t] = y_{t+1}."""
    phase = rng.uniform(0, 2 * np.pi, size=(count, 1))
    angle = phase + omega * np.arange(STEPS + 1)[None, :]
    points = np.stack([np.sin(angle), np.cos(angle)], axis=2).astype(np.float32)
    return points[:, :-1].copy(), points[:, 1:].copy()


def prepare(draw: Draw) -> Prepared:
    rng, public = draw.public_np, draw.public
    omega = 2 * np.pi / public.uniform(*PERIOD)
    train_x, train_y = _waves(rng, TRAIN, omega)
    test_x, test_y = _waves(draw.secret_np, TEST, omega)
    test_x[:, 1:] = 0.0  # only the first point enters the sandbox: the rest is the answer
    epochs = [2, public.randint(3, 9), 12, public.randint(20, 60)]
    public.shuffle(epochs)
    ratio = public.choice(RATIOS)
    return Prepared(
        inputs={
            "seed": public.randrange(2**31),
            "schedule_epochs": epochs,
            "small_x": rng.normal(size=(SMALL_ROWS, STEPS, SMALL[0])).astype(np.float32),
            "small_targets": rng.normal(size=(SMALL_ROWS, STEPS, SMALL[1])).astype(np.float32),
            "small_other": rng.normal(size=(SMALL_ROWS, STEPS, SMALL[1])).astype(np.float32),
            "grad_weights": rng.normal(size=(SMALL_ROWS, STEPS, SMALL[1])).astype(np.float32),
            "ratio": ratio,
            "calls": CALLS,
            "train_x": train_x,
            "train_y": train_y,
            "test_x": test_x,
        },
        hidden={"test_y": test_y.astype(np.float64), "epochs": epochs, "ratio": ratio},
    )


def _judge_schedule(seen, hidden: dict) -> Verdict:
    if not isinstance(seen, dict):
        return Verdict.fail(_("teacher_forcing_schedule returned no values."))
    for total in hidden["epochs"]:
        values = seen.get(str(total))
        if not isinstance(values, list) or len(values) != total:
            return Verdict.fail(_("teacher_forcing_schedule returned no values."))
        if not all(isinstance(v, float) and math.isfinite(v) and 0 <= v <= 1 for v in values):
            return Verdict.fail(
                _("With {total} epochs the schedule leaves [0, 1]: {values}."),
                total=total, values=[round(v, 4) if isinstance(v, float) else v for v in values],
            )  # fmt: skip
        if abs(values[0] - 1.0) > 1e-9:
            return Verdict.fail(
                _("With {total} epochs the schedule starts at {value:.4g}, not at 1."),
                total=total, value=values[0],
            )  # fmt: skip
        rises = [e for e in range(1, total) if values[e] > values[e - 1] + 1e-12]
        if rises:
            return Verdict.fail(
                _("With {total} epochs the schedule rises at epoch {epoch}: {before:.4g} -> "
                  "{after:.4g}."),
                total=total, epoch=rises[0], before=values[rises[0] - 1], after=values[rises[0]],
            )  # fmt: skip
        if values[-1] > 1.0 / total + 1e-12:
            return Verdict.fail(
                _("With {total} epochs the schedule ends at {value:.4g}; it must end at or "
                  "below 1/{total} = {bound:.4g}."),
                total=total, value=values[-1], bound=1.0 / total,
            )  # fmt: skip
    return Verdict.ok(
        _("Starts at 1, never rises, ends at or below 1/total_epochs (checked for {counts} "
          "epochs)."),
        counts=sorted(hidden["epochs"]),
    )  # fmt: skip


def _judge_free_running(seen, hidden: dict) -> Verdict:
    want = hidden["test_y"]
    values = np.asarray(seen, dtype=np.float64)
    if values.shape != want.shape:
        return Verdict.fail(
            _("Free-running forward returned shape {got}, expected {want}."),
            got=list(values.shape), want=list(want.shape),
        )  # fmt: skip
    mse = float(np.mean((values - want) ** 2)) if np.isfinite(values).all() else float("inf")
    if not mse < MSE_THRESHOLD:
        return Verdict.fail(
            _("After the grader's training, free-running prediction of new waves has MSE "
              "{mse:.4f}; it must be below {threshold:g}."),
            mse=mse, threshold=MSE_THRESHOLD,
        ).with_margin(MSE_THRESHOLD - mse if math.isfinite(mse) else -1.0)  # fmt: skip
    return Verdict.ok(
        _("Free-running MSE on new waves: {mse:.4f} (must be below {threshold:g})."),
        mse=mse, threshold=MSE_THRESHOLD,
    ).with_margin(MSE_THRESHOLD - mse)  # fmt: skip


def _judge_ratio_one(seen) -> Verdict:
    moved = np.asarray(seen, dtype=np.float64)  # [changed target k, output step t]
    if moved.shape != (STEPS, STEPS) or not np.isfinite(moved).all():
        return Verdict.fail(_("forward did not return comparable outputs."))
    for k in range(STEPS):
        later = moved[k, : k + 1]  # outputs 0..k must not see targets[:, k]
        if later.max() > EXACT:
            t = int(np.argmax(later > EXACT))
            return Verdict.fail(
                _("With ratio 1.0, output {t} changes when targets[:, {k}] changes: an output "
                  "must not depend on its own or later targets (output t consumes "
                  "targets[:, t-1])."),
                t=t, k=k,
            )  # fmt: skip
        if k + 1 < STEPS and moved[k, k + 1] <= EXACT:
            return Verdict.fail(
                _("With ratio 1.0, output {t} does not change when targets[:, {k}] changes: "
                  "step {t} must consume targets[:, {k}]."),
                t=k + 1, k=k,
            )  # fmt: skip
    return Verdict.ok(_("With ratio 1.0, output t depends on targets[:, t-1] and on no later "
                        "target."))  # fmt: skip


def _judge_ratio_zero(seen) -> Verdict:
    if not isinstance(seen, dict):
        return Verdict.fail(_("forward did not return comparable outputs."))
    other, free = seen.get("targets"), seen.get("none")
    if not isinstance(other, float) or not isinstance(free, float):
        return Verdict.fail(_("forward did not return comparable outputs."))
    if not other <= EXACT:
        return Verdict.fail(
            _("With ratio 0.0 the outputs change with the targets (by up to {difference:.3g}): "
              "every step must feed back the model's own output."),
            difference=other,
        )  # fmt: skip
    if not free <= EXACT:
        return Verdict.fail(
            _("With ratio 0.0 the outputs differ from those with targets=None (by up to "
              "{difference:.3g}): both must run free."),
            difference=free,
        )  # fmt: skip
    return Verdict.ok(_("With ratio 0.0 the targets do not matter, as with targets=None."))


def _judge_per_step(seen, hidden: dict) -> Verdict:
    forced = np.asarray(seen)
    if forced.ndim != 3 or forced.shape[0] != CALLS or forced.shape[2] != STEPS - 1:
        return Verdict.fail(_("forward did not return comparable outputs."))
    forced = forced.astype(bool)
    ratio = hidden["ratio"]
    share = float(forced.mean())
    if abs(share - ratio) > RATE_TOLERANCE:
        return Verdict.fail(
            _("With ratio {ratio:g}, {share:.1%} of the steps consumed their target (tolerance "
              "±{tolerance:g}); a step must consume the target with probability equal to the "
              "ratio."),
            ratio=ratio, share=share, tolerance=RATE_TOLERANCE,
        )  # fmt: skip
    constant = forced.all(axis=2) | (~forced).all(axis=2)  # (calls, rows)
    constant_share = float(constant.mean())
    if constant_share >= CONSTANT_SHARE:
        return Verdict.fail(
            _("In {share:.0%} of the sequences every step made the same choice (all targets or "
              "none): the coin must be drawn anew at every step, not once per call."),
            share=constant_share,
        )  # fmt: skip
    return Verdict.ok(
        _("With ratio {ratio:g}, {share:.1%} of the steps consumed their target, with the choice "
          "drawn per step."),
        ratio=ratio, share=share,
    ).with_margin(RATE_TOLERANCE - abs(share - ratio))  # fmt: skip


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test == "free_running":
        return _judge_free_running(evidence["free_running"], hidden)
    if test == "schedule":
        return _judge_schedule(evidence["schedule"], hidden)
    if test == "ratio_one":
        return _judge_ratio_one(evidence["ratio_one"])
    if test == "ratio_zero":
        return _judge_ratio_zero(evidence["ratio_zero"])
    if test == "per_step":
        return _judge_per_step(evidence["forcing"], hidden)
    raise KeyError(test)
