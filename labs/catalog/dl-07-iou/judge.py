"""The trusted half of the IoU lab (contract: labs/grader_api.py).

The learner's ``iou`` gets one shuffled list of box pairs in which identical, disjoint,
touching, nested, zero-area and partly overlapping pairs are mixed, with nothing saying which
is which; ``iou_matrix`` gets a small set with zero-area boxes among ordinary ones and a
1500x1500 set. The probe returns every value (the large matrix as its non-zero entries) and
this judge compares all of them with IoU computed here. "Vectorised" is read from the source
(iou_matrix and every function it calls); the time budget from the CPU and wall time that
the sandbox measured for the whole run.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import (
    CLAIM,
    CORE,
    EDGE,
    JOB,
    SOURCE,
    Draw,
    Prepared,
    Test,
    Verdict,
    in_background,
    message,
)
from labs.interface import Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [Function("iou", ("box1", "box2")), Function("iou_matrix", ("a", "b"))]

TOLERANCE = 1e-6
MATRIX_TOLERANCE = 1e-5
# The large matrix has coordinates up to ~1000: float32 areas there carry ~1e-5 of error.
LARGE_TOLERANCE = 1e-4
LARGE_COUNT = 1500
# CPU and wall time of the whole run, as the sandbox measures them. The reference takes ~0.1 s
# of each on a quiet machine; CPU time hardly changes on a busy one, wall time does (0.3-0.6 s
# seen at a load of 8-20 on two cores), hence the room.
CPU_BUDGET_S = 2.0
WALL_BUDGET_S = 5.0

TESTS = [
    Test("identical", 1, _("Identical boxes"), EDGE, uses=("pairs",),
         requires=("partial_overlap",)),
    Test("disjoint", 1, _("Disjoint boxes"), EDGE, uses=("pairs",),
         requires=("partial_overlap",)),
    Test("touching", 1, _("Touching edges"), EDGE, uses=("pairs",),
         requires=("partial_overlap",)),
    Test("containment", 1, _("Nested boxes"), CORE, uses=("pairs",)),
    Test("partial_overlap", 2, _("Partial overlap"), CORE, uses=("pairs",)),
    Test("python_float", 1, _("Result type"), CLAIM, uses=("pairs",)),
    Test("zero_area", 1, _("Zero-area boxes"), EDGE, uses=("pairs", "matrix"),
         requires=("partial_overlap", "matrix_values")),
    Test("matrix_values", 2, _("Matrix values"), CORE, uses=("matrix",)),
    Test("vectorised", 1, _("Vectorised"), CLAIM, uses=(SOURCE,)),
    Test("large_matrix", 2, _("Large matrix"), CORE, uses=("large",)),
    Test("time_budget", 1, _("Time"), EDGE, uses=(JOB,), requires=("large_matrix",)),
]  # fmt: skip

PAIR_TESTS = ("identical", "disjoint", "touching", "containment", "partial_overlap")


def expected_iou(a, b) -> float:
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    area_a = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1])
    area_b = max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def _box(rng, low=0.0, high=100.0) -> list[float]:
    x, y = rng.uniform(low, high), rng.uniform(low, high)
    return [round(x, 3), round(y, 3), round(x + rng.uniform(1, 50), 3),
            round(y + rng.uniform(1, 50), 3)]  # fmt: skip


def _pairs(rng) -> list[tuple[str, list[float], list[float]]]:
    """Pairs of every kind, each tagged with the test it serves (the tag stays here)."""
    pairs = []
    for _n in range(4):
        box = _box(rng)
        pairs.append(("identical", box, list(box)))
    for _n in range(4):
        a = _box(rng)
        if rng.random() < 0.5:
            dx = a[2] - a[0] + rng.uniform(0.5, 20)
            b = [a[0] + dx, a[1], a[2] + dx, a[3]]
        else:
            dy = a[3] - a[1] + rng.uniform(0.5, 20)
            b = [a[0] + rng.uniform(-5, 5), a[1] + dy, a[2], a[3] + dy]
        pairs.append(("disjoint", a, [round(v, 3) for v in b]))
    for _n in range(3):
        a = _box(rng)
        w, h = a[2] - a[0], a[3] - a[1]
        pairs.append(("touching", a, [a[2], a[1], round(a[2] + w, 3), a[3]]))  # right edge
        pairs.append(("touching", a, [a[0], a[3], a[2], round(a[3] + h, 3)]))  # bottom edge
    a = _box(rng)
    pairs.append(("touching", a, [a[2], a[3], a[2] + 5, a[3] + 5]))  # a shared corner
    for _n in range(4):
        outer = [0.0, 0.0, round(rng.uniform(40, 100), 3), round(rng.uniform(40, 100), 3)]
        inner = [outer[0] + 5, outer[1] + 5, round(outer[2] - rng.uniform(5, 30), 3),
                 outer[3] - 5]  # fmt: skip
        pairs.append(("containment", outer, inner))
    while sum(1 for kind, *_ in pairs if kind == "partial_overlap") < 12:
        a, b = _box(rng, 0, 40), _box(rng, 0, 40)
        if 0 < expected_iou(a, b) < 1:
            pairs.append(("partial_overlap", a, b))
    point = [round(rng.uniform(1, 50), 3)] * 2
    flat = _box(rng)
    pairs += [
        ("zero_area", point * 2, point * 2),  # two equal point boxes: union 0
        ("zero_area", [flat[0], flat[1], flat[0], flat[3]], flat),  # zero width, inside
        ("zero_area", [flat[0], flat[1], flat[2], flat[1]], _box(rng)),  # zero height
        ("zero_area", _box(rng), [flat[2], flat[3], flat[2], flat[3]]),
    ]
    # Either box may come first; then the whole list is shuffled.
    pairs = [(k, b, a) if rng.random() < 0.5 else (k, a, b) for k, a, b in pairs]
    rng.shuffle(pairs)
    return pairs


def _matrix_boxes(rng) -> tuple[np.ndarray, np.ndarray]:
    """Small sets with zero-area boxes, a repeated box and touching boxes among ordinary ones."""
    a = [_box(rng) for _n in range(5)]
    b = [_box(rng) for _n in range(4)]
    point = [round(rng.uniform(10, 60), 3)] * 2
    a.append(point * 2)
    b.append(point * 2)
    a.append([a[0][0], a[0][1], a[0][0], a[0][3]])  # zero width
    b.append(list(a[1]))  # identical to a box of a
    b.append([a[2][2], a[2][1], a[2][2] + 7.5, a[2][3]])  # touching a box of a
    rng.shuffle(a)
    rng.shuffle(b)
    return np.array(a, dtype=np.float32), np.array(b, dtype=np.float32)


def _large_boxes(rng_np: np.random.Generator, rng) -> tuple[np.ndarray, np.ndarray]:
    def boxes() -> np.ndarray:
        xy = rng_np.uniform(0, 900, size=(LARGE_COUNT, 2))
        wh = rng_np.uniform(1, 50, size=(LARGE_COUNT, 2))
        return np.round(np.concatenate([xy, xy + wh], axis=1), 3)

    a, b = boxes(), boxes()
    # Random small boxes on a big canvas rarely meet: move some of b onto boxes of a.
    for _n in range(40):
        i, j = rng.randrange(LARGE_COUNT), rng.randrange(LARGE_COUNT)
        shift = np.array([rng.uniform(-10, 10), rng.uniform(-10, 10)] * 2)
        b[j] = np.round(a[i] + shift, 3)
    return a.astype(np.float32), b.astype(np.float32)


def prepare(draw: Draw) -> Prepared:
    rng = draw.public
    pairs = _pairs(rng)
    matrix_a, matrix_b = _matrix_boxes(rng)
    large_a, large_b = _large_boxes(draw.public_np, rng)
    return Prepared(
        inputs={
            "pairs": [[a, b] for _kind, a, b in pairs],
            "matrix_a": matrix_a,
            "matrix_b": matrix_b,
            "large_a": large_a,
            "large_b": large_b,
        },
        hidden={
            "pairs": pairs,
            # What the learner's tensors hold: float32 coordinates, compared in float64.
            "matrix_a": matrix_a.astype(np.float64),
            "matrix_b": matrix_b.astype(np.float64),
            "large_a": large_a.astype(np.float64),
            "large_b": large_b.astype(np.float64),
            # Computed while the sandbox runs.
            "large_expected": in_background(
                overlapping_pairs, large_a.astype(np.float64), large_b.astype(np.float64)
            ),
        },
    )


def iou_table(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every pair of two small sets, in float64."""
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(bottom_right - top_left, 0, None).prod(axis=2)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(axis=1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def overlapping_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and IoU of the pairs of boxes that overlap (all others have IoU 0),
    without building the whole matrix: candidates come from b sorted by x_min."""
    ax1, ay1, ax2, ay2 = a.T
    bx1, by1, bx2, by2 = b.T
    order = np.argsort(bx1, kind="stable")
    sorted_x1 = bx1[order]
    widest = float(np.max(bx2 - bx1, initial=0.0))
    low = np.searchsorted(sorted_x1, ax1 - widest, "left")
    high = np.searchsorted(sorted_x1, ax2, "left")
    counts = np.maximum(high - low, 0)
    rows = np.repeat(np.arange(len(a)), counts)
    cols = order[np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts - low, counts)]
    meet = (bx2[cols] > ax1[rows]) & (bx1[cols] < ax2[rows])
    meet &= (ay1[rows] < by2[cols]) & (by1[cols] < ay2[rows])
    rows, cols = rows[meet], cols[meet]
    inter = (np.minimum(ax2[rows], bx2[cols]) - np.maximum(ax1[rows], bx1[cols])) * (
        np.minimum(ay2[rows], by2[cols]) - np.maximum(ay1[rows], by1[cols])
    )
    union = (ax2 - ax1)[rows] * (ay2 - ay1)[rows] + (bx2 - bx1)[cols] * (by2 - by1)[cols] - inter
    return rows, cols, inter / union


def _number(value) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _close(value, want: float, tolerance: float) -> bool:
    number = _number(value)
    return number is not None and not np.isnan(number) and abs(number - want) <= tolerance


def _box_text(box) -> list[float]:
    return [round(float(v), 3) for v in box]


def _judge_pairs(test: str, seen: dict, hidden: dict) -> Verdict:
    values = seen.get("values") if isinstance(seen, dict) else None
    pairs = hidden["pairs"]
    if not isinstance(values, list) or len(values) != len(pairs):
        return Verdict.fail(_("iou did not return one number per pair of boxes."))
    count = 0
    for value, (kind, a, b) in zip(values, pairs, strict=True):
        if kind != test:
            continue
        count += 1
        want = expected_iou(a, b)
        if not _close(value, want, TOLERANCE):
            return Verdict.fail(
                _("For boxes {a} and {b} expected {want:.6f}, got {got}."),
                a=a, b=b, want=want, got=value,
            )  # fmt: skip
    return Verdict.ok(_("Correct for every pair of this kind ({count})."), count=count)


def _judge_python_float(seen: dict) -> Verdict:
    flags = seen.get("python_float") if isinstance(seen, dict) else None
    if not isinstance(flags, list) or not flags:
        return Verdict.fail(_("iou returned no values."))
    wrong = sum(1 for flag in flags if flag is not True)
    if wrong:
        return Verdict.fail(
            _(
                "iou must return a Python float; for {wrong} of {total} pairs it returned "
                "another type (a tensor, numpy.float64 or a float subclass)."
            ),
            wrong=wrong,
            total=len(flags),
        )
    return Verdict.ok(_("iou returns a Python float."))


def _matrix_problem(seen, rows: int, cols: int) -> Verdict | None:
    if not isinstance(seen, dict) or not seen.get("tensor"):
        kind = seen.get("type") if isinstance(seen, dict) else None
        return Verdict.fail(_("iou_matrix must return a torch.Tensor, not {kind}."), kind=kind)
    shape = seen.get("shape")
    if shape != [rows, cols]:
        return Verdict.fail(
            _("Expected a matrix of shape {want}, got {got}."), want=[rows, cols], got=shape
        )
    if not seen.get("floating"):
        return Verdict.fail(_("iou_matrix must return a floating-point tensor."))
    return None


def _judge_matrix(seen, hidden: dict, *, zero_area: bool) -> Verdict:
    a, b = hidden["matrix_a"], hidden["matrix_b"]
    problem = _matrix_problem(seen, len(a), len(b))
    if problem is not None:
        return problem
    values = np.asarray(seen.get("values"), dtype=np.float64)
    if values.shape != (len(a), len(b)):
        return Verdict.fail(_("iou_matrix returned values of the wrong shape."))
    want = iou_table(a, b)
    degenerate = (np.prod(a[:, 2:] - a[:, :2], axis=1) <= 0)[:, None] | (
        np.prod(b[:, 2:] - b[:, :2], axis=1) <= 0
    )[None, :]
    cells = degenerate if zero_area else ~degenerate
    wrong = cells & ~(np.abs(values - want) <= MATRIX_TOLERANCE)  # NaN is wrong too
    if wrong.any():
        i, j = (int(k) for k in np.argwhere(wrong)[0])
        return Verdict.fail(
            _("Cell [{i}, {j}] (boxes {a} and {b}): expected {want:.6f}, got {got}."),
            i=i, j=j, a=_box_text(a[i]), b=_box_text(b[j]), want=float(want[i, j]),
            got=float(values[i, j]),
        )  # fmt: skip
    return Verdict.ok()


def _judge_zero_area(evidence, hidden: dict) -> Verdict:
    seen = evidence["pairs"]
    values = seen.get("values") if isinstance(seen, dict) else None
    if not isinstance(values, list) or len(values) != len(hidden["pairs"]):
        return Verdict.fail(_("iou did not return one number per pair of boxes."))
    for value, (kind, a, b) in zip(values, hidden["pairs"], strict=True):
        if kind == "zero_area" and not _close(value, 0.0, TOLERANCE):
            return Verdict.fail(
                _("iou for zero-area boxes {a} and {b} must be 0, got {got}."), a=a, b=b,
                got=value,
            )  # fmt: skip
    verdict = _judge_matrix(evidence["matrix"], hidden, zero_area=True)
    if not verdict.passed:
        return Verdict.fail(_("iou_matrix on zero-area boxes: {detail}"), detail=verdict.message)
    return Verdict.ok(_("Zero area gives 0 in both functions."))


def _judge_large(seen, hidden: dict) -> Verdict:
    a, b = hidden["large_a"], hidden["large_b"]
    problem = _matrix_problem(seen, LARGE_COUNT, LARGE_COUNT)
    if problem is not None:
        return problem
    rows, cols, want = hidden["large_expected"].result()
    if seen.get("rows") is None:
        return Verdict.fail(
            _("The 1500×1500 matrix has {count} non-zero values; it can have at most {most}."),
            count=seen.get("nonzero"), most=len(want),
        )  # fmt: skip
    seen_rows = np.asarray(seen["rows"], dtype=np.int64).ravel()
    seen_cols = np.asarray(seen["cols"], dtype=np.int64).ravel()
    seen_values = np.asarray(seen["values"], dtype=np.float64).ravel()
    if not (seen_rows.size == seen_cols.size == seen_values.size):
        return Verdict.fail(_("The large matrix was reported in an unexpected form."))
    if seen_rows.size and (
        seen_rows.min() < 0
        or seen_cols.min() < 0
        or max(seen_rows.max(), seen_cols.max()) >= LARGE_COUNT
    ):
        return Verdict.fail(_("The large matrix was reported in an unexpected form."))
    # Every cell: reported ones (the rest are 0) against expected ones (the rest are 0).
    want_keys = rows * LARGE_COUNT + cols
    order = np.argsort(want_keys)
    want_keys, want = want_keys[order], want[order]
    seen_keys = seen_rows * LARGE_COUNT + seen_cols
    at = np.minimum(np.searchsorted(want_keys, seen_keys), max(len(want_keys) - 1, 0))
    matched = (want_keys[at] == seen_keys) if len(want_keys) else np.zeros(len(seen_keys), bool)
    expected_at_seen = np.where(matched, want[at] if len(want) else 0.0, 0.0)
    covered = np.zeros(len(want_keys), dtype=bool)
    covered[at[matched]] = True
    bad_seen = ~(np.abs(seen_values - expected_at_seen) <= LARGE_TOLERANCE)  # NaN is bad
    bad_missing = ~covered & (np.abs(want) > LARGE_TOLERANCE)
    if bad_seen.any() or bad_missing.any():
        if bad_seen.any():
            first = int(np.argmax(bad_seen))
            key, want_value, got = seen_keys[first], expected_at_seen[first], seen_values[first]
        else:
            first = int(np.argmax(bad_missing))
            key, want_value, got = want_keys[first], want[first], 0.0
        i, j = divmod(int(key), LARGE_COUNT)
        return Verdict.fail(
            _("Cell [{i}, {j}] of the large matrix (boxes {a} and {b}): expected {want:.6f}, "
              "got {got}."),
            i=i, j=j, a=_box_text(a[i]), b=_box_text(b[j]), want=float(want_value),
            got=float(got),
        )  # fmt: skip
    return Verdict.ok(_("All 1500×1500 values are correct."))


def _judge_time(job) -> Verdict:
    if job is None or job.cpu_s is None:
        return Verdict.fail(_("The run's CPU time was not measured."))
    spent = message(
        _("The whole run took {cpu:.2f} s of CPU time and {wall:.2f} s of real time"),
        cpu=job.cpu_s, wall=job.wall_s,
    )  # fmt: skip
    if job.cpu_s > CPU_BUDGET_S or job.wall_s > WALL_BUDGET_S:
        return Verdict.fail(
            _("{spent}; the limits are {cpu:g} s of CPU time and {wall:g} s of real time."),
            spent=spent, cpu=CPU_BUDGET_S, wall=WALL_BUDGET_S,
        )  # fmt: skip
    # Margin: the CPU seconds left of the budget (the measure that the code, not the load, sets).
    return Verdict.ok(_("{spent}."), spent=spent).with_margin(CPU_BUDGET_S - job.cpu_s)


def _judge_vectorised(source) -> Verdict:
    findings = source.python_loops("iou_matrix")
    if not findings:
        return Verdict.ok(_("No Python loops in iou_matrix or in the functions it calls."))
    first = findings[0]
    if first.what == "not defined":
        return Verdict.fail(_("The function iou_matrix is not defined in the solution."))
    if first.what == "syntax error":
        return Verdict.fail(_("The solution has a syntax error."))
    if first.what in ("for", "while", "comprehension", "recursion") or first.what.endswith("()"):
        return Verdict.fail(
            _("iou_matrix must work on whole tensors, but {function} (line {line}) iterates in "
              "Python: {what}."),
            function=first.function, line=first.line, what=first.what,
        )  # fmt: skip
    return Verdict.fail(
        _("The solution uses {what} (line {line}), so what iou_matrix runs cannot be read from "
          "the code."),
        what=first.what, line=first.line,
    )  # fmt: skip


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test in PAIR_TESTS:
        return _judge_pairs(test, evidence["pairs"], hidden)
    if test == "python_float":
        return _judge_python_float(evidence["pairs"])
    if test == "zero_area":
        return _judge_zero_area(evidence, hidden)
    if test == "matrix_values":
        return _judge_matrix(evidence["matrix"], hidden, zero_area=False)
    if test == "large_matrix":
        return _judge_large(evidence["large"], hidden)
    if test == "time_budget":
        return _judge_time(evidence.job)
    if test == "vectorised":
        return _judge_vectorised(evidence.source)
    raise KeyError(test)
