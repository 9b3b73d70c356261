"""Files a submission writes are opened and run by grader code in a second, clean sandboxed
step (shared/specs/labs.md, trust rule 3): no learner code runs there, nothing of the learner's
can be imported there, and what the learner planted among its files changes nothing. Through
the real sandbox and judge of dl-10; the jobs are watched (and run as they are) to see what
each step holds."""

import textwrap

import pytest

from grading import engine
from grading.engine import grade_source
from labs.catalog import load_lab

pytestmark = pytest.mark.integration

LAB = "dl-10-mlops-onnx-pipeline"

# The reference solution, which also plants modules among the files handed to the check: if
# the clean step imported any of them, it would stop with "learner code ran".
PLANTING = textwrap.dedent(
    """
    import os as _os

    _PLANT = "raise SystemExit('learner code ran')\\n"
    for _name in ("onnx.py", "numpy.py", "onnxruntime.py", "sitecustomize.py",
                  "usercustomize.py", "_lab_check.py", "_runner.py", "torch/__init__.py"):
        _path = _os.path.join("out", "handoff", _name)
        _os.makedirs(_os.path.dirname(_path), exist_ok=True)
        with open(_path, "w") as _handle:
            _handle.write(_PLANT)
    """
)


@pytest.fixture
def jobs(monkeypatch):
    """Every SandboxJob of a grading, in order (each still runs in the real sandbox)."""
    seen = []
    real = engine.run_job

    def watching(job, zygote=None, on_channel=None):
        seen.append(job)
        return real(job, zygote, on_channel=on_channel)

    monkeypatch.setattr(engine, "run_job", watching)
    return seen


def test_the_check_step_runs_grader_code_only_over_the_handed_off_files(jobs):
    lab = load_lab(LAB)
    reference = (lab.folder / "reference.py").read_text(encoding="utf-8")
    result = grade_source(lab, reference + PLANTING, seed=13)
    assert {t.name: t.message for t in result.tests if not t.passed} == {}
    assert result.score == 1.0
    run, check = jobs
    assert "solution.py" in run.files
    assert "solution.py" not in check.files
    assert not any(name.endswith(".py") and not name.startswith(("_", "handoff/"))
                   for name in check.files)  # fmt: skip
    assert check.files["_lab_check.py"] == lab.check_source
    assert check.files["_runner.py"] == engine.RUNNER_PATH.read_bytes()
    planted = {name for name in check.files if name.startswith("handoff/")}
    assert {"handoff/saved.pt", "handoff/model.onnx", "handoff/predict.onnx"} <= planted
    assert "handoff/sitecustomize.py" in planted  # present, and never imported
    # The check step's inputs are hidden from the learner's run: none of them is in it.
    hidden = [data for name, data in check.files.items() if name.startswith("_inputs/")]
    assert hidden and not set(hidden) & set(run.files.values())
    assert result.timings["check_s"] > 0


def test_nothing_is_checked_when_nothing_was_handed_off(jobs):
    lab = load_lab(LAB)
    result = grade_source(lab, lab.starter_code, seed=14)
    assert len(jobs) == 1
    assert result.score == 0
    assert result.timings["check_s"] == 0
