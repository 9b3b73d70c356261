"""Every change to a grading job's row: submit, claim, record, give back, sweep. Views, the
regrade requests and the worker's jobs call these; nothing else saves a Submission or Regrade.

Claims are conditional UPDATEs with a fresh token: a worker owns a job only while the row still
carries its token, so a second delivery of the same job (after a worker was killed) can neither
run beside the first nor record its results twice.

Attempts are bounded (GRADING_MAX_ATTEMPTS). Each claim counts one, in the same UPDATE that
takes the claim. A failure of the worker's side (the sandbox failed, the worker died, the
message was lost) gives the job another attempt while some are left; once they are spent the
job ends as an internal error (status "error") with a message that tells the learner it says
nothing about the solution. A failure caused by the job itself is a normal result of the
engine (a limit, a crash, a sandbox violation) and is recorded once, never retried.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, ngettext

from grading import queues, verdicts
from grading.models import Artifact, GradingJob, Regrade, Submission, TestResult
from grading.queues import Tier
from grading.submissions_io import MAX_SUBMISSION_BYTES, SubmissionRejected, read_submission_file
from labs.models import Lab

if TYPE_CHECKING:  # the web process imports this module, and never needs the engine
    from grading.engine import GradeResult, TestOutcome

# Past its wall limit plus this, a running job's worker is taken for dead; Celery also kills a
# job's pool process at that point (queues.send_job's time limit).
STALE_MARGIN_S = 60
# A queued job is sent again once it has waited this long while its queue on the broker is
# empty (its message was lost: a broker restart keeps no queue here).
REQUEUE_AFTER_S = 120
DEFAULT_WALL_S = 30.0
JOB_MODELS: tuple[type[GradingJob], ...] = (Submission, Regrade)


class RateLimited(Exception):
    """The learner must wait; the message (in the request's language) says how long."""


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def check_rate_limit(learner: AbstractBaseUser, now=None) -> None:
    now = now or timezone.now()
    active = Submission.objects.filter(
        learner=learner, status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING]
    ).count()
    if active >= settings.GRADING_MAX_ACTIVE_PER_LEARNER:
        raise RateLimited(
            ngettext(
                "You already have %(count)d submission in the queue. Wait for it to be graded "
                "and submit again.",
                "You already have %(count)d submissions in the queue. Wait for them to be "
                "graded and submit again.",
                active,
            )
            % {"count": active}
        )
    window = timedelta(seconds=settings.GRADING_RATE_WINDOW_S)
    recent = Submission.objects.filter(learner=learner, created_at__gte=now - window).count()
    if recent >= settings.GRADING_MAX_PER_WINDOW:
        raise RateLimited(
            ngettext(
                "Too many submissions: no more than %(count)d in %(minutes)d min. Try again a "
                "little later.",
                "Too many submissions: no more than %(count)d in %(minutes)d min. Try again a "
                "little later.",
                settings.GRADING_MAX_PER_WINDOW,
            )
            % {
                "count": settings.GRADING_MAX_PER_WINDOW,
                "minutes": settings.GRADING_RATE_WINDOW_S // 60,
            }
        )


def submit_solution(
    learner: AbstractBaseUser,
    lab: Lab,
    *,
    source: str | None = None,
    upload: Upload | None = None,
    tier: Tier = Tier.PRACTICE,
) -> Submission:
    """Create a submission and queue it once the transaction commits. A file that cannot be
    graded gives a REJECTED submission carrying the reason, queued nowhere. An exam
    submission (``purpose=EXAM``) goes to the lab device's exam queue, ahead of practice."""
    check_rate_limit(learner)
    kind, notebook = Submission.Kind.EDITOR, ""
    try:
        if upload is not None:
            kind = (
                Submission.Kind.NOTEBOOK
                if upload.name.endswith(".ipynb")
                else Submission.Kind.PYTHON
            )
            source = read_submission_file(upload.name, upload.data)
            if kind == Submission.Kind.NOTEBOOK:
                notebook = upload.data.decode("utf-8-sig")
        elif source is None or not source.strip():
            raise SubmissionRejected(gettext_lazy("The solution is empty."))
        elif len(source.encode()) > MAX_SUBMISSION_BYTES:
            raise SubmissionRejected(
                format_lazy(
                    gettext_lazy("The solution is too large: up to {limit} KB is allowed."),
                    limit=MAX_SUBMISSION_BYTES // 1024,
                )
            )
    except SubmissionRejected as refusal:
        return Submission.objects.create(
            learner=learner,
            lab=lab,
            kind=kind,
            tier=tier,
            source="",
            status=Submission.Status.REJECTED,
            finished_at=timezone.now(),
            **verdicts.stored(lambda reason=refusal: str(reason)),
        )
    with transaction.atomic():
        submission = Submission.objects.create(
            learner=learner,
            lab=lab,
            kind=kind,
            tier=tier,
            source=source,
            notebook=notebook,
            tests_total=len(lab.tests),
            enqueued_at=timezone.now(),
            # A GPU lab goes to the GPU queues only while a GPU worker is online.
            device=queues.route_device(lab.device),
        )
        transaction.on_commit(lambda: send(submission))
    return submission


# --- Where a job goes ------------------------------------------------------------------------
def lab_of(job: GradingJob) -> Lab:
    return job.submission.lab if isinstance(job, Regrade) else job.lab


def wall_s_of(lab: Lab) -> float:
    return float(lab.limits.get("wall_s", DEFAULT_WALL_S))


def queue_of(job: GradingJob) -> str:
    """The job's queue: the device it was routed to (its lab's, for rows from before routing
    was kept) and its tier."""
    return queues.lab_queue(job.device or lab_of(job).device, job.tier)


def reroute(model: type[GradingJob], job: GradingJob) -> None:
    """Before a job is sent again: decide its device anew (a GPU worker may have gone, or
    come), and keep the answer on its row."""
    device = queues.route_device(lab_of(job).device)
    if device != job.device:
        model.objects.filter(pk=job.pk).update(device=device)
        job.device = device


def send(job: GradingJob) -> None:
    """Publish the job to its queue (the device it was routed to, and its tier)."""
    task = queues.REGRADE_TASK if isinstance(job, Regrade) else queues.GRADE_SUBMISSION_TASK
    queues.send_job(
        task, job.pk, queue_of(job), time_limit_s=wall_s_of(lab_of(job)) + STALE_MARGIN_S
    )


# --- A worker's claim on a job ---------------------------------------------------------------
class ClaimRefused(Enum):
    FINISHED = "finished"  # nothing to do: the job has ended (or does not exist)
    BUSY = "busy"  # another worker holds a live claim; look again later
    EXHAUSTED = "exhausted"  # its attempts ran out: it has just been ended as an error


def claim_job(
    model: type[GradingJob],
    job_id: int,
    worker: str,
    wall_s: float,
    take_over: uuid.UUID | None = None,
) -> uuid.UUID | ClaimRefused:
    """Take a queued job, or a running one whose worker must be dead (silent past its limit,
    or ``take_over``: the claim of a worker known to be dead), counting one attempt; a claim
    token, or why not. A job whose attempts are spent is ended here as an internal error."""
    now = timezone.now()
    claim = uuid.uuid4()
    stale_before = now - timedelta(seconds=wall_s + STALE_MARGIN_S)
    claimable = Q(status=GradingJob.Status.QUEUED) | Q(
        status=GradingJob.Status.RUNNING, started_at__lt=stale_before
    )
    if take_over is not None:
        claimable |= Q(status=GradingJob.Status.RUNNING, claim=take_over)
    max_attempts = settings.GRADING_MAX_ATTEMPTS
    with transaction.atomic():
        claimed = model.objects.filter(claimable, pk=job_id, deliveries__lt=max_attempts).update(
            status=GradingJob.Status.RUNNING,
            claim=claim,
            started_at=now,
            worker=worker[:200],
            deliveries=F("deliveries") + 1,
            device=queues.worker_device(),  # the device that grades it, whatever the queue
        )
        if claimed:
            if model is Submission:
                # Results a dead worker recorded before it died belong to no finished grading.
                TestResult.objects.filter(submission_id=job_id).delete()
            return claim
        # The conditional UPDATE is the check: a row still claimable here has no attempt left.
        exhausted = model.objects.filter(claimable, pk=job_id).first()
        if exhausted is not None:
            died = exhausted.status == GradingJob.Status.RUNNING
            _end_as_error(
                model,
                Q(pk=job_id, status=exhausted.status, claim=exhausted.claim),
                now,
                verdicts.attempts_ran_out(exhausted.deliveries),
                internal_error=(
                    f"attempt {exhausted.deliveries}: worker {exhausted.worker} died mid-job"
                    if died
                    else exhausted.internal_error
                ),
            )
            return ClaimRefused.EXHAUSTED
    running = model.objects.filter(pk=job_id, status=GradingJob.Status.RUNNING).exists()
    return ClaimRefused.BUSY if running else ClaimRefused.FINISHED


def _end_as_error(
    model: type[GradingJob], which: Q, now, message: dict, internal_error: str = ""
) -> int:
    fields = {"internal_error": internal_error[:10_000]} if internal_error else {}
    return model.objects.filter(which).update(
        status=GradingJob.Status.ERROR, claim=None, finished_at=now, **message, **fields
    )


def give_back(model: type[GradingJob], job_id: int, claim: uuid.UUID, error: str) -> bool:
    """The worker's side failed on this attempt (the sandbox, the catalogue): give the job
    back to the queue if it has attempts left (True: send it again), else end it as an
    internal error (False). ``error`` is kept for operators."""
    now = timezone.now()
    with transaction.atomic():
        job = (
            model.objects.select_for_update()
            .filter(pk=job_id, claim=claim, status=GradingJob.Status.RUNNING)
            .first()
        )
        if job is None:
            return False  # the claim was lost; its new holder decides
        if job.deliveries >= settings.GRADING_MAX_ATTEMPTS:
            _end_as_error(
                model, Q(pk=job_id, claim=claim), now,
                verdicts.attempts_ran_out(job.deliveries), internal_error=error,
            )  # fmt: skip
            return False
        model.objects.filter(pk=job_id, claim=claim).update(
            status=GradingJob.Status.QUEUED,
            claim=None,
            started_at=None,
            enqueued_at=now,
            internal_error=error[:10_000],
        )
    return True


def end_as_broken(model: type[GradingJob], job_id: int, claim: uuid.UUID, error: str) -> bool:
    """The grading code itself raised on this job (a bug of ours, which would raise again):
    end it at once as an internal error rather than spend the other attempts."""
    return bool(
        _end_as_error(
            model,
            Q(pk=job_id, claim=claim, status=GradingJob.Status.RUNNING),
            timezone.now(),
            verdicts.checks_broke(),
            internal_error=error,
        )
    )


# --- Recording results -----------------------------------------------------------------------
def record_tests(
    submission_id: int, claim: uuid.UUID, tests: list[tuple[int, TestOutcome]]
) -> bool:
    """Store test results as they arrive (position, outcome), if the claim still holds."""
    with transaction.atomic():
        holder = (
            Submission.objects.select_for_update()
            .filter(pk=submission_id, claim=claim, status=Submission.Status.RUNNING)
            .exists()
        )
        if not holder:
            return False
        _upsert_results(submission_id, tests)
    return True


def _upsert_results(submission_id: int, tests: list[tuple[int, TestOutcome]]) -> None:
    """One statement for any number of results: a later outcome of a test replaces an
    earlier one (the final judgement replaces what was shown while the job ran)."""
    TestResult.objects.bulk_create(
        [
            TestResult(submission_id=submission_id, name=test.name, **test_fields(position, test))
            for position, test in tests
        ],
        update_conflicts=True,
        unique_fields=["submission", "name"],
        update_fields=[
            "position", "title", "weight", "passed", "message", "messages", "duration_s",
        ],
    )  # fmt: skip


def record_result(
    submission_id: int, claim: uuid.UUID, result: GradeResult, judge_version: int | None = None
) -> bool:
    """Store the grading of a submission once; False if the claim was lost."""
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .filter(pk=submission_id, claim=claim, status=Submission.Status.RUNNING)
            .first()
        )
        if submission is None:
            return False
        _upsert_results(submission.pk, list(enumerate(result.tests, start=1)))
        figures = {figure.name: figure for figure in result.figures}
        Artifact.objects.bulk_create(
            [
                Artifact(
                    submission=submission,
                    name=figure.name,
                    content=figure.png,
                    content_type="image/png",
                    grader=True,
                    titles=figure.titles,
                )
                for figure in figures.values()
            ]
            + [
                Artifact(
                    submission=submission,
                    name=name,
                    content=data,
                    content_type="image/png"
                    if name.endswith(".png")
                    else "application/octet-stream",
                )
                for name, data in sorted(result.artifacts.items())
                if name not in figures  # the judge's figure keeps its name
            ]
        )
        _apply_result(submission, result, judge_version)
        submission.save()
    return True


def record_regrade(
    regrade_id: int, claim: uuid.UUID, result: GradeResult, judge_version: int
) -> bool:
    """Store the new result of a regrade beside the submission's own; False if the claim was
    lost. The submission's row and results are not touched."""
    with transaction.atomic():
        regrade = (
            Regrade.objects.select_for_update()
            .filter(pk=regrade_id, claim=claim, status=Regrade.Status.RUNNING)
            .first()
        )
        if regrade is None:
            return False
        regrade.tests = [
            {"name": test.name, **test_fields(position, test)}
            for position, test in enumerate(result.tests, start=1)
        ]
        _apply_result(regrade, result, judge_version)
        regrade.save()
    return True


def _apply_result(job: GradingJob, result: GradeResult, judge_version: int | None) -> None:
    job.status = result.status
    job.score = result.score
    job.message = result.message
    job.messages = messages_of(result)
    job.stdout = result.stdout
    job.stderr = result.stderr
    job.limit_hit = result.limit_hit or ""
    job.duration_s = result.duration_s
    job.judge_version = judge_version
    job.finished_at = timezone.now()
    job.claim = None


def messages_of(outcome: TestOutcome | GradeResult) -> dict[str, str]:
    """The message of an engine outcome by language code. The engine gives ``message`` (the
    Russian text) and may give the others as ``messages``, a dict {language code: text}, or
    as ``message_<code>`` attributes (``message_en``); {} when it gives none."""
    texts = getattr(outcome, "messages", None)
    found = {
        code: text
        for code, text in (texts.items() if isinstance(texts, dict) else ())
        if isinstance(code, str) and isinstance(text, str) and text
    }
    for code, _name in settings.LANGUAGES:
        text = getattr(outcome, f"message_{code}", None)
        if isinstance(text, str) and text:
            found.setdefault(code, text)
    return {settings.LANGUAGE_CODE: outcome.message, **found} if found else {}


def test_fields(position: int, test: TestOutcome) -> dict:
    return {
        "position": position,
        "title": test.title,
        "titles": {code: text for code, text in getattr(test, "titles", {}).items() if text},
        "weight": test.weight,
        "passed": test.passed,
        "message": test.message,
        "messages": messages_of(test),
        "duration_s": test.duration_s,
    }


# --- The sweeper -----------------------------------------------------------------------------
def sweep_stuck_jobs(now=None) -> dict[str, int]:
    """Find the jobs that nothing will move any more, and move them, within their budgets:

    1. running, but silent far past the lab's limit (its worker vanished): sent again if it
       has attempts left, else ended as an internal error;
    2. queued for REQUEUE_AFTER_S since it was last sent while its queue on the broker holds
       nothing (its message was lost): sent again, at most GRADING_MAX_ATTEMPTS times;
    3. queued for GRADING_QUEUE_EXPIRY_S in all: ended as an internal error.

    Each move is a conditional UPDATE, so two sweepers at once move a job once."""
    now = now or timezone.now()
    report = {"retried": 0, "resent": 0, "ended": 0}
    for model in JOB_MODELS:
        _sweep_running(model, now, report)
        _sweep_queued(model, now, report)
    return report


def _lab_path(model: type[GradingJob]) -> str:
    return "submission__lab" if model is Regrade else "lab"


def _sweep_running(model: type[GradingJob], now, report: dict[str, int]) -> None:
    running = model.objects.filter(status=GradingJob.Status.RUNNING).select_related(
        _lab_path(model)
    )
    for job in running:
        wall_s = wall_s_of(lab_of(job))
        if not job.started_at or job.started_at >= now - timedelta(seconds=wall_s + STALE_MARGIN_S):
            continue
        which = Q(pk=job.pk, status=GradingJob.Status.RUNNING, claim=job.claim)
        lost = f"attempt {job.deliveries}: worker {job.worker} went silent past the limit"
        if job.deliveries >= settings.GRADING_MAX_ATTEMPTS:
            report["ended"] += _end_as_error(
                model, which, now, verdicts.worker_lost(job.deliveries), internal_error=lost
            )
        elif model.objects.filter(which).update(
            status=GradingJob.Status.QUEUED,
            claim=None,
            started_at=None,
            enqueued_at=now,
            internal_error=lost,
        ):
            reroute(model, job)
            send(job)
            report["retried"] += 1


def _sweep_queued(model: type[GradingJob], now, report: dict[str, int]) -> None:
    queued = model.objects.filter(status=GradingJob.Status.QUEUED)
    expiry_s = settings.GRADING_QUEUE_EXPIRY_S
    hours = max(1, round(expiry_s / 3600))
    report["ended"] += _end_as_error(
        model,
        Q(status=GradingJob.Status.QUEUED)
        & (Q(created_at__lt=now - timedelta(seconds=expiry_s))
           | Q(deliveries__gte=settings.GRADING_MAX_ATTEMPTS)),
        now,
        verdicts.never_taken(hours),
        internal_error="no worker took the job before it expired",
    )  # fmt: skip
    waiting = list(
        queued.filter(
            Q(enqueued_at__lt=now - timedelta(seconds=REQUEUE_AFTER_S))
            | Q(enqueued_at__isnull=True),
            resends__lt=settings.GRADING_MAX_ATTEMPTS,
        ).select_related(_lab_path(model))
    )
    if not waiting:
        return
    # A queue that still holds messages may hold this job's: it is waiting its turn. Unless
    # it waits for a GPU worker that is gone: then it goes to the CPU queues now.
    lengths = queues.queue_lengths({queue_of(job) for job in waiting})
    gpu_online = None
    for job in waiting:
        stranded = False
        if job.device == "gpu":
            gpu_online = queues.gpu_worker_online() if gpu_online is None else gpu_online
            stranded = not gpu_online
        if lengths.get(queue_of(job)) != 0 and not stranded:
            continue
        # Conditional: only the sweeper that moves enqueued_at sends the job again.
        if model.objects.filter(
            pk=job.pk, status=GradingJob.Status.QUEUED, enqueued_at=job.enqueued_at
        ).update(enqueued_at=now, resends=F("resends") + 1):
            reroute(model, job)
            send(job)
            report["resent"] += 1


def queue_position(submission: Submission) -> int | None:
    """1 for the next job of its queue; None once it is no longer queued. Exam jobs of the
    same device go first; regrades never do."""
    if submission.status != Submission.Status.QUEUED:
        return None
    same_tier_earlier = Q(tier=submission.tier, created_at__lt=submission.created_at)
    ahead = Q(tier=Tier.EXAM) & ~Q(tier=submission.tier) | same_tier_earlier
    same_queues = (
        Q(device=submission.device) if submission.device else Q(lab__device=submission.lab.device)
    )
    count = Submission.objects.filter(ahead, same_queues, status=Submission.Status.QUEUED).count()
    return count + 1
