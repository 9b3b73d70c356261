"""`manage.py lab_margins` grades a lab's reference on many draws through the real sandbox
and reports each test's passes and worst margin, from which thresholds are chosen."""

import json

import pytest

from tests.manage_subprocess import run_manage

pytestmark = pytest.mark.integration


def test_it_reports_passes_and_the_worst_margin_per_test(tmp_path):
    result = run_manage("lab_margins", "dl-07-iou", "--seeds", "2", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["scores"]["min"] == 1.0
    assert report["tests"]["partial_overlap"]["passed"] == 2
    budget = report["tests"]["time_budget"]
    assert budget["passed"] == 2 and 0 < budget["worst_margin"] < 2.0


def test_a_wrong_file_shows_its_failing_tests(tmp_path):
    wrong = tmp_path / "slow.py"
    wrong.write_text("def iou(a, b):\n    return 0.0\n", encoding="utf-8")
    result = run_manage("lab_margins", "dl-07-iou", "--seeds", "1", "--file", str(wrong))
    assert result.returncode == 0, result.stderr
    assert "partial_overlap: passed 0/1" in result.stdout


def test_an_unknown_lab_is_named():
    result = run_manage("lab_margins", "no-such-lab")
    assert result.returncode != 0
    assert "no-such-lab" in result.stderr
