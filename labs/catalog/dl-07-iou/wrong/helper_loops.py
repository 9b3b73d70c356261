# expect-fail: vectorised
# Right values, but a Python loop over the rows, moved into a helper of iou_matrix.
import torch


def iou(box1, box2) -> float:
    x1, y1 = max(box1[0], box2[0]), max(box1[1], box2[1])
    x2, y2 = min(box1[2], box2[2]), min(box1[3], box2[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    area1 = max(0.0, box1[2] - box1[0]) * max(0.0, box1[3] - box1[1])
    area2 = max(0.0, box2[2] - box2[0]) * max(0.0, box2[3] - box2[1])
    union = area1 + area2 - inter
    return float(inter / union) if union > 0 else 0.0


def _row(box, b):
    top_left = torch.maximum(box[:2], b[:, :2])
    bottom_right = torch.minimum(box[2:], b[:, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(dim=1)
    area = (box[2:] - box[:2]).clamp(min=0).prod()
    areas = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(dim=1)
    union = area + areas - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(union))


def _rows(a, b):
    rows = []
    for i in range(a.shape[0]):
        rows.append(_row(a[i], b))
    return torch.stack(rows) if rows else torch.zeros(0, b.shape[0])


def iou_matrix(a, b):
    return _rows(a.float(), b.float())
