"""Issue 8, attack: ``iou`` returns a 0-d tensor whose class claims to be ``builtins.float``
(its ``__module__``, ``__qualname__`` and ``__name__`` say so). On main's code the probe
reported the type by those names and the judge believed it: score 1.0 (measured). Now the probe
compares ``type(value) is float`` with the real ``float``, bound before the learner's module
was imported: the honest score is 13/14, "Result type" failed."""

import textwrap

import pytest

from grading.engine import grade_source
from labs.catalog import load_lab
from tests.iou_sources import VECTOR_IOU

pytestmark = pytest.mark.integration

ATTACK = VECTOR_IOU + textwrap.dedent(
    '''

    class _Float(torch.Tensor):
        """A 0-d tensor that says it is a Python float."""


    _Float.__module__ = "builtins"
    _Float.__qualname__ = "float"
    _Float.__name__ = "float"


    def iou(box1, box2):
        x1, y1 = max(box1[0], box2[0]), max(box1[1], box2[1])
        x2, y2 = min(box1[2], box2[2]), min(box1[3], box2[3])
        inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
        area1 = max(0.0, box1[2] - box1[0]) * max(0.0, box1[3] - box1[1])
        area2 = max(0.0, box2[2] - box2[0]) * max(0.0, box2[3] - box2[1])
        union = area1 + area2 - inter
        value = inter / union if union > 0 else 0.0
        return torch.tensor(value, dtype=torch.float64).as_subclass(_Float)


    def iou_matrix(a, b):
        return _vector_iou(a, b)

    '''
)


def test_a_tensor_that_claims_to_be_a_float_fails_the_type_check_and_only_that():
    result = grade_source(load_lab("dl-07-iou"), ATTACK, seed=9)
    failed = {test.name: test for test in result.tests if not test.passed}
    assert set(failed) == {"python_float"}
    assert "Python float" in failed["python_float"].messages["en"]
    assert result.score == pytest.approx(13 / 14, abs=1e-4)
