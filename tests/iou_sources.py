"""Pieces of IoU solutions that the attack tests build on (tests/test_grading_attack_*.py)."""

from pathlib import Path

REFERENCE = (
    Path(__file__).resolve().parent.parent / "labs" / "catalog" / "dl-07-iou" / "reference.py"
).read_text(encoding="utf-8")

CORRECT_IOU = """
def iou(box1, box2):
    x1, y1 = max(box1[0], box2[0]), max(box1[1], box2[1])
    x2, y2 = min(box1[2], box2[2]), min(box1[3], box2[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    area1 = max(0.0, box1[2] - box1[0]) * max(0.0, box1[3] - box1[1])
    area2 = max(0.0, box2[2] - box2[0]) * max(0.0, box2[3] - box2[1])
    union = area1 + area2 - inter
    return float(inter / union) if union > 0 else 0.0
"""

# The body of a vectorised IoU over tensors a (N, 4) and b (M, 4), as a helper.
VECTOR_IOU = """
import torch


def _vector_iou(a, b):
    a, b = a.float(), b.float()
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(dim=2)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(dim=1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(dim=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(union))
"""
