"""The trusted half of the IoU lab: draws the boxes, computes the expected IoU itself and
compares what the probe observed."""

import ast
import math
import random

from labs.grader_api import Test, Verdict

TOLERANCE = 1e-6
MATRIX_TOLERANCE = 1e-5
# The large matrix has coordinates up to ~1000: float32 areas there carry ~1e-5 of error.
LARGE_TOLERANCE = 1e-4
LARGE_COUNT = 1500
LARGE_SECONDS = 2.0

TESTS = [
    Test("identical", 1, "Совпадающие рамки"),
    Test("disjoint", 1, "Непересекающиеся рамки"),
    Test("touching", 1, "Касание по краю"),
    Test("containment", 1, "Вложенные рамки"),
    Test("partial_overlap", 2, "Частичное пересечение"),
    Test("python_float", 1, "Тип результата"),
    Test("zero_area", 1, "Рамки нулевой площади"),
    Test("matrix_shape", 1, "Форма матрицы"),
    Test("matrix_values", 2, "Значения матрицы"),
    Test("vectorised", 1, "Векторизация"),
    Test("large_matrix", 1, "Большая матрица"),
]


def expected_iou(a, b) -> float:
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    area_a = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1])
    area_b = max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def _box(rng, low=0.0, high=100.0):
    x, y = rng.uniform(low, high), rng.uniform(low, high)
    return [
        round(x, 3),
        round(y, 3),
        round(x + rng.uniform(1, 50), 3),
        round(y + rng.uniform(1, 50), 3),
    ]


def make_inputs(rng: random.Random) -> dict:
    identical = [(box, list(box)) for box in (_box(rng) for _ in range(4))]
    disjoint = []
    for _ in range(4):
        a = _box(rng)
        dx = a[2] - a[0] + rng.uniform(0.5, 20)
        disjoint.append((a, [a[0] + dx, a[1], a[2] + dx, a[3]]))
    touching = []
    for _ in range(3):
        a = _box(rng)
        w, h = a[2] - a[0], a[3] - a[1]
        touching.append((a, [a[2], a[1], a[2] + w, a[3]]))  # shared right edge
        touching.append((a, [a[0], a[3], a[2], a[3] + h]))  # shared bottom edge
    a = _box(rng)
    touching.append((a, [a[2], a[3], a[2] + 5, a[3] + 5]))  # a shared corner
    containment = []
    for _ in range(4):
        outer = [0.0, 0.0, rng.uniform(40, 100), rng.uniform(40, 100)]
        inner = [outer[0] + 5, outer[1] + 5, outer[2] - rng.uniform(5, 30), outer[3] - 5]
        containment.append((outer, inner) if rng.random() < 0.5 else (inner, outer))
    partial = []
    while len(partial) < 12:
        a, b = _box(rng, 0, 40), _box(rng, 0, 40)
        if 0 < expected_iou(a, b) < 1:
            partial.append((a, b))
    zero = [
        ([5.0, 5.0, 5.0, 5.0], [5.0, 5.0, 5.0, 5.0]),
        ([0.0, 0.0, 0.0, 10.0], [0.0, 0.0, 10.0, 10.0]),
        ([1.0, 1.0, 4.0, 1.0], [2.0, 2.0, 2.0, 2.0]),
    ]
    matrix_a = [_box(rng) for _ in range(7)]
    matrix_b = [_box(rng) for _ in range(5)]
    large_a = [_box(rng, 0, 900) for _ in range(LARGE_COUNT)]
    large_b = [_box(rng, 0, 900) for _ in range(LARGE_COUNT)]
    # Check mostly overlapping pairs (random small boxes on a big canvas rarely meet): move
    # a few boxes of b onto boxes of a, then sample those pairs and some random ones.
    samples = []
    for _ in range(20):
        i, j = rng.randrange(LARGE_COUNT), rng.randrange(LARGE_COUNT)
        a = large_a[i]
        dx, dy = rng.uniform(-10, 10), rng.uniform(-10, 10)
        large_b[j] = [
            round(a[0] + dx, 3),
            round(a[1] + dy, 3),
            round(a[2] + dx, 3),
            round(a[3] + dy, 3),
        ]
        samples.append([i, j])
    samples += [[rng.randrange(LARGE_COUNT), rng.randrange(LARGE_COUNT)] for _ in range(5)]
    return {
        "identical": identical,
        "disjoint": disjoint,
        "touching": touching,
        "containment": containment,
        "partial_overlap": partial,
        "zero_area_pairs": zero,
        "matrix_a": matrix_a,
        "matrix_b": matrix_b,
        "large": {
            "a": large_a,
            "b": large_b,
            "samples": samples,
        },
    }


def _close(observed, expected, tolerance) -> bool:
    return (
        isinstance(observed, int | float)
        and not isinstance(observed, bool)
        and not math.isnan(observed)
        and abs(observed - expected) <= tolerance
    )


def _compare_pairs(name, observed, pairs) -> Verdict:
    if not isinstance(observed, list) or len(observed) != len(pairs):
        return Verdict.fail("Функция iou вернула не по одному числу на пару рамок.")
    for value, (a, b) in zip(observed, pairs, strict=True):
        want = expected_iou(a, b)
        if not _close(value, want, TOLERANCE):
            return Verdict.fail(f"Для рамок {a} и {b} ожидалось {want:.6f}, получено {value}.")
    return Verdict.ok(f"Верно для всех пар рамок ({len(pairs)}).")


def _compare_matrix(observed, a_boxes, b_boxes, tolerance) -> Verdict:
    if not isinstance(observed, list) or len(observed) != len(a_boxes):
        return Verdict.fail("Матрица IoU имеет неверное число строк.")
    for i, row in enumerate(observed):
        if not isinstance(row, list) or len(row) != len(b_boxes):
            return Verdict.fail("Матрица IoU имеет неверное число столбцов.")
        for j, value in enumerate(row):
            want = expected_iou(a_boxes[i], b_boxes[j])
            if not _close(value, want, tolerance):
                return Verdict.fail(
                    f"Элемент [{i}, {j}] (рамки {a_boxes[i]} и {b_boxes[j]}): "
                    f"ожидалось {want:.6f}, получено {value}."
                )
    return Verdict.ok()


def judge(name: str, observation, inputs: dict) -> Verdict:
    if name in ("identical", "disjoint", "touching", "containment", "partial_overlap"):
        return _compare_pairs(name, observation, inputs[name])
    if name == "python_float":
        if observation == "builtins.float":
            return Verdict.ok()
        return Verdict.fail(f"iou должна возвращать float Python, а вернула {observation}.")
    if name == "zero_area":
        pairs = inputs["zero_area_pairs"]
        scalar = observation.get("scalar") if isinstance(observation, dict) else None
        if scalar is None or any(v != 0.0 for v in scalar) or len(scalar) != len(pairs):
            return Verdict.fail(
                f"iou для рамок нулевой площади должна давать 0, получено {scalar}."
            )
        verdict = _compare_matrix(observation.get("matrix"), [p[0] for p in pairs],
                                  [p[1] for p in pairs], MATRIX_TOLERANCE)  # fmt: skip
        if not verdict.passed:
            return Verdict.fail("iou_matrix для рамок нулевой площади: " + verdict.message)
        return Verdict.ok("Нулевая площадь даёт 0 в обеих функциях.")
    if name == "matrix_shape":
        want = [len(inputs["matrix_a"]), len(inputs["matrix_b"])]
        if not isinstance(observation, dict) or not observation.get("is_tensor"):
            return Verdict.fail("iou_matrix должна возвращать torch.Tensor.")
        if observation.get("shape") != want:
            return Verdict.fail(f"Ожидалась форма {want}, получена {observation.get('shape')}.")
        if not observation.get("floating"):
            return Verdict.fail("Ожидался тензор с плавающей точкой.")
        return Verdict.ok()
    if name == "matrix_values":
        return _compare_matrix(
            observation, inputs["matrix_a"], inputs["matrix_b"], MATRIX_TOLERANCE
        )
    if name == "large_matrix":
        return _judge_large(observation, inputs["large"])
    raise KeyError(name)


def _judge_large(observation, large) -> Verdict:
    boxes_a, boxes_b = large["a"], large["b"]
    if not isinstance(observation, dict) or observation.get("shape") != [LARGE_COUNT] * 2:
        return Verdict.fail(f"Ожидалась матрица {LARGE_COUNT}×{LARGE_COUNT}.")
    for (i, j), value in zip(large["samples"], observation.get("samples", []), strict=False):
        want = expected_iou(boxes_a[i], boxes_b[j])
        if not _close(value, want, LARGE_TOLERANCE):
            return Verdict.fail(
                f"Элемент [{i}, {j}] большой матрицы неверен: {value} вместо {want:.6f}."
            )
    seconds = observation.get("seconds")
    if not isinstance(seconds, int | float) or seconds > LARGE_SECONDS:
        return Verdict.fail(
            f"Матрица 1500×1500 считалась {seconds:.2f} с, допустимо до {LARGE_SECONDS} с."
        )
    return Verdict.ok(f"Посчитано за {seconds:.2f} с.")


def static_checks(source: str, tree: ast.Module) -> dict[str, Verdict]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "iou_matrix":
            loops = [
                inner for inner in ast.walk(node)
                if isinstance(inner, ast.For | ast.While | ast.AsyncFor | ast.comprehension)
            ]  # fmt: skip
            if loops:
                return {"vectorised": Verdict.fail(
                    f"В iou_matrix есть цикл Python (строка {loops[0].lineno if hasattr(loops[0], 'lineno') else node.lineno}); нужна векторизация."  # noqa: E501
                )}  # fmt: skip
            return {"vectorised": Verdict.ok("Циклов Python в iou_matrix нет.")}
    return {"vectorised": Verdict.fail("Функция iou_matrix не найдена в решении.")}
