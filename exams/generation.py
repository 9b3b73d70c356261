"""Generation as the command and the page both use it: load the bank, assemble, describe."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses.models import Course
from exams.assembly import Assembly, BankTooSmall, assemble
from exams.bank import load_bank
from exams.tickets import ExamRefused

MAX_SEED = 2**31 - 1


def generate(course: Course, count: int, seed: int | None = None) -> Assembly:
    """A balanced set of `count` tickets; ExamRefused (naming the largest possible count) when
    the bank is too small. Nothing is saved here."""
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise ExamRefused(
            _("The seed must be a whole number from 0 to %(max)d.") % {"max": MAX_SEED}
        )
    bank = load_bank(course)
    try:
        return assemble(bank, count, seed)
    except BankTooSmall as refusal:
        raise ExamRefused(too_small_message(course, count, refusal.largest)) from None


def too_small_message(course: Course, count: int, largest: int) -> str:
    if largest == 0:
        return _(
            "The bank of “%(course)s” cannot make a single ticket: it needs at least two theory "
            "questions and one practical task. Nothing was saved."
        ) % {"course": course.title}
    if count < 1:
        return _("Ask for at least one ticket. Nothing was saved.")
    return ngettext(
        "The bank of “%(course)s” allows at most %(largest)d ticket (%(count)d asked): each "
        "ticket needs two theory questions that appear in no other ticket. Nothing was saved.",
        "The bank of “%(course)s” allows at most %(largest)d tickets (%(count)d asked): each "
        "ticket needs two theory questions that appear in no other ticket. Nothing was saved.",
        largest,
    ) % {"course": course.title, "largest": largest, "count": count}


def assembly_as_json(course: Course, assembly: Assembly) -> dict:
    """What `generate_tickets --json` prints."""
    return {
        "course": course.slug,
        "count": len(assembly.tickets),
        "seed": assembly.seed,
        "solve_s": round(assembly.solve_s, 3),
        "tickets": [
            {
                "number": ticket.number,
                "theory": [
                    {
                        "id": q.key,
                        "text": q.text,
                        "topics": list(q.topics),
                        "difficulty": q.difficulty,
                        "measured": q.measured,
                    }
                    for q in ticket.questions
                ],
                "practical": {
                    "id": ticket.task.key,
                    "text": ticket.task.text,
                    "lab": ticket.task.lab or None,
                    "topics": list(ticket.task.topics),
                    "difficulty": ticket.task.difficulty,
                    "measured": ticket.task.measured,
                },
                "difficulty": round(ticket.difficulty, 4),
            }
            for ticket in assembly.tickets
        ],
        "balance": assembly.balance,
    }
