"""A job that interferes with the sandbox's trusted side ends with a clear verdict: the sandbox
reports ``limit_hit == "violation"`` (grading/sandbox), and the engine marks the run failed
and fails every test it did not observe with that reason, in every language. The sandbox
itself is replaced here by a fixed outcome (a unit test: such a job is the sandbox's to make)."""

import pytest

from grading import engine
from grading.engine import Status, grade_source
from grading.sandbox import SandboxOutcome
from labs.catalog import load_lab


@pytest.fixture
def violating_sandbox(monkeypatch):
    def run_job(job, zygote=None, on_channel=None):
        channel = b'\n{"event": "imported"}\n'
        return SandboxOutcome(
            exit_code=None,
            signal=9,
            limit_hit="violation",
            stdout="",
            stderr="",
            duration_s=0.2,
            channel=channel,
            cpu_s=0.1,
        )

    monkeypatch.setattr(engine, "run_job", run_job)


@pytest.mark.parametrize("slug", ["dl-07-iou", "dl-10-mlops-onnx-pipeline"])
def test_a_violation_fails_the_run_and_every_unobserved_test(violating_sandbox, slug):
    lab = load_lab(slug)
    result = grade_source(lab, lab.starter_code, seed=1)
    assert result.status == Status.FAILED
    assert result.limit_hit == "violation"
    assert result.score == 0
    assert "sandbox" in result.messages["en"]
    assert "песочниц" in result.message
    for test in result.tests:
        assert not test.passed
        assert "песочниц" in test.message, test.name
        assert "sandbox" in test.messages["en"], test.name
