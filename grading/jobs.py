"""One grading job as a worker runs it, without Celery: claim, grade, record.

1. Claim the submission (services.claim_submission); nothing to do if it is finished or
   another live worker holds it.
2. Grade it through the sandbox (engine.grade_source), storing each test result as it is
   judged so that the learner's page shows them arrive.
3. Record the final result under the same claim. A sandbox failure gives the job back to
   the queue for another try; anything else is recorded as the job's outcome.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from enum import Enum

from grading import services
from grading.engine import grade_source
from grading.models import Submission
from grading.sandbox import SandboxError
from labs.catalog import load_lab

logger = logging.getLogger(__name__)
LIVE_FLUSH_S = 0.5


class JobOutcome(Enum):
    RECORDED = "recorded"
    NOTHING_TO_DO = "nothing_to_do"
    RETRY = "retry"


def worker_identity(hostname: str) -> str:
    """Who holds a claim: the worker's name, this machine and this pool process."""
    return f"{hostname}|{socket.gethostname()}|{os.getpid()}"


def holder_is_dead(worker: str) -> bool:
    """True when the claim's holder was a process of this machine that no longer exists (a
    pool process killed mid-job); holders elsewhere are judged by silence (the sweeper)."""
    try:
        _name, host, pid = worker.rsplit("|", 2)
        pid_number = int(pid)
    except ValueError:
        return False
    if host != socket.gethostname() or pid_number == os.getpid():
        return False
    try:
        os.kill(pid_number, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def run_grading(submission_id: int, worker: str) -> JobOutcome:
    submission = Submission.objects.select_related("lab").filter(pk=submission_id).first()
    if submission is None or submission.is_final:
        return JobOutcome.NOTHING_TO_DO
    lab = load_lab(submission.lab.slug)
    wall_s = float(lab.limits.get("wall_s", 30))
    me = worker_identity(worker)
    take_over = (
        submission.claim
        if submission.status == Submission.Status.RUNNING and holder_is_dead(submission.worker)
        else None
    )
    claim = services.claim_submission(submission_id, me, wall_s, take_over=take_over)
    if claim is None:
        still_running = Submission.objects.filter(
            pk=submission_id, status=Submission.Status.RUNNING
        ).exists()
        return JobOutcome.RETRY if still_running else JobOutcome.NOTHING_TO_DO

    # Results are written as they arrive, but at most every LIVE_FLUSH_S: a quick job then
    # costs one or two writes instead of one per test, and a long one still shows progress.
    pending: list = []
    last_flush = 0.0

    def on_test(position: int, test) -> None:
        nonlocal last_flush
        pending.append((position, test))
        now = time.monotonic()
        if now - last_flush >= LIVE_FLUSH_S:
            services.record_tests(submission_id, claim, pending)
            pending.clear()
            last_flush = now

    try:
        result = grade_source(lab, submission.source, on_test=on_test)
    except SandboxError:
        logger.exception("sandbox failure on submission %s; giving it back", submission_id)
        services.release_claim(submission_id, claim)
        return JobOutcome.RETRY
    services.record_result(submission_id, claim, result)
    return JobOutcome.RECORDED
