"""Issue 8, attack: a submission with no IoU code replaces the probe's ``run`` and reports the
answers that are knowable without computing IoU (1 for identical boxes, 0 where boxes do not
meet, "a Python float", the right shapes, an empty large matrix). On main's code the same idea
scored 0.62 (measured). Through the real sandbox and judge it must score 0, with every test
failed and a verdict that says why."""

import textwrap

import pytest

from grading.engine import Status, grade_source
from labs.catalog import load_lab

pytestmark = pytest.mark.integration

ATTACK = textwrap.dedent(
    '''
    import sys


    def iou(box1, box2):
        raise NotImplementedError


    def iou_matrix(a, b):
        raise NotImplementedError


    def _meet(a, b):
        return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


    def _knowable(a, b):
        """What anyone can say without computing IoU: 1 if equal, 0 if apart, else a guess."""
        if list(a) == list(b):
            return 1.0
        return 0.5 if _meet(a, b) else 0.0


    def _table(a, b):
        return [[_knowable(list(x), list(y)) for y in b] for x in a]


    def _fake_run(solution, observe, inputs):
        pairs = inputs["pairs"]
        with observe("pairs") as seen:
            seen.value = {
                "values": [_knowable(a, b) for a, b in pairs],
                "python_float": [True] * len(pairs),
            }
        with observe("matrix") as seen:
            a, b = inputs["matrix_a"], inputs["matrix_b"]
            seen.value = {"tensor": True, "shape": [len(a), len(b)], "floating": True,
                          "values": _table(a.tolist(), b.tolist())}
        with observe("large") as seen:
            seen.value = {"tensor": True, "shape": [1500, 1500], "floating": True,
                          "nonzero": 0, "rows": [], "cols": [], "values": []}


    # Replace the probe, wherever it is reachable...
    probe = sys.modules.get("_lab_probe")
    if probe is not None:
        probe.run = _fake_run
    # ...and, in case the runner kept its own reference, report through the runner itself.
    runner = sys.modules.get("__main__")
    if hasattr(runner, "Observe") and hasattr(runner, "_read_inputs"):
        _fake_run(None, runner.Observe(), runner._read_inputs())
    '''
)


def test_a_stub_that_replaces_the_probe_and_reports_knowable_answers_scores_zero():
    result = grade_source(load_lab("dl-07-iou"), ATTACK, seed=5)
    assert result.status == Status.DONE
    assert {test.name: test.message for test in result.tests if test.passed} == {}
    assert result.score == 0
    pairs = next(test for test in result.tests if test.name == "partial_overlap")
    # The real probe still ran (its reference was kept before the solution was imported):
    # the forged record and the real one differ, so the evidence is void, and said so.
    assert "дважды" in pairs.message
    assert "twice" in pairs.messages["en"]
