# expect-fail: identical, disjoint, touching, containment, partial_overlap, python_float, zero_area, matrix_values, vectorised, large_matrix, time_budget
# expect-score: 0
# Does nothing, in the right types and shapes: the easy cases it gets right count for nothing.
import torch


def iou(box1, box2) -> float:
    return 0.0


def iou_matrix(a, b):
    return torch.zeros(a.shape[0], b.shape[0])
