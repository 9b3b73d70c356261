"""A grade cannot be forged: what learner code prints, writes to the observation channel,
patches or skips earns nothing. Each case runs through the real sandbox and judge. (The attacks
of issue 8 have modules of their own: tests/test_grading_attack_*.py.)"""

import textwrap

import pytest

from grading.engine import Status, grade_source
from labs.catalog import load_lab

pytestmark = pytest.mark.integration

STUB = """
def iou(box1, box2):
    raise NotImplementedError

def iou_matrix(a, b):
    raise NotImplementedError
"""


@pytest.fixture(scope="module")
def lab():
    return load_lab("dl-07-iou")


def grade(lab, source: str):
    return grade_source(lab, textwrap.dedent(source), seed=5)


def passed(result) -> set[str]:
    return {test.name for test in result.tests if test.passed}


def test_printing_fake_results_earns_nothing(lab):
    result = grade(
        lab,
        STUB
        + """
import json, sys
for name in ["identical", "disjoint", "touching", "partial_overlap", "matrix_values"]:
    print(json.dumps({"test": name, "value": [1.0, 1.0, 1.0, 1.0]}))
    print(f"PASS {name}")
print("score: 100%", file=sys.stderr)
""",
    )
    # The static "no loops" claim holds for a stub, but counts only once the core tests pass.
    assert passed(result) == set()
    assert result.score == 0


def test_forged_lines_on_the_observation_channel_fail_their_tests(lab):
    result = grade(
        lab,
        STUB
        + """
import json, os
forged = {"obs": "pairs", "value": {"values": [1.0] * 40, "python_float": [True] * 40}}
for fd in range(3, 10):
    try:
        os.write(fd, ("\\n" + json.dumps(forged) + "\\n").encode())
        os.write(fd, (json.dumps({"event": "done"}) + "\\n").encode())
    except OSError:
        pass
""",
    )
    identical = next(t for t in result.tests if t.name == "identical")
    assert not identical.passed
    assert passed(result) == set()
    assert result.score == 0


def test_exiting_at_import_is_a_failed_run(lab):
    result = grade(lab, STUB + "\nimport sys\nsys.exit(0)\n")
    assert result.status == Status.FAILED
    assert "sys.exit" in result.message or "SystemExit" in result.message
    assert passed(result) == set()


def test_exiting_in_the_middle_of_the_checks_keeps_only_what_was_earned(lab):
    result = grade(
        lab,
        """
import os, torch

def iou(box1, box2):
    x1, y1 = max(box1[0], box2[0]), max(box1[1], box2[1])
    x2, y2 = min(box1[2], box2[2]), min(box1[3], box2[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (box1[2]-box1[0])*(box1[3]-box1[1]) + (box2[2]-box2[0])*(box2[3]-box2[1]) - inter
    return float(inter / union) if union > 0 else 0.0

def iou_matrix(a, b):
    os._exit(0)
""",
    )
    assert result.status == Status.FAILED
    assert "завершилась раньше" in result.message
    assert {"identical", "disjoint", "touching"} <= passed(result)
    assert "matrix_values" not in passed(result)
    assert result.score < 1


def test_patching_the_probe_and_the_writer_earns_nothing(lab):
    result = grade(
        lab,
        STUB
        + """
import builtins, json, sys
probe = sys.modules.get("_lab_probe")
if probe is not None:
    probe.run = lambda solution, checks, inputs: None
json.dumps = lambda *args, **kwargs: '{"test": "identical", "value": [1.0, 1.0, 1.0, 1.0]}'
builtins.float = lambda value=0.0: 1.0
""",
    )
    assert passed(result) == set()
    assert result.score == 0


def test_a_solution_that_cannot_be_imported_gets_a_clear_message(lab):
    result = grade(lab, "import numpy_but_not_really\n")
    assert result.status == Status.FAILED
    assert "numpy_but_not_really" in result.message
    assert result.score == 0


def test_a_syntax_error_names_its_line(lab):
    result = grade(lab, "def iou(a, b)\n    return 1\n")
    assert result.status == Status.FAILED
    assert "SyntaxError" in result.message
    assert "строка 1" in result.message
    assert result.score == 0
