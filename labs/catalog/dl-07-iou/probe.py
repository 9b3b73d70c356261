"""Runs inside the sandbox: calls the learner's iou/iou_matrix on the grader's boxes and
records what they return. Expected values are never here; the judge has them."""

import math
import time

import torch


def _number(value):
    if isinstance(value, torch.Tensor):
        value = value.item()
    value = float(value)
    return "nan" if math.isnan(value) else value


def _matrix(value):
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"iou_matrix returned {type(value).__name__}, not a tensor")
    return [[_number(x) for x in row] for row in value.detach().cpu().double().tolist()]


def run(solution, checks, inputs):
    for name in ("identical", "disjoint", "touching", "containment", "partial_overlap"):
        with checks.check(name) as check:
            check.value = [_number(solution.iou(a, b)) for a, b in inputs[name]]

    with checks.check("python_float") as check:
        value = solution.iou(*inputs["partial_overlap"][0])
        check.value = f"{type(value).__module__}.{type(value).__qualname__}"

    with checks.check("zero_area") as check:
        pairs = inputs["zero_area_pairs"]
        a = torch.tensor([p[0] for p in pairs], dtype=torch.float32)
        b = torch.tensor([p[1] for p in pairs], dtype=torch.float32)
        check.value = {
            "scalar": [_number(solution.iou(x, y)) for x, y in pairs],
            "matrix": _matrix(solution.iou_matrix(a, b)),
        }

    a = torch.tensor(inputs["matrix_a"], dtype=torch.float32)
    b = torch.tensor(inputs["matrix_b"], dtype=torch.float32)
    with checks.check("matrix_shape") as check:
        result = solution.iou_matrix(a, b)
        check.value = {
            "is_tensor": isinstance(result, torch.Tensor),
            "shape": list(result.shape) if isinstance(result, torch.Tensor) else None,
            "floating": bool(isinstance(result, torch.Tensor) and result.is_floating_point()),
        }
    with checks.check("matrix_values") as check:
        check.value = _matrix(solution.iou_matrix(a, b))

    with checks.check("large_matrix") as check:
        large = inputs["large"]
        big_a = torch.tensor(large["a"])
        big_b = torch.tensor(large["b"])
        started = time.perf_counter()
        result = solution.iou_matrix(big_a, big_b)
        seconds = time.perf_counter() - started
        check.value = {
            "seconds": seconds,
            "shape": list(result.shape),
            "samples": [_number(result[i, j]) for i, j in large["samples"]],
        }
