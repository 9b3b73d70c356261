"""The trusted half of the knowledge distillation lab (contract: labs/grader_api.py).

The loss is a pure function: the learner's distillation_loss gets logits and labels drawn per
job (with the defaults, with other temperatures and alphas passed by keyword, and once with
the student's logits requiring grad) and this judge computes the right values and the right
gradient with NumPy in float64.

The training part runs on a CIFAR-shaped task made here per job: ten smooth random colour
patterns, one per class; an image is its class's pattern, shifted, dimmed, mixed a little with
another class's and drowned in noise. The training images and their labels (public stream)
enter the sandbox, where the probe trains the learner's Teacher with its own loop and then
calls the learner's distill; the held-out images (secret stream) enter without their labels,
which stay here. Accuracies are computed here from the reported logits.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, EDGE, Draw, Prepared, Test, Verdict
from labs.interface import Class, Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Function(
        "distillation_loss",
        ("student_logits", "teacher_logits", "labels"),
        keywords=("temperature", "alpha"),
    ),
    Class("Teacher", methods={"forward": ("x",)}),
    Class("Student", methods={"forward": ("x",)}),
    Function("distill", ("teacher", "student", "loader", "epochs", "device")),
]

RTOL = 1e-4  # float32 against float64
ATOL = 1e-5
TRAIN_ROWS = 1200
HELD_OUT = 500
BATCH_SIZE = 64
TEACHER_EPOCHS = 2
TEACHER_LR = 2e-3
DISTILL_EPOCHS = 2
SIZE_RATIO = 4  # the student has at most 1/4 of the teacher's parameters
FROZEN_TOLERANCE = 1e-5
# Measured: over 10 draws (manage.py lab_margins) the reference's student scored at least 0.70
# (worst margin 0.30 over this threshold), and over 30 draws replayed outside the sandbox
# 0.70-0.96 (median 0.91) while its teacher scored 0.29-0.996: the student's own cross-entropy
# carries it when a two-epoch teacher is poor. Chance is 0.10. Sampling: for a student whose
# accuracy over the task's distribution is p, the accuracy on n = 500 held-out images falls
# below p - t with probability at most exp(-2 n t^2) (Hoeffding): with p >= 0.70 and t = 0.30
# that is exp(-90).
ACCURACY_THRESHOLD = 0.40

TESTS = [
    Test("loss_default", 2, _("Loss with the default T and alpha"), CORE,
         uses=("loss_default",)),
    Test("loss_parameters", 2, _("Loss with other T and alpha"), CORE, uses=("loss_parameters",)),
    Test("loss_gradient", 1, _("Gradient of the loss"), CORE, uses=("loss_gradient",)),
    Test("student_accuracy", 3, _("Accuracy of the distilled student"), CORE,
         uses=("teacher", "student")),
    Test("teacher_frozen", 1, _("The teacher is not trained"), EDGE,
         uses=("teacher", "teacher_after"), requires=("student_accuracy",)),
    Test("student_size", 1, _("Student size"), CLAIM, uses=("sizes",)),
]  # fmt: skip


# --- the loss, computed here -------------------------------------------------------------


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def expected_loss(student, teacher, labels, temperature: float, alpha: float) -> float:
    """alpha * T^2 * KL(p_teacher || p_student) (batch mean) + (1 - alpha) * mean CE."""
    s, t = student.astype(np.float64), teacher.astype(np.float64)
    log_student = _log_softmax(s / temperature)
    log_teacher = _log_softmax(t / temperature)
    kl = float(np.sum(np.exp(log_teacher) * (log_teacher - log_student))) / len(s)
    ce = float(-np.mean(_log_softmax(s)[np.arange(len(s)), labels]))
    return alpha * temperature**2 * kl + (1 - alpha) * ce


def expected_gradient(student, teacher, labels, temperature: float, alpha: float) -> np.ndarray:
    """d loss / d student_logits: alpha*T*(p_s - p_t)/N + (1 - alpha)*(softmax(s) - onehot)/N."""
    s, t = student.astype(np.float64), teacher.astype(np.float64)
    n = len(s)
    p_student = np.exp(_log_softmax(s / temperature))
    p_teacher = np.exp(_log_softmax(t / temperature))
    onehot = np.zeros_like(s)
    onehot[np.arange(n), labels] = 1.0
    soft = alpha * temperature * (p_student - p_teacher)
    return (soft + (1 - alpha) * (np.exp(_log_softmax(s)) - onehot)) / n


def _logit_case(rng: np.random.Generator, rows: int, classes: int, scale: float) -> dict:
    student = rng.normal(0, scale, (rows, classes)).astype(np.float32)
    teacher = rng.normal(0, scale, (rows, classes)).astype(np.float32)
    if rng.random() < 0.3:  # a teacher close to the student (small KL) now and then
        teacher = (student + rng.normal(0, 0.1, student.shape)).astype(np.float32)
    labels = rng.integers(0, classes, rows).astype(np.int64)
    return {"student": student, "teacher": teacher, "labels": labels}


def _loss_cases(rng: np.random.Generator) -> dict:
    shapes = [(8, 10), (16, 10), (5, 7), (32, 10)]
    default = [
        {**_logit_case(rng, rows, classes, float(rng.choice([1.0, 3.0, 6.0]))),
         "temperature": 4.0, "alpha": 0.7}
        for rows, classes in shapes
    ]  # fmt: skip
    temperatures = [0.5, 1.0, 2.0, 3.0, 5.0, 7.5]
    alphas = [0.0, 1.0, *np.round(rng.uniform(0.1, 0.9, 4), 2).tolist()]
    rng.shuffle(temperatures)
    rng.shuffle(alphas)
    parameters = [
        {**_logit_case(rng, int(rng.integers(4, 24)), 10, float(rng.choice([1.0, 3.0, 6.0]))),
         "temperature": float(t), "alpha": float(a)}
        for t, a in zip(temperatures, alphas, strict=True)
    ]  # fmt: skip
    gradient = {
        **_logit_case(rng, 12, 10, 2.0),
        "temperature": float(rng.choice([2.0, 3.0, 5.0])),
        "alpha": float(np.round(rng.uniform(0.2, 0.8), 2)),
    }
    return {"default": default, "parameters": parameters, "gradient": gradient}


# --- the grader's image task -----------------------------------------------------------------


def _prototypes(rng: np.random.Generator) -> np.ndarray:
    """Ten smooth random colour patterns, (10, 3, 32, 32) in [0, 1]."""
    low = rng.random((10, 3, 4, 4))
    patterns = low.repeat(8, axis=2).repeat(8, axis=3)
    for axis in (2, 3):  # a 7-pixel box blur softens the blocks
        patterns = sum(np.roll(patterns, shift, axis) for shift in range(-3, 4)) / 7
    return np.clip((patterns - 0.5) * 2.5 + 0.5, 0.0, 1.0).astype(np.float32)


def _images(rng: np.random.Generator, prototypes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each label's pattern mixed with another class's, shifted by up to 4 pixels (wrapping),
    dimmed and noised; uint8 (n, 3, 32, 32)."""
    n = len(labels)
    x = prototypes[labels].copy()
    others = (labels + rng.integers(1, 10, n)) % 10
    x += rng.uniform(0.0, 0.6, (n, 1, 1, 1)).astype(np.float32) * prototypes[others]
    shifts = rng.integers(-4, 5, (n, 2))
    for dy, dx in np.unique(shifts, axis=0):  # the rows of each shift at once
        rows = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
        x[rows] = np.roll(x[rows], (int(dy), int(dx)), axis=(2, 3))
    x *= rng.uniform(0.6, 1.0, (n, 1, 1, 1)).astype(np.float32)
    x += rng.normal(0.0, 0.5, x.shape).astype(np.float32)
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)


def prepare(draw: Draw) -> Prepared:
    public = draw.public_np
    prototypes = _prototypes(public)
    train_y = public.permutation(np.arange(TRAIN_ROWS) % 10).astype(np.int64)
    train_x = _images(public, prototypes, train_y)
    secret = draw.secret_np
    held_y = secret.integers(0, 10, HELD_OUT).astype(np.int64)
    held_x = _images(secret, prototypes, held_y)
    cases = _loss_cases(public)
    return Prepared(
        inputs={
            **cases,
            "seed": draw.public.randrange(2**31),
            "train_x": train_x,
            "train_y": train_y,
            "held_out_x": held_x,
            "batch_size": BATCH_SIZE,
            "teacher_epochs": TEACHER_EPOCHS,
            "teacher_lr": TEACHER_LR,
            "distill_epochs": DISTILL_EPOCHS,
        },
        hidden={"cases": cases, "held_out_y": held_y},
    )


# --- judging -----------------------------------------------------------------------------------


def _value(seen) -> float | None:
    value = seen.get("value") if isinstance(seen, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value):
        return float(value)
    return None


def _judge_values(seen, cases: list[dict], *, defaults: bool) -> Verdict:
    if not isinstance(seen, list) or len(seen) != len(cases):
        return Verdict.fail(_("distillation_loss did not return one value per call."))
    worst = float("inf")
    for result, case in zip(seen, cases, strict=True):
        want = expected_loss(
            case["student"], case["teacher"], case["labels"], case["temperature"], case["alpha"]
        )
        got = _value(result)
        shape = list(case["student"].shape)
        if got is None:
            kind = result.get("type") if isinstance(result, dict) else None
            if isinstance(result, dict) and result.get("tensor"):
                kind = f"tensor {result.get('shape')}"
            return Verdict.fail(
                _("For logits of shape {shape} distillation_loss must return a finite scalar "
                  "(a tensor of one element), not {kind}."),
                shape=shape, kind=kind,
            )  # fmt: skip
        allowed = ATOL + RTOL * abs(want)
        worst = min(worst, (allowed - abs(got - want)) / allowed)
        if abs(got - want) > allowed:
            if defaults:
                return Verdict.fail(
                    _("For logits of shape {shape} with the defaults (T = 4, alpha = 0.7) "
                      "expected {want:.6g}, got {got:.6g}."),
                    shape=shape, want=want, got=got,
                ).with_margin(worst)  # fmt: skip
            return Verdict.fail(
                _("For logits of shape {shape} with temperature = {temperature:g}, alpha = "
                  "{alpha:g} expected {want:.6g}, got {got:.6g}."),
                shape=shape, temperature=case["temperature"], alpha=case["alpha"], want=want,
                got=got,
            ).with_margin(worst)  # fmt: skip
    # Margin: the share of the tolerance left in the worst case (1: exact, 0: at the edge).
    return Verdict.ok(_("Correct in all {count} cases."), count=len(cases)).with_margin(worst)


def _judge_gradient(seen, case: dict) -> Verdict:
    if not seen.get("graph"):
        return Verdict.fail(
            _("The loss must be a tensor that gradients flow back through (got {type}): do not "
              "convert it to a number, detach it or compute it under torch.no_grad()."),
            type=seen.get("type"),
        )  # fmt: skip
    want = expected_gradient(
        case["student"], case["teacher"], case["labels"], case["temperature"], case["alpha"]
    )
    values = seen.get("values")
    got = None if values is None else np.asarray(values, dtype=np.float64)
    if got is None or got.shape != want.shape:
        return Verdict.fail(_("No gradient reached the student's logits."))
    difference = float(np.max(np.abs(got - want)))
    allowed = ATOL + RTOL * float(np.max(np.abs(want)))
    margin = (allowed - difference) / allowed
    if not np.isfinite(difference) or difference > allowed:
        return Verdict.fail(
            _("The gradient with respect to the student's logits (temperature = "
              "{temperature:g}, alpha = {alpha:g}) differs from the right one by up to "
              "{difference:.2e}."),
            temperature=case["temperature"], alpha=case["alpha"],
            difference=difference if np.isfinite(difference) else float("inf"),
        ).with_margin(margin)  # fmt: skip
    return Verdict.ok(_("The gradient reaching the student's logits is right.")).with_margin(margin)


def _predictions(seen, rows: int):
    values = seen.get("values") if isinstance(seen, dict) and seen.get("tensor") else None
    if values is None:
        return None
    logits = np.asarray(values, dtype=np.float64)
    if logits.shape != (rows, 10) or not np.isfinite(logits).all():
        return None
    return logits


def _judge_student(evidence, hidden: dict) -> Verdict:
    labels = hidden["held_out_y"]
    teacher = _predictions(evidence["teacher"], len(labels))
    seen = evidence["student"]
    if not seen.get("module"):
        return Verdict.fail(_("distill must return the trained student (an nn.Module), not "
                              "{type}."), type=seen.get("type"))  # fmt: skip
    student = _predictions(seen, len(labels))
    if student is None:
        return Verdict.fail(
            _("The student must map a batch of {rows} images (N, 3, 32, 32) to finite logits "
              "of shape ({rows}, 10)."),
            rows=len(labels),
        )  # fmt: skip
    accuracy = float(np.mean(student.argmax(axis=1) == labels))
    teacher_accuracy = (
        float(np.mean(teacher.argmax(axis=1) == labels)) if teacher is not None else float("nan")
    )
    margin = accuracy - ACCURACY_THRESHOLD
    if margin < 0:
        return Verdict.fail(
            _("The student's accuracy on {count} held-out images is {accuracy:.3f} (the "
              "teacher's: {teacher:.3f}); at least {threshold:.2f} is required (chance is "
              "0.10)."),
            count=len(labels), accuracy=accuracy, teacher=teacher_accuracy,
            threshold=ACCURACY_THRESHOLD,
        ).with_margin(margin)  # fmt: skip
    return Verdict.ok(
        _("The student's accuracy on {count} held-out images is {accuracy:.3f} (the teacher's: "
          "{teacher:.3f}; required: {threshold:.2f})."),
        count=len(labels), accuracy=accuracy, teacher=teacher_accuracy,
        threshold=ACCURACY_THRESHOLD,
    ).with_margin(margin)  # fmt: skip


def _judge_frozen(evidence, hidden: dict) -> Verdict:
    rows = len(hidden["held_out_y"])
    before = _predictions(evidence["teacher"], rows)
    after = _predictions(evidence["teacher_after"], rows)
    if before is None or after is None:
        return Verdict.fail(_("The teacher's outputs could not be compared."))
    difference = float(np.max(np.abs(after - before)))
    if difference > FROZEN_TOLERANCE:
        return Verdict.fail(
            _("After distill the teacher's outputs changed by up to {difference:.2e}: only the "
              "student may be trained (keep the teacher's parameters out of the optimizer, run "
              "it under torch.no_grad() in eval mode)."),
            difference=difference,
        )  # fmt: skip
    return Verdict.ok(_("The teacher is unchanged after distill."))


def _judge_size(seen: dict) -> Verdict:
    teacher, student = seen.get("teacher"), seen.get("student")
    if not isinstance(teacher, int) or not isinstance(student, int) or teacher <= 0:
        return Verdict.fail(_("The parameters of Teacher() and Student() could not be counted."))
    if student * SIZE_RATIO > teacher:
        return Verdict.fail(
            _("Student() has {student} parameters and Teacher() {teacher}: the student may "
              "have at most a quarter of the teacher's ({most})."),
            student=student, teacher=teacher, most=teacher // SIZE_RATIO,
        )  # fmt: skip
    return Verdict.ok(
        _("Student() has {student} parameters, Teacher() {teacher} (ratio {ratio:.3f})."),
        student=student, teacher=teacher, ratio=student / teacher,
    )  # fmt: skip


def judge(test: str, evidence, hidden: dict) -> Verdict:
    cases = hidden["cases"]
    if test == "loss_default":
        return _judge_values(evidence["loss_default"], cases["default"], defaults=True)
    if test == "loss_parameters":
        return _judge_values(evidence["loss_parameters"], cases["parameters"], defaults=False)
    if test == "loss_gradient":
        return _judge_gradient(evidence["loss_gradient"], cases["gradient"])
    if test == "student_accuracy":
        return _judge_student(evidence, hidden)
    if test == "teacher_frozen":
        return _judge_frozen(evidence, hidden)
    if test == "student_size":
        return _judge_size(evidence["sizes"])
    raise KeyError(test)
