"""Every change to a Submission: submit, claim, record, sweep. Views and tasks call these;
nothing else saves a Submission.

Claims are conditional UPDATEs with a fresh token: a worker owns a submission only while the
row still carries its token, so a second delivery of the same job (after a worker was killed)
can neither run beside the first nor record its results twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from grading.engine import GradeResult, TestOutcome
from grading.models import Artifact, Submission, TestResult
from grading.submissions_io import MAX_SUBMISSION_BYTES, SubmissionRejected, read_submission_file
from labs.models import Lab

# Past its wall limit plus this, a running job's worker is taken for dead.
STALE_MARGIN_S = 60
# A queued job whose message was lost (a broker restart) is sent again after this long.
REQUEUE_AFTER_S = 120


class RateLimited(Exception):
    """The learner must wait; the message (Russian) says how long."""


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
            f"У вас уже {active} решения в очереди. Дождитесь их проверки и отправьте снова."
        )
    window = timedelta(seconds=settings.GRADING_RATE_WINDOW_S)
    recent = Submission.objects.filter(learner=learner, created_at__gte=now - window).count()
    if recent >= settings.GRADING_MAX_PER_WINDOW:
        raise RateLimited(
            f"Слишком много отправок: не больше {settings.GRADING_MAX_PER_WINDOW} за "
            f"{settings.GRADING_RATE_WINDOW_S // 60} мин. Попробуйте немного позже."
        )


def submit_solution(
    learner: AbstractBaseUser,
    lab: Lab,
    *,
    source: str | None = None,
    upload: Upload | None = None,
    purpose: str = Submission.Purpose.PRACTICE,
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
            raise SubmissionRejected("Решение пустое.")
        elif len(source.encode()) > MAX_SUBMISSION_BYTES:
            raise SubmissionRejected(
                f"Решение слишком большое: допустимо до {MAX_SUBMISSION_BYTES // 1024} КБ."
            )
    except SubmissionRejected as refusal:
        return Submission.objects.create(
            learner=learner,
            lab=lab,
            kind=kind,
            purpose=purpose,
            source="",
            status=Submission.Status.REJECTED,
            message=str(refusal),
            finished_at=timezone.now(),
        )
    with transaction.atomic():
        submission = Submission.objects.create(
            learner=learner,
            lab=lab,
            kind=kind,
            purpose=purpose,
            source=source,
            notebook=notebook,
            tests_total=len(lab.tests),
            enqueued_at=timezone.now(),
        )
        queue = queue_for(lab, purpose)
        transaction.on_commit(lambda: enqueue(submission.pk, queue))
    return submission


def queue_for(lab: Lab, purpose: str) -> str:
    """The queue of a submission: `labs.<device>.exam` for exam submissions (workers consume
    it first), the lab's own queue for practice."""
    if purpose == Submission.Purpose.EXAM:
        return settings.EXAM_LAB_QUEUES[lab.device]
    return lab.queue


def enqueue(submission_id: int, queue: str) -> None:
    from grading.tasks import grade_submission

    grade_submission.apply_async(args=[submission_id], queue=queue)


def claim_submission(
    submission_id: int, worker: str, wall_s: float, take_over: uuid.UUID | None = None
) -> uuid.UUID | None:
    """Take a queued submission, or a running one whose worker must be dead (silent past its
    limit, or ``take_over``: the claim of a worker known to be dead); None if the submission
    is finished or another worker holds a live claim."""
    now = timezone.now()
    claim = uuid.uuid4()
    stale_before = now - timedelta(seconds=wall_s + STALE_MARGIN_S)
    running_but_dead = Q(status=Submission.Status.RUNNING, started_at__lt=stale_before)
    if take_over is not None:
        running_but_dead |= Q(status=Submission.Status.RUNNING, claim=take_over)
    with transaction.atomic():
        claimed = Submission.objects.filter(
            Q(status=Submission.Status.QUEUED) | running_but_dead,
            pk=submission_id,
        ).update(
            status=Submission.Status.RUNNING,
            claim=claim,
            started_at=now,
            worker=worker[:200],
            deliveries=F("deliveries") + 1,
        )
        if not claimed:
            return None
        # Results a dead worker recorded before it died belong to no finished grading.
        TestResult.objects.filter(submission_id=submission_id).delete()
    return claim


def release_claim(submission_id: int, claim: uuid.UUID) -> None:
    """Give a job back to the queue (the sandbox itself failed; another try may succeed)."""
    Submission.objects.filter(pk=submission_id, claim=claim).update(
        status=Submission.Status.QUEUED, claim=None, started_at=None, enqueued_at=timezone.now()
    )


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
            TestResult(submission_id=submission_id, name=test.name, **_test_fields(position, test))
            for position, test in tests
        ],
        update_conflicts=True,
        unique_fields=["submission", "name"],
        update_fields=["position", "title", "weight", "passed", "message", "duration_s"],
    )


def record_result(submission_id: int, claim: uuid.UUID, result: GradeResult) -> bool:
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
        Artifact.objects.bulk_create(
            Artifact(
                submission=submission,
                name=name,
                content=data,
                content_type="image/png" if name.endswith(".png") else "application/octet-stream",
            )
            for name, data in sorted(result.artifacts.items())
        )
        submission.status = result.status
        submission.score = result.score
        submission.message = result.message
        submission.stdout = result.stdout
        submission.stderr = result.stderr
        submission.limit_hit = result.limit_hit or ""
        submission.duration_s = result.duration_s
        submission.finished_at = timezone.now()
        submission.save()
    return True


def _test_fields(position: int, test: TestOutcome) -> dict:
    return {
        "position": position,
        "title": test.title,
        "weight": test.weight,
        "passed": test.passed,
        "message": test.message,
        "duration_s": test.duration_s,
    }


def sweep_stuck_submissions(now=None) -> dict[str, int]:
    """Re-send queued jobs whose message may be lost (a broker restart keeps no queue here),
    and time out running jobs whose worker has been silent far past their limit."""
    now = now or timezone.now()
    requeued = 0
    stuck_queued = Submission.objects.filter(
        status=Submission.Status.QUEUED,
        enqueued_at__lt=now - timedelta(seconds=REQUEUE_AFTER_S),
    ).select_related("lab")
    for submission in stuck_queued:
        # Conditional: only the sweeper that moves enqueued_at sends the job again.
        if Submission.objects.filter(
            pk=submission.pk, status=Submission.Status.QUEUED, enqueued_at=submission.enqueued_at
        ).update(enqueued_at=now):
            enqueue(submission.pk, queue_for(submission.lab, submission.purpose))
            requeued += 1
    timed_out = 0
    for submission in Submission.objects.filter(status=Submission.Status.RUNNING).select_related(
        "lab"
    ):
        wall_s = float(submission.lab.limits.get("wall_s", 30))
        if submission.started_at and submission.started_at < now - timedelta(
            seconds=wall_s + STALE_MARGIN_S
        ):
            timed_out += Submission.objects.filter(
                pk=submission.pk, status=Submission.Status.RUNNING, claim=submission.claim
            ).update(
                status=Submission.Status.TIMED_OUT,
                claim=None,
                finished_at=now,
                message="Проверка не завершилась: обработчик задания был потерян. "
                "Отправьте решение ещё раз.",
            )
    return {"requeued": requeued, "timed_out": timed_out}


def queue_position(submission: Submission) -> int | None:
    """1 for the next job of its queue; None once it is no longer queued."""
    if submission.status != Submission.Status.QUEUED:
        return None
    ahead = Submission.objects.filter(
        status=Submission.Status.QUEUED,
        lab__device=submission.lab.device,
        created_at__lt=submission.created_at,
    ).count()
    return ahead + 1
