"""Regrading: stored submissions re-run through the current version of their lab's judge.

A lab declares ``judge_version`` in its lab.toml (labs/catalog.py); every result records the
version that produced it. When a lab's judge changes what old submissions deserve, its
version goes up and `manage.py regrade LAB` (or the admin's action on submissions) asks for a
``Regrade`` of each graded submission whose result came from an older version:

1. The candidates: submissions of the lab that were graded (done, failed to run, or timed
   out), optionally only those sent since a date, whose judge version is older than the
   lab's current one (none recorded means version 1).
2. One Regrade row per submission and judge version (a unique constraint): asking again
   queues nothing new; a regrade that ended as an internal error is queued once more.
3. The rows are sent after the transaction commits to the lab device's regrade queue, the
   lowest tier (grading/queues.py): workers take one only when no exam or practice job waits.

The worker grades the submission's source again and records the new result on the Regrade
row (services.record_regrade); the submission's own result is never changed, and the learner
sees both on the submission's page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from grading import queues, services
from grading.models import Regrade, Submission
from labs.models import Lab

REGRADABLE = (Submission.Status.DONE, Submission.Status.FAILED, Submission.Status.TIMED_OUT)


@dataclass
class RegradeReport:
    lab: str
    judge_version: int
    candidates: int = 0  # graded by an older judge
    queued: list[int] = field(default_factory=list)  # Regrade ids sent now
    already: int = 0  # asked before at this version, and not ended in error
    dry_run: bool = False


def regrade_candidates(lab: Lab, since: datetime | None = None) -> QuerySet[Submission]:
    """The lab's graded submissions whose result came from an older judge than the lab's."""
    older = Q(judge_version__lt=lab.judge_version)
    if lab.judge_version > 1:
        older |= Q(judge_version__isnull=True)  # graded before versions were recorded: v1
    candidates = Submission.objects.filter(older, lab=lab, status__in=REGRADABLE)
    if since is not None:
        candidates = candidates.filter(created_at__gte=since)
    return candidates


def request_regrade(
    lab: Lab,
    *,
    since: datetime | None = None,
    submissions: QuerySet[Submission] | None = None,
    dry_run: bool = False,
    requested_by: AbstractBaseUser | None = None,
) -> RegradeReport:
    """Queue a regrade by the lab's current judge for each candidate (of ``submissions`` if
    given, else of the whole lab) that has none at this version yet, or one that ended as an
    internal error. Idempotent; ``dry_run`` counts and writes nothing."""
    version = lab.judge_version
    report = RegradeReport(lab=lab.slug, judge_version=version, dry_run=dry_run)
    with transaction.atomic():
        # One request per lab at a time: two at once would both see the same rows missing.
        Lab.objects.select_for_update().filter(pk=lab.pk).first()
        candidates = regrade_candidates(lab, since)
        if submissions is not None:
            candidates = candidates.filter(pk__in=submissions.values("pk"))
        candidate_ids = list(candidates.order_by("created_at").values_list("pk", flat=True))
        report.candidates = len(candidate_ids)
        existing = dict(
            Regrade.objects.filter(
                judge_version=version, submission_id__in=candidate_ids
            ).values_list("submission_id", "status")
        )
        missing = [pk for pk in candidate_ids if pk not in existing]
        retried = [pk for pk, status in existing.items() if status == Regrade.Status.ERROR]
        report.already = len(existing) - len(retried)
        if dry_run:
            return report
        now = timezone.now()
        device = queues.route_device(lab.device)
        created = Regrade.objects.bulk_create(
            Regrade(
                submission_id=pk, judge_version=version, enqueued_at=now,
                requested_by=requested_by, device=device,
            )
            for pk in missing
        )  # fmt: skip
        if retried:
            Regrade.objects.filter(
                judge_version=version, submission_id__in=retried, status=Regrade.Status.ERROR
            ).update(
                status=Regrade.Status.QUEUED, score=None, message="", messages={},
                finished_at=None, started_at=None, claim=None, deliveries=0, resends=0,
                enqueued_at=now, requested_by=requested_by, device=device,
                created_at=now,  # asked anew: its time in the queue starts now (expiry)
            )  # fmt: skip
        to_send = list(
            Regrade.objects.filter(
                Q(pk__in=[regrade.pk for regrade in created]) | Q(submission_id__in=retried),
                judge_version=version,
            ).select_related("submission__lab")
        )
        report.queued = [regrade.pk for regrade in to_send]
        transaction.on_commit(lambda: [services.send(regrade) for regrade in to_send])
    return report
