"""Graded evidence schedules flashcards too: a wrong MCQ answer or a failed lab test brings the
related Q&A cards forward, and the card says why.

Evidence is pulled, not pushed: quizzes and grading know nothing of flashcards. Each time the
learner opens their study pages, the answers and test results graded since the last look
(`StudySettings.evidence_checked_at`) are read and applied, in a fixed number of queries.

- A wrong answer counts once it is final: a practice answer at once, a timed attempt's answers
  when the attempt is finished. Its related items are those the quiz review recommends
  (assessments.related: shared topics, then shared words).
- A failed test of a graded lab brings forward the course's items that share the lab's topics,
  best matching the failed tests' titles first.
- A card in review is made due now; a card still new jumps the new-card queue (and the daily
  cap: the evidence says it matters now); an item without a card gets one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from assessments.models import MCQ, Attempt, AttemptQuestion, MCQOption
from assessments.related import related_qa_items
from courses.models import QAItem
from courses.queries import course_qa_items
from courses.search import index_text
from grading.models import Submission, TestResult
from labs.models import Lab
from study.models import Card
from study.services import settings_for

ITEMS_PER_LAB = 3


def apply_new_evidence(learner: AbstractBaseUser, *, now: datetime | None = None) -> int:
    """Bring forward the cards that answers and lab results graded since the last call point
    to; returns how many cards were touched."""
    now = now or timezone.now()
    settings = settings_for(learner)
    since = settings.evidence_checked_at
    touched = _from_quiz_answers(learner, since, now) + _from_lab_results(learner, since, now)
    type(settings).objects.filter(pk=settings.pk).update(evidence_checked_at=now)
    return touched


def _from_quiz_answers(learner: AbstractBaseUser, since: datetime | None, now: datetime) -> int:
    final = Q(attempt__mode=Attempt.Mode.PRACTICE) | ~Q(attempt__status=Attempt.Status.IN_PROGRESS)
    wrong = AttemptQuestion.objects.filter(
        final, attempt__learner=learner, is_correct=False, answered_at__lte=now
    )
    if since is not None:
        wrong = wrong.filter(
            Q(attempt__mode=Attempt.Mode.PRACTICE, answered_at__gt=since)
            | Q(attempt__mode=Attempt.Mode.TIMED, attempt__finished_at__gt=since)
        )
    latest: dict[int, datetime] = {}
    for mcq_id, answered_at in wrong.values_list("mcq_id", "answered_at"):
        latest[mcq_id] = max(answered_at, latest.get(mcq_id, answered_at))
    if not latest:
        return 0
    mcqs = list(
        MCQ.objects.filter(pk__in=latest).prefetch_related(
            "topics", Prefetch("options", MCQOption.objects.filter(is_correct=True))
        )
    )
    correct = {mcq.pk: " ".join(o.text for o in mcq.options.all()) for mcq in mcqs}
    related = related_qa_items(mcqs, correct)
    touched = 0
    for mcq in mcqs:
        touched += bring_forward(
            learner,
            mcq.course_id,
            related.get(mcq.pk, []),
            Card.Evidence.QUIZ,
            mcq.question,
            latest[mcq.pk],
        )
    return touched


def _from_lab_results(learner: AbstractBaseUser, since: datetime | None, now: datetime) -> int:
    failed = TestResult.objects.filter(
        submission__learner=learner,
        submission__status=Submission.Status.DONE,
        submission__lab__course__isnull=False,
        passed=False,
    )
    if since is not None:
        failed = failed.filter(submission__finished_at__gt=since)
    by_lab: dict[int, dict] = {}
    for lab_id, course_id, lab_title, title, finished_at in failed.values_list(
        "submission__lab_id",
        "submission__lab__course_id",
        "submission__lab__title",
        "title",
        "submission__finished_at",
    ):
        entry = by_lab.setdefault(
            lab_id, {"course": course_id, "lab": lab_title, "titles": set(), "at": finished_at}
        )
        entry["titles"].add(title)
        entry["at"] = max(entry["at"] or now, finished_at or now)
    if not by_lab:
        return 0
    lab_topics: dict[int, set[int]] = defaultdict(set)
    for lab_id, topic_id in Lab.topics.through.objects.filter(lab_id__in=by_lab).values_list(
        "lab_id", "topic_id"
    ):
        lab_topics[lab_id].add(topic_id)
    touched = 0
    for lab_id, entry in by_lab.items():
        items = _items_for_lab(entry["course"], lab_topics[lab_id], entry["titles"])
        detail = f"{entry['lab']}: {'; '.join(sorted(entry['titles']))}"
        touched += bring_forward(
            learner, entry["course"], items, Card.Evidence.LAB, detail, entry["at"] or now
        )
    return touched


def _items_for_lab(course_id: int, topic_ids: set[int], titles: set[str]) -> list[QAItem]:
    if not topic_ids:
        return []
    from courses.models import Course

    candidates = list(
        course_qa_items(Course(pk=course_id))
        .filter(topics__in=topic_ids)
        .distinct()
        .prefetch_related("topics")
        .only("id", "question")
    )
    wanted = set(index_text(" ".join(titles)).split())

    def score(item: QAItem) -> tuple:
        shared = sum(1 for topic in item.topics.all() if topic.pk in topic_ids)
        words = len(wanted & set(index_text(item.question).split()))
        return (-shared, -words, item.pk)

    return sorted(candidates, key=score)[:ITEMS_PER_LAB]


def bring_forward(
    learner: AbstractBaseUser,
    course_id: int,
    items: list[QAItem],
    kind: str,
    detail: str,
    at: datetime,
) -> int:
    """Make the learner's cards of `items` in the course due now, saying why."""
    if not items:
        return 0
    now = timezone.now()
    note = {"evidence": kind, "evidence_detail": detail[:300], "evidence_at": at}
    existing = set(
        Card.objects.filter(learner=learner, course_id=course_id, qa_item__in=items).values_list(
            "qa_item_id", flat=True
        )
    )
    with transaction.atomic():
        Card.objects.filter(
            learner=learner, course_id=course_id, qa_item__in=items, due__gt=now
        ).exclude(state=Card.State.NEW).update(due=now, **note)
        Card.objects.filter(learner=learner, course_id=course_id, qa_item__in=items).filter(
            Q(state=Card.State.NEW) | Q(due__lte=now)
        ).update(**note)
        for item in items:
            if item.pk in existing:
                continue
            try:
                with transaction.atomic():
                    Card.objects.create(
                        learner=learner, course_id=course_id, qa_item=item, due=now, **note
                    )
            except IntegrityError:  # made a moment ago by another request
                pass
    return len(items)
