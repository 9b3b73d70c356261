"""A limit is reported only on the kernel's or the supervisor's evidence: nothing the job
writes or does to itself makes the outcome claim a limit that did not happen (the genuine
ones are in test_sandbox_limits.py)."""

import signal

import pytest

from grading.sandbox import Limits
from tests.test_sandbox_support import requires_root, run

pytestmark = requires_root


def test_writing_memoryerror_on_the_old_report_descriptor_claims_nothing():
    # fd 4 once carried the name of an uncaught exception to the supervisor, which reported
    # "MemoryError" there as a memory limit. The descriptor no longer exists in the job.
    outcome = run(
        """
        import os, sys
        try:
            os.write(4, b"MemoryError\\n")
        except OSError as exc:
            print("fd 4:", exc.errno)
        print("MemoryError", file=sys.stderr)
        sys.exit(1)
        """
    )
    assert outcome.stdout == "fd 4: 9\n"  # EBADF
    assert outcome.exit_code == 1 and outcome.limit_hit is None


def test_a_memoryerror_the_job_raises_itself_is_its_own_error():
    outcome = run("raise MemoryError('made up')\n", limits=Limits(memory_mb=200))
    assert outcome.exit_code == 1 and outcome.limit_hit is None
    assert "MemoryError: made up" in outcome.stderr


@pytest.mark.parametrize(
    ("name", "claimed"), [("SIGXCPU", "cpu"), ("SIGXFSZ", "file_size"), ("SIGKILL", "cpu")]
)
def test_a_job_killing_itself_with_a_limit_signal_is_not_credited_with_the_limit(name, claimed):
    sig = getattr(signal, name)
    outcome = run(f"import os, signal\nos.kill(os.getpid(), signal.{name})\n")
    assert outcome.signal == sig and outcome.exit_code is None
    assert outcome.limit_hit is None, claimed


def test_a_small_file_with_sigxfsz_is_not_a_file_size_limit_but_a_full_one_is():
    fake = run(
        """
        import os, signal
        with open("small", "wb") as f:
            f.write(bytes(1024))
        os.kill(os.getpid(), signal.SIGXFSZ)
        """,
        limits=Limits(file_size_mb=4),
    )
    assert fake.signal == signal.SIGXFSZ and fake.limit_hit is None
    real = run(
        "with open('big', 'wb') as f:\n    while True:\n        f.write(bytes(1 << 20))\n",
        limits=Limits(file_size_mb=4),
    )
    assert real.signal == signal.SIGXFSZ and real.limit_hit == "file_size"


def test_output_that_looks_like_a_limit_is_just_output():
    outcome = run(
        """
        import sys
        for word in ("MemoryError", "Killed", "limit_hit: memory", "SIGXCPU", "violation"):
            print(word)
            print(word, file=sys.stderr)
        """
    )
    assert outcome.exit_code == 0 and outcome.limit_hit is None


def test_a_report_cut_short_reads_as_no_report_not_as_a_sandbox_failure():
    # The init may be killed at the wall limit while it writes its report.
    from grading.sandbox.child import LEARNER_STARTED
    from grading.sandbox.protocol import _frame
    from grading.sandbox.supervisor import _read_result

    whole = _frame({"status": 0, "artifacts": [["a", 3]]}, [b"abc"])
    assert _read_result(LEARNER_STARTED + whole) == (True, {"status": 0, "artifacts": [["a", 3]]},
                                                      {"a": b"abc"})  # fmt: skip
    for cut in range(len(whole)):
        assert _read_result(LEARNER_STARTED + whole[:cut]) == (True, {}, {}), cut
    assert _read_result(b"") == (False, {}, {})
