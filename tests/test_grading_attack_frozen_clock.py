"""Issue 8, attack: a slow ``iou_matrix`` that passes the time budget by freezing the clocks the
probe used to read inside the job. On main's code a 3 s iou_matrix with a frozen
``time.perf_counter`` passed the 2 s budget (score 1.0, measured). Now time is judged from
the CPU and wall time of the whole job as the sandbox's supervisor measured them (cgroup
accounting, the supervisor's own clock; the budgets are 2 s of CPU and 5 s of wall time):
the honest score is 13/14, values right, "Time" failed with the measured times in its
verdict.

The lab's wall limit is raised for these tests so that a busy test machine cannot turn the
slow run into a timeout, which would fail the same test for another reason."""

import dataclasses
import textwrap

import pytest

from grading.engine import Status, grade_source
from labs.catalog import load_lab
from tests.iou_sources import CORRECT_IOU, VECTOR_IOU

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FREEZE = textwrap.dedent(
    """
    import hashlib
    import time

    _cpu = time.process_time
    _sleep = time.sleep
    # Every clock read inside the job now says that no time passed.
    time.perf_counter = time.monotonic = time.time = lambda: 0.0
    time.process_time = time.thread_time = lambda: 0.0
    """
)

# ~4 s of CPU without a Python loop (so that "Vectorised" still passes): one PBKDF2 call whose
# length is calibrated with the real CPU clock. Twice the 2 s budget: on a busy machine the
# calibration's short first call can overestimate the cost of the long one.
BURN_CPU = (
    CORRECT_IOU
    + VECTOR_IOU
    + FREEZE
    + textwrap.dedent(
        """
    def _burn(seconds):
        started = _cpu()
        hashlib.pbkdf2_hmac("sha256", b"x", b"salt", 20000)
        spent = max(_cpu() - started, 1e-4)
        hashlib.pbkdf2_hmac("sha256", b"x", b"salt", int(20000 * seconds / spent))


    def iou_matrix(a, b):
        if a.shape[0] * b.shape[0] > 1_000_000:
            _burn(4.0)
        return _vector_iou(a, b)
    """
    )
)

SLEEP = (
    CORRECT_IOU
    + VECTOR_IOU
    + FREEZE
    + textwrap.dedent(
        """
    def iou_matrix(a, b):
        if a.shape[0] * b.shape[0] > 1_000_000:
            _sleep(5.5)
        return _vector_iou(a, b)
    """
    )
)


def patient_lab():
    lab = load_lab("dl-07-iou")
    return dataclasses.replace(lab, limits={**lab.limits, "wall_s": 60, "cpu_s": 60})


@pytest.mark.parametrize(("source", "spent"), [(BURN_CPU, "cpu"), (SLEEP, "wall")])
def test_freezing_the_clocks_does_not_hide_a_slow_iou_matrix(source, spent):
    result = grade_source(patient_lab(), source, seed=8)
    failed = {test.name: test for test in result.tests if not test.passed}
    assert result.status == Status.DONE
    assert set(failed) == {"time_budget"}
    assert result.score == pytest.approx(13 / 14, abs=1e-4)
    message = failed["time_budget"].messages["en"]
    assert "limits are 2 s of CPU time and 5 s of real time" in message
    if spent == "cpu":
        assert result.cpu_s > 2.0
    else:
        assert result.cpu_s < 2.0  # the CPU budget held; the supervisor's wall clock did not
