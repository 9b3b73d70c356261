"""Issue 8, attack: raw writes to the observation channel (fd 3) that glue a ``#`` onto each
real record, so that the real record is dropped as not JSON and a forged one stands alone. On
main's code that scored 0.62 (measured). Now each real record is written with one atomic write
that starts and ends with a newline, so nothing learner code writes can glue onto it or split
it; and every point comes from evidence checked against expected values, so forged records
earn nothing either way."""

import textwrap

import pytest

from grading.engine import Status, grade_source
from labs.catalog import load_lab
from tests.iou_sources import REFERENCE

pytestmark = pytest.mark.integration

ATTACK = textwrap.dedent(
    '''
    import json
    import os

    _forged = []


    def _glue():
        """Forge records once, then leave a '#' with no newline before each real record."""
        if not _forged:
            _forged.append(1)
            with open("_inputs.json") as handle:
                count = len(json.load(handle)["pairs"])
            lines = [
                {"obs": "pairs", "value": {"values": [0.0] * count,
                                           "python_float": [True] * count}},
                {"obs": "large", "value": {"tensor": True, "shape": [1500, 1500],
                                           "floating": True, "nonzero": 0, "rows": [],
                                           "cols": [], "values": []}},
                {"event": "done"},
            ]
            os.write(3, "".join(json.dumps(line) + "\\n" for line in lines).encode())
        os.write(3, b"#")


    def iou(box1, box2):
        _glue()
        return 0.0


    def iou_matrix(a, b):
        _glue()
        raise NotImplementedError
    '''
)

# The reference solution, writing junk to the channel before and after each of its calls:
# an unterminated '#', half a record, a NUL, a forged event.
NOISY_REFERENCE = REFERENCE + textwrap.dedent(
    """
    import os as _os

    _real_iou, _real_matrix = iou, iou_matrix


    def _noise():
        try:
            _os.write(3, b"#")
            _os.write(3, b'{"obs": "pairs", "value": ')
            _os.write(3, b"\\x00")
            _os.write(3, b'{"event": "done"}')
        except OSError:
            pass


    def iou(box1, box2):
        _noise()
        value = _real_iou(box1, box2)
        _noise()
        return value


    def iou_matrix(a, b):
        _noise()
        value = _real_matrix(a, b)
        _noise()
        return value
    """
)


def test_gluing_onto_real_records_and_forging_earns_nothing():
    result = grade_source(load_lab("dl-07-iou"), ATTACK, seed=5)
    assert {test.name: test.message for test in result.tests if test.passed} == {}
    assert result.score == 0
    # The real "pairs" record survived the glue: with the forged one beside it, the evidence
    # is void and the verdict says so.
    partial = next(test for test in result.tests if test.name == "partial_overlap")
    assert "twice" in partial.messages["en"]


def test_junk_written_to_the_channel_cannot_cost_a_correct_solution_its_records():
    result = grade_source(load_lab("dl-07-iou"), NOISY_REFERENCE, seed=6)
    assert {test.name: test.message for test in result.tests if not test.passed} == {}
    assert result.status == Status.DONE
    assert result.score == 1.0
