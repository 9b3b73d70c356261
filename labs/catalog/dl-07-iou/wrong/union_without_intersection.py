# expect-fail: identical, disjoint, touching, containment, partial_overlap, python_float, zero_area, matrix_values, vectorised, large_matrix, time_budget
# expect-score: 0
# A classic: the union taken as the sum of the areas, the intersection counted twice.
import torch


def iou(box1, box2) -> float:
    x1, y1 = max(box1[0], box2[0]), max(box1[1], box2[1])
    x2, y2 = min(box1[2], box2[2]), min(box1[3], box2[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    area1 = max(0.0, box1[2] - box1[0]) * max(0.0, box1[3] - box1[1])
    area2 = max(0.0, box2[2] - box2[0]) * max(0.0, box2[3] - box2[1])
    total = area1 + area2
    return float(inter / total) if total > 0 else 0.0


def iou_matrix(a, b):
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(dim=2)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(dim=1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(dim=1)
    total = area_a[:, None] + area_b[None, :]
    return torch.where(total > 0, inter / total.clamp(min=1e-12), torch.zeros_like(total))
