"""One grading job as a worker runs it, without Celery: claim, grade, record.

1. Claim the job's row (services.claim_job), which counts one attempt; nothing to do if the
   job has ended, another live worker holds it, or its attempts have just run out.
2. Grade the source through the sandbox and the lab's current judge (engine.grade_source);
   a learner's submission stores each test result as it is judged, so that the learner's
   page shows them arrive.
3. Record the result under the same claim. What the job's code did (a limit, a crash, an
   attack on the sandbox) is a result like any other. A failure of the worker's side
   (SandboxError, a lab missing from this worker's catalogue) gives the job back for another
   attempt while it has some; an error in the grading code itself ends the job at once.
   Either way the job is never tried more than GRADING_MAX_ATTEMPTS times.

Two kinds of job run here: a learner's Submission (``run_submission``) and a Regrade of a
stored submission by a newer judge (``run_regrade``).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from enum import Enum

from grading import services
from grading.engine import grade_source
from grading.models import GradingJob, Regrade, Submission
from grading.sandbox import SandboxError
from labs.catalog import CatalogError, LabSpec, load_lab

logger = logging.getLogger(__name__)
LIVE_FLUSH_S = 0.5


class OtherJudgeVersion(Exception):
    """This worker's catalogue has another judge version than the regrade asked for (a worker
    of another release): another attempt, perhaps on another worker, may match."""


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


def run_submission(submission_id: int, worker: str) -> JobOutcome:
    submission = Submission.objects.select_related("lab").filter(pk=submission_id).first()
    if submission is None or submission.is_final:
        return JobOutcome.NOTHING_TO_DO
    return _run(
        submission,
        worker,
        record=lambda claim, result, spec: services.record_result(
            submission_id, claim, result, spec.judge_version
        ),
        live=True,
    )


def run_regrade(regrade_id: int, worker: str) -> JobOutcome:
    regrade = (
        Regrade.objects.select_related("submission__lab")
        .defer("submission__notebook", "submission__stdout", "submission__stderr")
        .filter(pk=regrade_id)
        .first()
    )
    if regrade is None or regrade.is_final:
        return JobOutcome.NOTHING_TO_DO

    def record(claim, result, spec: LabSpec) -> bool:
        if spec.judge_version != regrade.judge_version:
            # A worker of another release: its judge is not the one the regrade asked for.
            raise OtherJudgeVersion(
                f"this worker's judge of {spec.slug} is version {spec.judge_version}, "
                f"the regrade asked for version {regrade.judge_version}"
            )
        return services.record_regrade(regrade_id, claim, result, spec.judge_version)

    return _run(regrade, worker, record=record, live=False)


def _run(
    job: GradingJob,
    worker: str,
    *,
    record: Callable[[object, object, LabSpec], bool],
    live: bool,
) -> JobOutcome:
    model = type(job)
    lab = services.lab_of(job)
    source = job.submission.source if isinstance(job, Regrade) else job.source
    me = worker_identity(worker)
    take_over = (
        job.claim
        if job.status == GradingJob.Status.RUNNING and holder_is_dead(job.worker)
        else None
    )
    claim = services.claim_job(model, job.pk, me, services.wall_s_of(lab), take_over=take_over)
    if claim is services.ClaimRefused.BUSY:
        return JobOutcome.RETRY
    if isinstance(claim, services.ClaimRefused):
        return JobOutcome.NOTHING_TO_DO

    # Results are written as they arrive, but at most every LIVE_FLUSH_S: a quick job then
    # costs one or two writes instead of one per test, and a long one still shows progress.
    pending: list = []
    last_flush = 0.0

    def on_test(position: int, test) -> None:
        nonlocal last_flush
        pending.append((position, test))
        now = time.monotonic()
        if now - last_flush >= LIVE_FLUSH_S:
            services.record_tests(job.pk, claim, pending)
            pending.clear()
            last_flush = now

    try:
        spec = load_lab(lab.slug)
        result = grade_source(spec, source, on_test=on_test if live else None)
        record(claim, result, spec)
    except (SandboxError, CatalogError, OtherJudgeVersion) as error:
        logger.exception("%s %s: the worker's side failed", model.__name__, job.pk)
        if services.give_back(model, job.pk, claim, f"{type(error).__name__}: {error}"):
            return JobOutcome.RETRY
    except Exception:
        # A bug of the grading code (or a result it cannot store): it would fail again.
        logger.exception("%s %s: grading raised", model.__name__, job.pk)
        services.end_as_broken(model, job.pk, claim, traceback.format_exc(limit=20))
    return JobOutcome.RECORDED
