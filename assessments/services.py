"""Attempts: start, answer, submit, and close at the deadline. Views never save these rows.

Every write that must not race takes the attempt's row lock first (`select_for_update`):
an answer and a submission of the same attempt are serialised, so an answer can never land
after the score was computed, and a double submit finds the attempt already closed. An answer
also carries the version of the question it was rendered with; the conditional UPDATE on that
version refuses a replayed or stale POST instead of overwriting a newer answer.

A refusal raises `QuizRefused` with a message for the learner and changes nothing.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import MCQ, Attempt, AttemptQuestion, MCQOption, Quiz, TopicResult
from courses.models import Course, Topic

# An answer sent in the last second arrives a little after the deadline; this much network
# delay is forgiven, nothing more.
DEADLINE_GRACE = timedelta(seconds=2)
MAX_PRACTICE_QUESTIONS = 50


class QuizRefused(Exception):
    """A request the rules refuse; `str(error)` is the learner-facing reason."""


def start_practice_attempt(
    learner: AbstractBaseUser,
    course: Course,
    topics: Sequence[Topic],
    count: int,
    *,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> Attempt:
    """A practice attempt over `count` random live questions of the course (of the topics, if
    any are given): instant feedback, no deadline."""
    rng = rng or random.Random()  # noqa: S311 - shuffling questions, not secrets
    now = now or timezone.now()
    if not 1 <= count <= MAX_PRACTICE_QUESTIONS:
        raise QuizRefused(
            _("Choose between 1 and %(max)d questions.") % {"max": MAX_PRACTICE_QUESTIONS}
        )
    pool = MCQ.objects.live().filter(course=course)
    if topics:
        pool = pool.filter(topics__in=topics).distinct()
    ids = sorted(pool.values_list("id", flat=True))
    if not ids:
        raise QuizRefused(_("No questions of this course match the chosen topics."))
    chosen = rng.sample(ids, min(count, len(ids)))
    with transaction.atomic():
        attempt = Attempt.objects.create(
            learner=learner,
            course=course,
            mode=Attempt.Mode.PRACTICE,
            layout=Quiz.Layout.ONE,
            started_at=now,
            question_count=len(chosen),
        )
        attempt.topics.set(topics)
        _create_questions(attempt, chosen, rng)
    return attempt


def start_practice_on(
    learner: AbstractBaseUser,
    course: Course,
    mcq_ids: Sequence[int],
    *,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> Attempt:
    """A practice attempt over the given questions of the course (the study dashboard's
    re-practice of the questions a learner got wrong), in random order."""
    rng = rng or random.Random()  # noqa: S311 - shuffling questions, not secrets
    now = now or timezone.now()
    ids = sorted(
        MCQ.objects.live().filter(course=course, pk__in=mcq_ids).values_list("id", flat=True)
    )[:MAX_PRACTICE_QUESTIONS]
    if not ids:
        raise QuizRefused(_("There are no questions you got wrong in this course."))
    rng.shuffle(ids)
    with transaction.atomic():
        attempt = Attempt.objects.create(
            learner=learner,
            course=course,
            mode=Attempt.Mode.PRACTICE,
            layout=Quiz.Layout.ONE,
            started_at=now,
            question_count=len(ids),
        )
        _create_questions(attempt, ids, rng)
    return attempt


def start_quiz_attempt(
    learner: AbstractBaseUser,
    quiz: Quiz,
    *,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Start a timed attempt, or return the learner's running one (a second click resumes).

    1. The quiz row is locked so two simultaneous starts of one learner count attempts once.
    2. A running attempt past its deadline is closed first; a live one is returned as it is.
    3. The allowance counts every attempt, finished or not.
    """
    rng = rng or random.Random()  # noqa: S311 - shuffling questions, not secrets
    now = now or timezone.now()
    with transaction.atomic():
        quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
        if not quiz.is_published:
            raise QuizRefused(_("This quiz is not open to learners."))
        running = Attempt.objects.filter(
            learner=learner, quiz=quiz, status=Attempt.Status.IN_PROGRESS
        ).first()
        if running is not None:
            if not _past_deadline(running, now):
                return running
            _finish(running, Attempt.Status.EXPIRED, now)
        if quiz.is_closed(now):
            raise QuizRefused(_("This quiz is closed."))
        used = Attempt.objects.filter(learner=learner, quiz=quiz).count()
        if quiz.attempts_allowed and used >= quiz.attempts_allowed:
            raise QuizRefused(_("You have used all attempts allowed for this quiz."))
        ids = sorted(quiz_pool(quiz).values_list("id", flat=True))
        if not ids:
            raise QuizRefused(_("This quiz has no questions yet."))
        chosen = rng.sample(ids, min(quiz.question_count or len(ids), len(ids)))
        deadline = now + timedelta(minutes=quiz.time_limit_minutes)
        if quiz.closes_at is not None:
            deadline = min(deadline, quiz.closes_at)
        try:
            with transaction.atomic():
                attempt = Attempt.objects.create(
                    learner=learner,
                    course_id=quiz.course_id,
                    quiz=quiz,
                    mode=Attempt.Mode.TIMED,
                    layout=quiz.layout,
                    show_answers=quiz.show_answers,
                    started_at=now,
                    deadline=deadline,
                    question_count=len(chosen),
                )
        except IntegrityError:  # started in another request a moment ago: resume that one
            return Attempt.objects.get(
                learner=learner, quiz=quiz, status=Attempt.Status.IN_PROGRESS
            )
        _create_questions(attempt, chosen, rng)
    return attempt


def quiz_pool(quiz: Quiz):
    """The live questions a quiz draws from."""
    if quiz.selection == Quiz.Selection.FIXED:
        return quiz.mcqs.live().filter(course_id=quiz.course_id)
    pool = MCQ.objects.live().filter(course_id=quiz.course_id)
    topic_ids = [topic.pk for topic in quiz.topics.all()]
    if topic_ids:
        pool = pool.filter(topics__in=topic_ids).distinct()
    return pool


def _create_questions(attempt: Attempt, mcq_ids: Sequence[int], rng: random.Random) -> None:
    options: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for option_id, mcq_id, is_correct in MCQOption.objects.filter(mcq_id__in=mcq_ids).values_list(
        "id", "mcq_id", "is_correct"
    ):
        options[mcq_id].append((option_id, is_correct))
    rows = []
    for position, mcq_id in enumerate(mcq_ids, start=1):
        order = [option_id for option_id, _ in sorted(options[mcq_id])]
        rng.shuffle(order)
        correct = next((o for o, is_correct in options[mcq_id] if is_correct), None)
        rows.append(
            AttemptQuestion(
                attempt=attempt,
                mcq_id=mcq_id,
                position=position,
                option_order=order,
                correct_option_id=correct,
            )
        )
    AttemptQuestion.objects.bulk_create(rows)


def record_answer(
    attempt_id: int,
    position: int,
    option_id: int,
    version: int,
    *,
    now: datetime | None = None,
) -> AttemptQuestion:
    """Save the learner's choice for one question of an open attempt and return the question.

    Ownership is the caller's job (the access helper looked the attempt up through the user).
    """
    now = now or timezone.now()
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt_id)
        if not attempt.is_open:
            raise QuizRefused(_("This attempt is finished: answers can no longer change."))
        if _past_deadline(attempt, now):
            raise QuizRefused(_("Time is up: answers sent after the deadline are not accepted."))
        question = AttemptQuestion.objects.filter(attempt=attempt, position=position).first()
        if question is None:
            raise QuizRefused(_("This attempt has no question number %(n)d.") % {"n": position})
        if option_id not in question.option_order:
            raise QuizRefused(_("This option does not belong to this question."))
        if attempt.is_practice and question.chosen_option_id is not None:
            raise QuizRefused(_("This question is already answered; its answer is final."))
        if version != question.version:
            raise QuizRefused(
                _("This answer form is out of date (the answer changed since); nothing was saved.")
            )
        is_correct = option_id == question.correct_option_id
        claimed = AttemptQuestion.objects.filter(pk=question.pk, version=version).update(
            chosen_option_id=option_id,
            is_correct=is_correct,
            answered_at=now,
            version=F("version") + 1,
        )
        if not claimed:  # cannot happen under the row lock; kept as the invariant's guard
            raise QuizRefused(_("This answer form is out of date; nothing was saved."))
    question.chosen_option_id = option_id
    question.is_correct = is_correct
    question.answered_at = now
    question.version = version + 1
    return question


@dataclass(frozen=True)
class SavedAnswer:
    question_id: int
    position: int
    version: int
    is_correct: bool
    is_practice: bool
    question_count: int


# The whole answer in one statement, for the hot path of autosave. The CTE takes a FOR SHARE
# lock on the attempt row: answers of one attempt do not block each other, but a submission
# (FOR UPDATE) waits for them and they wait for it, after which PostgreSQL re-checks the
# attempt's status; so no answer lands after the score was computed. Every rule of
# record_answer is a condition here; when nothing matches, record_answer explains why.
_SAVE_ANSWER_SQL = """
WITH a AS (
    SELECT id, mode, question_count FROM {attempt}
    WHERE id = %(attempt)s AND learner_id = %(learner)s AND status = 'in_progress'
      AND (deadline IS NULL OR deadline >= %(cutoff)s)
    FOR SHARE
)
UPDATE {question} AS q
SET chosen_option_id = %(option)s,
    is_correct = COALESCE(q.correct_option_id = %(option)s, false),
    answered_at = %(now)s,
    version = q.version + 1
FROM a
WHERE q.attempt_id = a.id AND q.position = %(position)s AND q.version = %(version)s
  AND q.option_order @> %(option_json)s::jsonb
  AND (a.mode = 'timed' OR q.chosen_option_id IS NULL)
RETURNING q.id, q.version, q.is_correct, a.mode, a.question_count
"""


def save_answer_fast(
    learner_id: int,
    attempt_id: int,
    position: int,
    option_id: int,
    version: int,
    *,
    now: datetime | None = None,
) -> SavedAnswer | None:
    """Save an answer that every rule allows, in one round trip (PostgreSQL); None when the
    rules refuse it or the database is not PostgreSQL: then call record_answer."""
    if connection.vendor != "postgresql":
        return None
    now = now or timezone.now()
    sql = _SAVE_ANSWER_SQL.format(
        attempt=Attempt._meta.db_table, question=AttemptQuestion._meta.db_table
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "attempt": attempt_id,
                "learner": learner_id,
                "cutoff": now - DEADLINE_GRACE,
                "option": option_id,
                "now": now,
                "position": position,
                "version": version,
                "option_json": json.dumps([option_id]),
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    question_id, new_version, is_correct, mode, count = row
    return SavedAnswer(
        question_id, position, new_version, is_correct, mode == Attempt.Mode.PRACTICE, count
    )


def move_to(attempt: Attempt, position: int) -> None:
    """Remember where the learner is, so that a reload or a new session resumes there."""
    if attempt.is_open and attempt.current_position != position:
        Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.IN_PROGRESS).update(
            current_position=position
        )
        attempt.current_position = position


def submit_attempt(attempt_id: int, *, now: datetime | None = None) -> Attempt:
    """Close an open attempt and score it; a second submit is refused and changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt_id)
        if not attempt.is_open:
            raise QuizRefused(_("This attempt was already submitted."))
        status = (
            Attempt.Status.EXPIRED if _past_deadline(attempt, now) else Attempt.Status.SUBMITTED
        )
        _finish(attempt, status, now)
    return attempt


def close_if_expired(attempt: Attempt, *, now: datetime | None = None) -> Attempt:
    """Close an abandoned attempt whose deadline passed (the lazy half of the deadline)."""
    now = now or timezone.now()
    if not (attempt.is_open and _past_deadline(attempt, now)):
        return attempt
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.is_open:
            _finish(locked, Attempt.Status.EXPIRED, now)
    attempt.refresh_from_db()
    return attempt


def close_expired_attempts(*, now: datetime | None = None) -> int:
    """Close every running attempt past its deadline (Celery beat runs this); returns how many.
    Rows another process holds are skipped: that process is closing or answering them."""
    now = now or timezone.now()
    closed = 0
    ids = list(
        Attempt.objects.filter(
            status=Attempt.Status.IN_PROGRESS, deadline__lt=now - DEADLINE_GRACE
        ).values_list("id", flat=True)
    )
    for attempt_id in ids:
        with transaction.atomic():
            attempt = (
                Attempt.objects.select_for_update(skip_locked=True)
                .filter(pk=attempt_id, status=Attempt.Status.IN_PROGRESS)
                .first()
            )
            if attempt is not None:
                _finish(attempt, Attempt.Status.EXPIRED, now)
                closed += 1
    return closed


def _past_deadline(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + DEADLINE_GRACE


def _finish(attempt: Attempt, status: str, now: datetime) -> None:
    """Score a locked attempt and keep its per-topic results; the caller holds the row lock."""
    rows = list(AttemptQuestion.objects.filter(attempt=attempt).values_list("mcq_id", "is_correct"))
    correct = sum(1 for _, is_correct in rows if is_correct)
    finished_at = now
    if status == Attempt.Status.EXPIRED and attempt.deadline is not None:
        finished_at = min(now, attempt.deadline)
    attempt.status = status
    attempt.finished_at = finished_at
    attempt.correct_count = correct
    attempt.question_count = len(rows)
    attempt.save(update_fields=["status", "finished_at", "correct_count", "question_count"])

    right_by_mcq = {mcq_id: bool(is_correct) for mcq_id, is_correct in rows}
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for mcq_id, topic_id in MCQ.topics.through.objects.filter(mcq_id__in=right_by_mcq).values_list(
        "mcq_id", "topic_id"
    ):
        totals[topic_id][0] += right_by_mcq[mcq_id]
        totals[topic_id][1] += 1
    TopicResult.objects.bulk_create(
        TopicResult(
            attempt=attempt,
            learner_id=attempt.learner_id,
            course_id=attempt.course_id,
            topic_id=topic_id,
            correct=right,
            total=total,
            finished_at=finished_at,
        )
        for topic_id, (right, total) in totals.items()
    )
