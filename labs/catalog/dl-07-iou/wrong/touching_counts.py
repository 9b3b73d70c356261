# expect-fail: identical, disjoint, touching, containment, partial_overlap, python_float, zero_area, matrix_values, vectorised, large_matrix, time_budget
# expect-score: 0
# Pixel-style "+1" areas: wrong for continuous coordinates.
import torch


def iou(box1, box2):
    x1, y1 = max(box1[0], box2[0]), max(box1[1], box2[1])
    x2, y2 = min(box1[2], box2[2]), min(box1[3], box2[3])
    inter = max(0.0, x2 - x1 + 1) * max(0.0, y2 - y1 + 1)
    area1 = (box1[2] - box1[0] + 1) * (box1[3] - box1[1] + 1)
    area2 = (box2[2] - box2[0] + 1) * (box2[3] - box2[1] + 1)
    return torch.tensor(inter / (area1 + area2 - inter))


def iou_matrix(a, b):
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (bottom_right - top_left + 1).clamp(min=0).prod(dim=2)
    area_a = (a[:, 2:] - a[:, :2] + 1).prod(dim=1)
    area_b = (b[:, 2:] - b[:, :2] + 1).prod(dim=1)
    return inter / (area_a[:, None] + area_b[None, :] - inter)
