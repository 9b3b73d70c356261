"""Right IoU solutions written differently from the reference all score 1.0 (a correct
submission passes every time, whatever its style): an epsilon in the denominator (tiny
non-zero values in every cell of the large matrix), a float64 matrix, tuples of boxes,
torchvision's own box_iou. Through the real sandbox and judge."""

import textwrap

import pytest

from grading.engine import grade_source
from labs.catalog import load_lab
from tests.iou_sources import CORRECT_IOU

pytestmark = pytest.mark.integration

VARIANTS = {
    "epsilon_everywhere": CORRECT_IOU
    + textwrap.dedent(
        """
        import torch

        def iou_matrix(a, b):
            lt = torch.max(a[:, None, :2], b[None, :, :2])
            rb = torch.min(a[:, None, 2:], b[None, :, 2:])
            inter = (rb - lt).clamp(min=0).prod(2)
            area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)
            area_b = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
            union = area_a[:, None] + area_b[None, :] - inter
            # Off by 1e-12 in every cell: no cell is exactly 0, every cell is within tolerance.
            return inter / (union + 1e-9) + 1e-12
        """
    ),
    "float64": CORRECT_IOU
    + textwrap.dedent(
        """
        import torch

        def iou_matrix(a, b):
            a, b = a.double(), b.double()
            lt = torch.max(a[:, None, :2], b[None, :, :2])
            rb = torch.min(a[:, None, 2:], b[None, :, 2:])
            inter = (rb - lt).clamp(min=0).prod(2)
            area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(1)
            area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(1)
            union = area_a[:, None] + area_b[None, :] - inter
            return torch.where(union > 0, inter / union.clamp(min=1e-12), 0.0)
        """
    ),
    "torchvision": textwrap.dedent(
        """
        import torch
        from torchvision.ops import box_iou

        def iou(box1, box2):
            value = box_iou(torch.tensor([box1], dtype=torch.float64),
                            torch.tensor([box2], dtype=torch.float64))[0, 0]
            return 0.0 if torch.isnan(value) else float(value)

        def iou_matrix(a, b):
            return torch.nan_to_num(box_iou(a, b), nan=0.0)
        """
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_a_right_solution_in_another_style_scores_full_marks(name):
    result = grade_source(load_lab("dl-07-iou"), VARIANTS[name], seed=15)
    assert {test.name: test.message for test in result.tests if not test.passed} == {}
    assert result.score == 1.0
