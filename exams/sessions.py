"""Exams and a learner's session: open an exam, draw a ticket, autosave answers, send the
practical task to the lab grader, submit, and close at the deadline. Views never save these
rows.

The deadline is stored at the draw (time limit plus the learner's extra time, never past the
exam's close plus that extra time) and every write checks it in its own transaction: an
answer is one conditional UPDATE that matches only while the session is open and in time.
A refusal raises ExamRefused and changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.roles import Role, has_role
from exams.models import (
    Exam,
    ExamCandidate,
    ExamSession,
    PracticalSubmission,
    RubricCriterion,
    SessionAnswer,
    Ticket,
    TicketQuestion,
    TicketSet,
)
from exams.tickets import ExamRefused, lock_set

# An answer sent in the last second arrives a little after the deadline; this much network
# delay is forgiven, nothing more.
DEADLINE_GRACE = timedelta(seconds=2)
MAX_ANSWER_CHARS = 20_000
DEFAULT_RUBRIC = (
    # (criterion, points): what a grader checks in a theory answer unless the exam says more.
    (gettext_noop("The key ideas are right"), Decimal(5)),
    (gettext_noop("The answer is complete: every part of the question is covered"), Decimal(3)),
    (gettext_noop("Terms are used precisely, with an example where it helps"), Decimal(2)),
)


@dataclass(frozen=True)
class Candidate:
    username: str
    extra_minutes: int


# --- Exams ----------------------------------------------------------------------------------


def check_exam(exam: Exam) -> None:
    """The rules an exam's settings keep (the form checks them first; services check again)."""
    if exam.closes_at <= exam.opens_at:
        raise ExamRefused(_("The exam must close after it opens."))
    if not 1 <= exam.time_limit_minutes <= 24 * 60:
        raise ExamRefused(_("The time limit must be between 1 minute and 24 hours."))
    if not 0 < exam.satisfactory_from < exam.good_from < exam.excellent_from <= 100:
        raise ExamRefused(
            _("Thresholds must rise: satisfactory < good < excellent, all between 1 and 100%.")
        )
    if exam.ticket_set.course_id != exam.course_id:
        raise ExamRefused(_("The ticket set belongs to another course."))
    if not exam.ticket_set.tickets.filter(retired_at__isnull=True).exists():
        raise ExamRefused(_("The ticket set has no ticket to draw."))
    incomplete = (
        exam.ticket_set.tickets.filter(retired_at__isnull=True, questions__isnull=True)
        .values_list("number", flat=True)
        .first()
    )
    if incomplete is not None:
        raise ExamRefused(
            _("Ticket %(n)d has no theory question; fix the set first.") % {"n": incomplete}
        )


@transaction.atomic
def save_exam(exam: Exam, candidates: list[Candidate], user: AbstractBaseUser) -> Exam:
    """Create or change an exam and its candidates; the set it uses is locked, and rubrics are
    made for its questions that have none yet."""
    from django.contrib.auth.models import User

    check_exam(exam)
    if exam.pk:
        previous = Exam.objects.select_for_update().get(pk=exam.pk)
        if previous.ticket_set_id != exam.ticket_set_id and previous.sessions.exists():
            raise ExamRefused(
                _("Learners have drawn tickets: the ticket set can no longer change.")
            )
    else:
        exam.created_by = user
    names = [c.username for c in candidates]
    learners = {
        u.username: u
        for u in User.objects.filter(username__in=names, groups__name=Role.LEARNER.value)
    }
    unknown = [name for name in names if name not in learners]
    if unknown:
        raise ExamRefused(
            _("No learner with the username %(names)s.") % {"names": ", ".join(unknown[:5])}
        )
    exam.save()
    lock_set(exam.ticket_set)
    wanted = {learners[c.username].pk: c.extra_minutes for c in candidates}
    ExamCandidate.objects.filter(exam=exam).exclude(learner_id__in=wanted).delete()
    for learner_id, extra in wanted.items():
        ExamCandidate.objects.update_or_create(
            exam=exam, learner_id=learner_id, defaults={"extra_minutes": extra}
        )
    ensure_rubrics(exam)
    return exam


def ensure_rubrics(exam: Exam) -> None:
    """The default rubric for every question of the exam's set that has none in this exam."""
    have = set(RubricCriterion.objects.filter(exam=exam).values_list("question_id", flat=True))
    questions = TicketQuestion.objects.filter(ticket__ticket_set=exam.ticket_set).exclude(
        pk__in=have
    )
    RubricCriterion.objects.bulk_create(
        RubricCriterion(
            exam=exam, question=question, position=position, title=_(title), max_points=points
        )
        for question in questions
        for position, (title, points) in enumerate(DEFAULT_RUBRIC, start=1)
    )


def may_sit(exam: Exam, learner: AbstractBaseUser) -> bool:
    if not has_role(learner, Role.LEARNER):
        return False
    return exam.open_to_all or exam.candidates.filter(learner=learner).exists()


def exams_for_learner(learner: AbstractBaseUser, now: datetime | None = None) -> list[Exam]:
    """Exams the learner may sit that are open now or still ahead."""
    now = now or timezone.now()
    from django.db.models import Q

    return list(
        Exam.objects.filter(Q(open_to_all=True) | Q(candidates__learner=learner))
        .filter(closes_at__gt=now)
        .select_related("course")
        .distinct()
        .order_by("opens_at")
    )


# --- The sitting ----------------------------------------------------------------------------


def start_session(
    exam: Exam,
    learner: AbstractBaseUser,
    *,
    rng: random.Random | None = None,
    now: datetime | None = None,
) -> ExamSession:
    """Draw a ticket at random and start the personal timer. There is one draw per learner and
    exam: a second call is refused (the unique constraint settles a double click)."""
    rng = rng or random.SystemRandom()
    now = now or timezone.now()
    existing = (
        ExamSession.objects.filter(exam=exam, learner=learner).select_related("ticket").first()
    )
    if existing is not None:
        raise ExamRefused(already_drawn_message(existing))
    if not may_sit(exam, learner):
        raise ExamRefused(_("You are not on the list of this exam."))
    if now < exam.opens_at:
        raise ExamRefused(_("The exam has not opened yet."))
    if now >= exam.closes_at:
        raise ExamRefused(_("The exam is closed."))
    tickets = list(
        Ticket.objects.filter(ticket_set=exam.ticket_set_id, retired_at__isnull=True)
        .prefetch_related("questions")
        .order_by("number")
    )
    if not tickets:
        raise ExamRefused(_("The exam has no ticket to draw; tell the instructor."))
    ticket = rng.choice(tickets)
    extra = (
        ExamCandidate.objects.filter(exam=exam, learner=learner)
        .values_list("extra_minutes", flat=True)
        .first()
        or 0
    )
    deadline = min(
        now + timedelta(minutes=exam.time_limit_minutes + extra),
        exam.closes_at + timedelta(minutes=extra),
    )
    try:
        with transaction.atomic():
            session = ExamSession.objects.create(
                exam=exam, learner=learner, ticket=ticket, started_at=now, deadline=deadline
            )
            rows = [
                SessionAnswer(session=session, position=q.position, question=q)
                for q in ticket.questions.all()
            ]
            if ticket.lab_id is None:
                rows.append(
                    SessionAnswer(session=session, position=SessionAnswer.PRACTICAL_POSITION)
                )
            SessionAnswer.objects.bulk_create(rows)
    except IntegrityError:  # drawn in another request a moment ago
        existing = ExamSession.objects.select_related("ticket").get(exam=exam, learner=learner)
        raise ExamRefused(already_drawn_message(existing)) from None
    return session


def already_drawn_message(session: ExamSession) -> str:
    if session.is_open:
        return _("You have already drawn ticket %(n)d for this exam; there is no second draw.") % {
            "n": session.ticket.number
        }
    return _("You have already sat this exam.")


def past_deadline(session: ExamSession, now: datetime) -> bool:
    return now > session.deadline + DEADLINE_GRACE


# One statement for the hot path of autosave (PostgreSQL). The CTE takes a FOR SHARE lock on
# the session row: answers do not block each other, but a submission (FOR UPDATE) waits for
# them and they for it, after which PostgreSQL re-checks the session's status; so no answer
# lands after the session closed. The version refuses a stale tab.
_SAVE_ANSWER_SQL = """
WITH s AS (
    SELECT id FROM {session}
    WHERE id = %(session)s AND learner_id = %(learner)s AND status = 'in_progress'
      AND deadline >= %(cutoff)s
    FOR SHARE
)
UPDATE {answer} AS a
SET text = %(text)s, saved_at = %(now)s, version = a.version + 1
FROM s
WHERE a.session_id = s.id AND a.position = %(position)s AND a.version = %(version)s
RETURNING a.version
"""


def save_answer(
    learner_id: int,
    session_id: int,
    position: int,
    text: str,
    version: int,
    *,
    now: datetime | None = None,
) -> int:
    """Save one answer of an open session; returns its new version. One conditional UPDATE
    (PostgreSQL) or its ORM twin; when it matches nothing, say why."""
    now = now or timezone.now()
    if len(text) > MAX_ANSWER_CHARS:
        raise ExamRefused(
            _("An answer may hold at most %(n)d characters.") % {"n": MAX_ANSWER_CHARS}
        )
    if connection.vendor == "postgresql":
        sql = _SAVE_ANSWER_SQL.format(
            session=ExamSession._meta.db_table, answer=SessionAnswer._meta.db_table
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                {"session": session_id, "learner": learner_id, "cutoff": now - DEADLINE_GRACE,
                 "text": text, "now": now, "position": position, "version": version},
            )  # fmt: skip
            row = cursor.fetchone()
        if row is not None:
            return row[0]
    else:
        with transaction.atomic():  # SQLite serialises writers; the filter is the guard
            updated = SessionAnswer.objects.filter(
                session_id=session_id,
                session__learner_id=learner_id,
                session__status=ExamSession.Status.IN_PROGRESS,
                session__deadline__gte=now - DEADLINE_GRACE,
                position=position,
                version=version,
            ).update(text=text, saved_at=now, version=F("version") + 1)
        if updated:
            return version + 1
    raise ExamRefused(_why_not_saved(learner_id, session_id, position, now))


def _why_not_saved(learner_id: int, session_id: int, position: int, now: datetime) -> str:
    session = ExamSession.objects.filter(pk=session_id, learner_id=learner_id).first()
    if session is None:
        return _("There is no such exam session.")
    if not session.is_open:
        return _("This exam session is closed: answers can no longer change.")
    if past_deadline(session, now):
        return _("Time is up: answers sent after the deadline are not accepted.")
    if not SessionAnswer.objects.filter(session=session, position=position).exists():
        return _("This session has no answer number %(n)d.") % {"n": position}
    return _(
        "This answer was changed in another tab or window since this page was loaded; reload "
        "the page to see it. Nothing was saved."
    )


def send_practical(session: ExamSession, source: str, *, now: datetime | None = None):
    """Send the practical task's code to the lab grader as an exam submission."""
    from grading.queues import Tier
    from grading.services import RateLimited, submit_solution

    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            ExamSession.objects.select_for_update(of=("self",))
            .select_related("ticket__lab")
            .get(pk=session.pk)
        )
        if not locked.is_open:
            raise ExamRefused(_("This exam session is closed: answers can no longer change."))
        if past_deadline(locked, now):
            raise ExamRefused(_("Time is up: answers sent after the deadline are not accepted."))
        lab = locked.ticket.lab
        if lab is None or lab.retired_at is not None:
            raise ExamRefused(_("This ticket's practical task is graded by the instructor."))
        try:
            submission = submit_solution(locked.learner, lab, source=source, tier=Tier.EXAM)
        except RateLimited as refusal:
            raise ExamRefused(str(refusal)) from None
        PracticalSubmission.objects.create(session=locked, submission=submission)
    return submission


def submit_session(session_id: int, *, now: datetime | None = None) -> ExamSession:
    now = now or timezone.now()
    with transaction.atomic():
        session = ExamSession.objects.select_for_update().get(pk=session_id)
        if not session.is_open:
            raise ExamRefused(_("This exam session was already submitted."))
        expired = past_deadline(session, now)
        session.status = ExamSession.Status.EXPIRED if expired else ExamSession.Status.SUBMITTED
        session.finished_at = min(now, session.deadline) if expired else now
        session.save(update_fields=["status", "finished_at"])
    return session


def close_if_expired(session: ExamSession, *, now: datetime | None = None) -> ExamSession:
    """The lazy half of the deadline: a session seen past it is closed there and then."""
    now = now or timezone.now()
    if session.is_open and past_deadline(session, now):
        ExamSession.objects.filter(pk=session.pk, status=ExamSession.Status.IN_PROGRESS).update(
            status=ExamSession.Status.EXPIRED, finished_at=session.deadline
        )
        session.refresh_from_db()
    return session


def close_expired_sessions(*, now: datetime | None = None) -> int:
    """Close every open session past its deadline (Celery beat runs this); returns how many."""
    now = now or timezone.now()
    return ExamSession.objects.filter(
        status=ExamSession.Status.IN_PROGRESS, deadline__lt=now - DEADLINE_GRACE
    ).update(status=ExamSession.Status.EXPIRED, finished_at=F("deadline"))


def usable_sets(course_id: int):
    return TicketSet.objects.filter(course_id=course_id).order_by("name", "-version")
