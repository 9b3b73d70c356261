"""The gradebook of a course: one row per exam session, and its CSV export.

The CSV opens in a spreadsheet as it is: UTF-8 with a byte-order mark (Excel reads Cyrillic
right only with it), and in the Russian interface semicolons between fields and a decimal
comma, as Russian spreadsheets expect; in English, commas and a decimal point.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from courses.models import Course
from exams.models import ExamSession


def course_sessions(course: Course):
    return (
        ExamSession.objects.filter(exam__course=course)
        .select_related("exam", "learner", "ticket")
        .order_by("exam__opens_at", "exam__title", "learner__username")
    )


def csv_dialect() -> tuple[str, str]:
    """(field delimiter, decimal separator) for the active language."""
    if (get_language() or "ru").startswith("ru"):
        return ";", ","
    return ",", "."


def gradebook_csv(course: Course) -> bytes:
    delimiter, decimal = csv_dialect()

    def number(value: Decimal | None) -> str:
        return "" if value is None else str(value).replace(".", decimal)

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(
        [_("Learner"), _("Name"), _("E-mail"), _("Exam"), _("Ticket"), _("Status"),
         _("Theory points"), _("Practical points"), _("Out of"), _("Percent"), _("Grade"),
         _("Grading"), _("Published")]
    )  # fmt: skip
    for session in course_sessions(course):
        learner = session.learner
        writer.writerow(
            [
                learner.get_username(),
                learner.get_full_name(),
                learner.email,
                session.exam.title,
                session.ticket.number,
                session.get_status_display(),
                number(session.theory_points),
                number(session.practical_points),
                number(session.max_points),
                number(session.percent),
                session.get_mark_display() if session.mark else "",
                session.get_grading_display(),
                date_format(timezone.localtime(session.published_at), "SHORT_DATETIME_FORMAT")
                if session.published_at
                else "",
            ]
        )
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
