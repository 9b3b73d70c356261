"""Issue 8, attack: computing only the cells of the 1500x1500 matrix that the judge reads. On
main's code the sampled cells were listed in the job's inputs, so such a solution scored 1.0
(measured). Now nothing in the sandbox says which cells matter: the probe returns every
non-zero value and the judge compares all 2.25 million cells with IoU computed outside. The
honest score is 9/14: the large matrix is wrong, so "Time" (which needs it) and the two
claims (which need every core test) do not count either."""

import textwrap

import pytest

from grading.engine import grade_source
from labs.catalog import load_lab
from tests.iou_sources import CORRECT_IOU, VECTOR_IOU

pytestmark = pytest.mark.integration

# Computes the cells named in the inputs, if any are (there are none now)...
LISTED_CELLS = (
    CORRECT_IOU
    + VECTOR_IOU
    + textwrap.dedent(
        """
    import json


    def _cells():
        with open("_inputs.json") as handle:
            return json.load(handle).get("large", {}).get("samples", [])


    def _only_listed(a, b):
        out = torch.zeros(a.shape[0], b.shape[0])
        for i, j in _cells():
            out[i, j] = _vector_iou(a[i : i + 1], b[j : j + 1])[0, 0]
        return out


    def iou_matrix(a, b):
        if a.shape[0] * b.shape[0] <= 10_000:
            return _vector_iou(a, b)
        return _only_listed(a, b)
    """
    )
)

# ...or guesses the cells the judge must care about: the pairs of nearly equal boxes.
LIKELY_CELLS = (
    CORRECT_IOU
    + VECTOR_IOU
    + textwrap.dedent(
        """
    def iou_matrix(a, b):
        if a.shape[0] * b.shape[0] <= 10_000:
            return _vector_iou(a, b)
        near = (a[:, None, :] - b[None, :, :]).abs().amax(dim=2) < 25
        return torch.where(near, _vector_iou(a, b), torch.zeros(()))
    """
    )
)


@pytest.mark.parametrize("source", [LISTED_CELLS, LIKELY_CELLS], ids=["listed", "likely"])
def test_computing_only_some_cells_of_the_large_matrix_fails_it(source):
    result = grade_source(load_lab("dl-07-iou"), source, seed=10)
    failed = {test.name: test for test in result.tests if not test.passed}
    assert set(failed) == {"large_matrix", "time_budget", "python_float", "vectorised"}
    assert "large matrix" in failed["large_matrix"].messages["en"]
    assert result.score == pytest.approx(9 / 14, abs=1e-4)
