"""Runs inside the sandbox: calls the learner's iou/iou_matrix on the grader's boxes and
records everything they return, as plain data. Nothing here knows which pair or cell serves
which test, or what any of them should be: the judge has that, outside."""

import torch

# Bound before the learner's module is imported (the runner loads this module first), so
# that a solution that patches builtins cannot change what these checks see.
_float = float
_type = type
_isinstance = isinstance
_tensor = torch.Tensor
MAX_NONZERO = 200_000  # the large matrix has ~7 000 non-zero values; far more means wrong
ZERO = 1e-7  # below this a value counts as 0 (the tolerance there is 1e-4)


def _number(value):
    if _isinstance(value, _tensor):
        value = value.item()
    return _float(value)


def _describe(value) -> dict:
    """What iou_matrix returned, before its values: a tensor? of what shape and kind?"""
    if not _isinstance(value, _tensor):
        return {"tensor": False, "type": _type(value).__name__}
    return {
        "tensor": True,
        "shape": list(value.shape),
        "floating": bool(value.is_floating_point()),
    }


def _small(value) -> dict:
    seen = _describe(value)
    if seen["tensor"]:
        seen["values"] = value.detach().cpu().to(torch.float64).tolist()
    return seen


def _sparse(value) -> dict:
    """The large matrix as its non-zero entries (NaN counts as non-zero)."""
    seen = _describe(value)
    if not seen["tensor"] or len(seen["shape"]) != 2:
        return seen
    matrix = value.detach().cpu()
    if not matrix.is_floating_point():
        matrix = matrix.to(torch.float64)
    where = matrix.nonzero()  # one pass; NaN counts as non-zero
    if where.shape[0] > MAX_NONZERO:  # tiny values everywhere (an epsilon added): drop them
        small = matrix.abs() <= ZERO
        where = small.logical_not_().nonzero()
    seen["nonzero"] = count = int(where.shape[0])
    if count <= MAX_NONZERO:
        rows, cols = where[:, 0], where[:, 1]
        seen["rows"] = rows.to(torch.int32)
        seen["cols"] = cols.to(torch.int32)
        seen["values"] = matrix[rows, cols].to(torch.float64)
    return seen


def run(solution, observe, inputs):
    with observe("pairs") as seen:
        results = [solution.iou(list(a), list(b)) for a, b in inputs["pairs"]]
        seen.value = {
            "values": [_number(value) for value in results],
            "python_float": [_type(value) is _float for value in results],
        }

    with observe("matrix") as seen:
        a = torch.from_numpy(inputs["matrix_a"])
        b = torch.from_numpy(inputs["matrix_b"])
        seen.value = _small(solution.iou_matrix(a, b))

    with observe("large") as seen:
        a = torch.from_numpy(inputs["large_a"])
        b = torch.from_numpy(inputs["large_b"])
        seen.value = _sparse(solution.iou_matrix(a, b))
