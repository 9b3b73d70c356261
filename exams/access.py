"""The one place where exam objects are looked up for a user. A learner reaches only their own
sessions (anyone else's is a 404, not a hint that it exists); instructors reach everything
through the staff helpers, which the views guard with role_required."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from courses.models import Course
from exams.models import Exam, ExamSession, Ticket, TicketSet
from exams.sessions import close_if_expired


class NotYourSession(Http404):
    """Someone else's session, or none: the same answer for both, so nothing leaks."""


def get_session_for_learner(user: AbstractBaseUser, session_id: int) -> ExamSession:
    """The user's own session, closed first if its deadline passed while nobody looked."""
    session = (
        ExamSession.objects.select_related("exam__course", "ticket__lab", "ticket__ticket_set")
        .filter(pk=session_id, learner=user)
        .first()
    )
    if session is None:
        raise NotYourSession(_("There is no such exam session among yours."))
    return close_if_expired(session)


def get_exam_for_learner(exam_id: int) -> Exam:
    return get_object_or_404(Exam.objects.select_related("course"), pk=exam_id)


def get_course_for_staff(slug: str) -> Course:
    return get_object_or_404(Course.objects.live(), slug=slug)


def get_set_for_staff(set_id: int) -> TicketSet:
    return get_object_or_404(TicketSet.objects.select_related("course"), pk=set_id)


def get_ticket_for_staff(ticket_id: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related("ticket_set__course", "lab"), pk=ticket_id
    )


def get_exam_for_staff(exam_id: int) -> Exam:
    return get_object_or_404(Exam.objects.select_related("course", "ticket_set"), pk=exam_id)


def get_session_for_staff(session_id: int) -> ExamSession:
    session = get_object_or_404(
        ExamSession.objects.select_related(
            "exam__course", "exam__ticket_set", "learner", "ticket__lab"
        ),
        pk=session_id,
    )
    return close_if_expired(session)
