"""A grading job runs a bounded number of times, counted on its row, and the sweeper never
sends a job past its budget. These tests drive services.py on the real database; the broker
is stubbed where the sweeper would publish (the worker-and-Redis versions of the same
behaviours are in test_grading_reliability.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override

from grading import queues, services
from grading.models import Regrade, Submission
from grading.queues import Tier
from grading.services import ClaimRefused, claim_job, give_back, sweep_stuck_jobs
from labs.models import Lab
from labs.sync import sync_labs

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(db) -> Lab:
    sync_labs()
    return Lab.objects.get(slug="dl-07-iou")


@pytest.fixture
def broker(monkeypatch):
    """What the sweeper publishes, and what it is told the queues hold."""

    class Broker:
        sent: list[tuple[str, int, str]] = []
        waiting: dict[str, int] = {}

    Broker.sent, Broker.waiting = [], {}
    monkeypatch.setattr(
        queues,
        "send_job",
        lambda task, job_id, queue, **kw: Broker.sent.append((task, job_id, queue)),
    )
    monkeypatch.setattr(
        queues,
        "queue_lengths",
        lambda names, *a, **kw: {n: Broker.waiting.get(n, 0) for n in names},
    )
    return Broker


def queued(learner, lab, **fields) -> Submission:
    fields.setdefault("enqueued_at", timezone.now())
    return Submission.objects.create(learner=learner, lab=lab, source="x = 1", **fields)


def test_each_claim_counts_an_attempt_and_the_last_failure_ends_the_job(alice, lab, settings):
    settings.GRADING_MAX_ATTEMPTS = 3
    submission = queued(alice, lab)
    for attempt in (1, 2, 3):
        claim = claim_job(Submission, submission.pk, "w|h|1", wall_s=10)
        assert not isinstance(claim, ClaimRefused)
        submission.refresh_from_db()
        assert submission.deliveries == attempt
        assert submission.status == Submission.Status.RUNNING
        sent_again = give_back(Submission, submission.pk, claim, f"SandboxError: try {attempt}")
        assert sent_again == (attempt < 3)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.ERROR
    assert submission.internal_error == "SandboxError: try 3"
    assert submission.claim is None and submission.finished_at and submission.score is None
    assert "сбоя на нашей стороне после 3 попыток" in submission.message
    assert submission.messages["en"].startswith("Grading failed on our side after 3 attempts")
    # Another delivery of the job finds nothing to do.
    assert claim_job(Submission, submission.pk, "w|h|2", wall_s=10) is ClaimRefused.FINISHED
    assert Submission.objects.get(pk=submission.pk).deliveries == 3


def test_a_redelivery_after_the_last_attempt_died_ends_the_job(alice, lab, settings):
    """A pool process killed mid-job: Celery delivers the message again, and the row, whose
    attempts are spent, ends instead of running a fourth time."""
    settings.GRADING_MAX_ATTEMPTS = 2
    dead_claim = Submission.new_claim()
    submission = Submission.objects.create(
        learner=alice, lab=lab, source="x = 1", status=Submission.Status.RUNNING,
        claim=dead_claim, started_at=timezone.now(), deliveries=2, worker="w|h|999999",
    )  # fmt: skip
    outcome = claim_job(Submission, submission.pk, "w|h|1", wall_s=10, take_over=dead_claim)
    assert outcome is ClaimRefused.EXHAUSTED
    submission.refresh_from_db()
    assert submission.status == Submission.Status.ERROR
    assert submission.deliveries == 2
    assert "w|h|999999 died mid-job" in submission.internal_error


def test_a_live_holder_keeps_its_job(alice, lab):
    submission = Submission.objects.create(
        learner=alice, lab=lab, source="x = 1", status=Submission.Status.RUNNING,
        claim=Submission.new_claim(), started_at=timezone.now(), deliveries=1,
    )  # fmt: skip
    assert claim_job(Submission, submission.pk, "w|h|1", wall_s=10) is ClaimRefused.BUSY
    assert Submission.objects.get(pk=submission.pk).deliveries == 1


def test_a_bug_of_the_grading_code_ends_the_job_at_once(alice, lab):
    submission = queued(alice, lab)
    claim = claim_job(Submission, submission.pk, "w|h|1", wall_s=10)
    assert services.end_as_broken(Submission, submission.pk, claim, "Traceback: KeyError")
    submission.refresh_from_db()
    assert submission.status == Submission.Status.ERROR and submission.deliveries == 1
    assert "ошибка на нашей стороне" in submission.message
    with override("en"):
        assert "an error on our side" in submission.message_in("en")


def test_the_sweeper_resends_a_lost_job_only_while_its_queue_is_empty(alice, lab, broker):
    long_ago = timezone.now() - timedelta(seconds=services.REQUEUE_AFTER_S + 5)
    lost = queued(alice, lab, enqueued_at=long_ago)
    queue = queues.lab_queue("cpu", Tier.PRACTICE)

    broker.waiting = {queue: 7}  # a long queue: the job is waiting its turn
    assert sweep_stuck_jobs() == {"retried": 0, "resent": 0, "ended": 0}
    assert broker.sent == []

    broker.waiting = {}  # the queue is empty, yet the job was never taken: its message is lost
    assert sweep_stuck_jobs()["resent"] == 1
    assert broker.sent == [(queues.GRADE_SUBMISSION_TASK, lost.pk, queue)]
    lost.refresh_from_db()
    assert lost.resends == 1 and lost.enqueued_at > long_ago
    assert sweep_stuck_jobs()["resent"] == 0  # sent just now


def test_the_sweeper_never_resends_past_the_budget(alice, lab, broker, settings):
    settings.GRADING_MAX_ATTEMPTS = 2
    long_ago = timezone.now() - timedelta(seconds=services.REQUEUE_AFTER_S + 5)
    lost = queued(alice, lab, enqueued_at=long_ago)
    for _ in range(5):
        Submission.objects.filter(pk=lost.pk).update(enqueued_at=long_ago)
        sweep_stuck_jobs()
    assert len(broker.sent) == 2
    assert Submission.objects.get(pk=lost.pk).resends == 2


def test_the_sweeper_retries_or_ends_a_vanished_workers_job(alice, lab, broker, settings):
    settings.GRADING_MAX_ATTEMPTS = 2
    silent_since = timezone.now() - timedelta(seconds=10 + services.STALE_MARGIN_S + 5)

    def running(deliveries: int) -> Submission:
        return Submission.objects.create(
            learner=alice, lab=lab, source="x = 1", status=Submission.Status.RUNNING,
            claim=Submission.new_claim(), started_at=silent_since, deliveries=deliveries,
        )  # fmt: skip

    retried, spent = running(1), running(2)
    assert sweep_stuck_jobs() == {"retried": 1, "resent": 0, "ended": 1}
    retried.refresh_from_db()
    spent.refresh_from_db()
    assert retried.status == Submission.Status.QUEUED and retried.claim is None
    assert broker.sent == [(queues.GRADE_SUBMISSION_TASK, retried.pk, "labs.cpu")]
    assert spent.status == Submission.Status.ERROR
    assert "обработчик задания был потерян (2 попытки)" in spent.message


def test_a_job_nobody_took_expires(alice, lab, broker, settings):
    settings.GRADING_QUEUE_EXPIRY_S = 2 * 3600
    old = queued(alice, lab)
    Submission.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=3))
    fresh = queued(alice, lab)
    assert sweep_stuck_jobs()["ended"] == 1
    old.refresh_from_db()
    assert old.status == Submission.Status.ERROR
    assert "за 2 часа" in old.message and "within 2 hours" in old.messages["en"]
    assert Submission.objects.get(pk=fresh.pk).status == Submission.Status.QUEUED


def test_regrades_are_swept_like_submissions(alice, lab, broker):
    graded = Submission.objects.create(
        learner=alice, lab=lab, source="x = 1", status=Submission.Status.DONE, score=0.5
    )
    long_ago = timezone.now() - timedelta(seconds=services.REQUEUE_AFTER_S + 5)
    regrade = Regrade.objects.create(submission=graded, judge_version=2, enqueued_at=long_ago)
    assert sweep_stuck_jobs()["resent"] == 1
    assert broker.sent == [(queues.REGRADE_TASK, regrade.pk, "labs.cpu.regrade")]


def test_exam_jobs_are_ahead_in_the_queue_position(alice, bob, lab):
    practice = queued(alice, lab)
    exam = queued(bob, lab, tier=Tier.EXAM)
    later_practice = queued(bob, lab)
    assert services.queue_position(exam) == 1
    assert services.queue_position(practice) == 2
    assert services.queue_position(later_practice) == 3
