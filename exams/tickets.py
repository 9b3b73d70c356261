"""Ticket sets and their tickets: the imported set, generated sets, and every authoring change.

A set version that an exam uses is locked (exams.models); a change to a locked version is made
on a new version of the same name, copied from it, and the caller is told where it went.
Every refusal raises ExamRefused with a message for the instructor and changes nothing.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import ExamTicket, PracticalTask, TicketTheoryQuestion
from courses.models import Course, QAItem
from courses.queries import course_qa_items
from exams.assembly import Assembly
from exams.models import Ticket, TicketQuestion, TicketSet
from labs.models import Lab

MAX_QUESTIONS_PER_TICKET = 5


class ExamRefused(Exception):
    """A request the rules refuse; `str(error)` is the reason, for the person who asked."""


# --- Sets -----------------------------------------------------------------------------------


def imported_content_hash(course: Course) -> str:
    """What the imported tickets of a course are made of (a re-import that changes them makes
    a new version of the imported set)."""
    digest = hashlib.sha256()
    for ticket in _imported_tickets(course):
        digest.update(f"{ticket.number}|{ticket.content_hash}".encode())
        for question in ticket.questions.all():
            digest.update(question.content_hash.encode())
        task = getattr(ticket, "practical_task", None)
        digest.update((task.content_hash if task else "-").encode())
    return digest.hexdigest()


def _imported_tickets(course: Course):
    return (
        ExamTicket.objects.live()
        .filter(course=course)
        .select_related("practical_task")
        .prefetch_related("questions__topics")
        .order_by("number")
    )


def ensure_imported_set(course: Course) -> TicketSet | None:
    """The set of the course's imported tickets, made on first use and again (as a new
    version) when a re-import changed them; None when the course has no ticket."""
    content = imported_content_hash(course)
    latest = (
        TicketSet.objects.filter(course=course, origin=TicketSet.Origin.IMPORTED)
        .order_by("-version")
        .first()
    )
    labs = {
        lab.ticket_number: lab
        for lab in Lab.objects.live().filter(course=course, ticket_number__isnull=False)
    }
    if (
        latest is not None
        and latest.generation.get("content_hash") == content
        and _lab_links(latest) == _wanted_lab_links(latest, labs)
    ):
        return latest
    tickets = list(_imported_tickets(course))
    if not tickets:
        return latest
    with transaction.atomic():
        name = latest.name if latest else _("Imported tickets")
        ticket_set = TicketSet.objects.create(
            course=course,
            name=name,
            version=_next_version(course, name),
            origin=TicketSet.Origin.IMPORTED,
            based_on=latest,
            generation={"content_hash": content},
        )
        for source in tickets:
            task = getattr(source, "practical_task", None)
            ticket = Ticket.objects.create(
                ticket_set=ticket_set,
                number=source.number,
                task_text=task.text if task else "",
                task_reference=(task.restored_code or task.seed_code) if task else "",
                lab=labs.get(source.number),
                practical_task=task,
                source_ticket=source,
            )
            for question in source.questions.all():
                _copy_seed_question(ticket, question.position, question)
    return ticket_set


def _lab_links(ticket_set: TicketSet) -> dict[int, int]:
    """Ticket number -> the id of the lab that grades its practical task, as the set has it."""
    return dict(ticket_set.tickets.filter(lab__isnull=False).values_list("number", "lab_id"))


def _wanted_lab_links(ticket_set: TicketSet, labs: dict[int, Lab]) -> dict[int, int]:
    """The same for the live labs of the catalogue: a lab synced (or retired) after the set was
    made changes how its ticket is graded, so the imported set gets a new version."""
    numbers = ticket_set.tickets.values_list("number", flat=True)
    return {number: labs[number].pk for number in numbers if number in labs}


def _next_version(course: Course, name: str) -> int:
    last = TicketSet.objects.filter(course=course, name=name).aggregate(v=Max("version"))["v"]
    return (last or 0) + 1


def course_sets(course: Course) -> list[TicketSet]:
    ensure_imported_set(course)
    return list(TicketSet.objects.filter(course=course).order_by("name", "-version"))


@transaction.atomic
def create_set(course: Course, name: str, user: AbstractBaseUser) -> TicketSet:
    name = name.strip()
    if not name:
        raise ExamRefused(_("Give the ticket set a name."))
    if TicketSet.objects.filter(course=course, name=name).exists():
        raise ExamRefused(
            _("A ticket set named “%(name)s” already exists in this course.") % {"name": name}
        )
    return TicketSet.objects.create(
        course=course, name=name, origin=TicketSet.Origin.AUTHORED, created_by=user
    )


@transaction.atomic
def save_assembly(
    course: Course, assembly: Assembly, name: str, user: AbstractBaseUser
) -> TicketSet:
    """Write a generated set as a new version of the named set (version 1 of a new name)."""
    name = name.strip()
    if not name:
        raise ExamRefused(_("Give the ticket set a name."))
    ticket_set = TicketSet.objects.create(
        course=course,
        name=name,
        version=_next_version(course, name),
        origin=TicketSet.Origin.GENERATED,
        created_by=user,
        generation={
            "seed": assembly.seed,
            "count": len(assembly.tickets),
            "band": assembly.band,
            "balance": assembly.balance,
        },
    )
    task_ids = {int(t.task.key.split(":")[1]) for t in assembly.tickets}
    tasks = {
        task.pk: task
        for task in PracticalTask.objects.filter(pk__in=task_ids).select_related("ticket")
    }
    labs = {
        lab.slug: lab
        for lab in Lab.objects.filter(slug__in={t.task.lab for t in assembly.tickets if t.task.lab})
    }
    qa_ids = [
        int(q.key.split(":")[1])
        for t in assembly.tickets
        for q in t.questions
        if q.key.startswith("qa:")
    ]
    seed_ids = [
        int(q.key.split(":")[1])
        for t in assembly.tickets
        for q in t.questions
        if q.key.startswith("theory:")
    ]
    qa_items = QAItem.objects.prefetch_related("topics").in_bulk(qa_ids)
    seed_questions = TicketTheoryQuestion.objects.prefetch_related("topics").in_bulk(seed_ids)
    for assembled in assembly.tickets:
        task = tasks[int(assembled.task.key.split(":")[1])]
        ticket = Ticket.objects.create(
            ticket_set=ticket_set,
            number=assembled.number,
            task_text=task.text,
            task_reference=task.restored_code or task.seed_code,
            lab=labs.get(assembled.task.lab),
            practical_task=task,
            difficulty=round(assembled.difficulty, 4),
        )
        for position, question in enumerate(assembled.questions, start=1):
            kind, _sep, number = question.key.partition(":")
            if kind == "qa":
                _copy_qa_item(ticket, position, qa_items[int(number)])
            else:
                _copy_seed_question(ticket, position, seed_questions[int(number)])
    return ticket_set


def _copy_qa_item(ticket: Ticket, position: int, item: QAItem) -> TicketQuestion:
    question = TicketQuestion.objects.create(
        ticket=ticket,
        position=position,
        text=item.question,
        reference_answer=item.answer,
        qa_item=item,
    )
    question.topics.set(item.topics.all())
    return question


def _copy_seed_question(
    ticket: Ticket, position: int, source: TicketTheoryQuestion
) -> TicketQuestion:
    question = TicketQuestion.objects.create(
        ticket=ticket,
        position=position,
        text=source.question,
        reference_answer=source.reference_answer,
        seed_question=source,
    )
    question.topics.set(source.topics.all())
    return question


def new_version(ticket_set: TicketSet, user: AbstractBaseUser | None) -> TicketSet:
    """A copy of a version as the next version of its name (tickets, questions, topics)."""
    with transaction.atomic():
        copy = TicketSet.objects.create(
            course=ticket_set.course,
            name=ticket_set.name,
            version=_next_version(ticket_set.course, ticket_set.name),
            origin=TicketSet.Origin.AUTHORED,
            based_on=ticket_set,
            created_by=user,
        )
        for ticket in ticket_set.tickets.prefetch_related("questions__topics"):
            _copy_ticket(ticket, copy, ticket.number)
    return copy


def _copy_ticket(ticket: Ticket, into: TicketSet, number: int) -> Ticket:
    questions = list(ticket.questions.all())
    ticket.pk = None
    ticket.ticket_set = into
    ticket.number = number
    ticket.save(force_insert=True)
    for question in questions:
        topics = list(question.topics.all())
        question.pk = None
        question.ticket = ticket
        question.save(force_insert=True)
        question.topics.set(topics)
    return ticket


def writable_ticket(ticket: Ticket, user: AbstractBaseUser) -> tuple[Ticket, bool]:
    """The ticket to change: itself, or (its set being locked) its copy in a new version of
    the set; True in the second case."""
    if not ticket.ticket_set.is_locked:
        return ticket, False
    copy = new_version(ticket.ticket_set, user)
    return copy.tickets.get(number=ticket.number), True


def lock_set(ticket_set: TicketSet) -> None:
    if ticket_set.locked_at is None:
        TicketSet.objects.filter(pk=ticket_set.pk, locked_at__isnull=True).update(
            locked_at=timezone.now()
        )
        ticket_set.refresh_from_db(fields=["locked_at"])


# --- Tickets --------------------------------------------------------------------------------


def check_practical(task_text: str, lab: Lab | None, course: Course) -> None:
    if lab is not None and lab.course_id not in (None, course.pk):
        raise ExamRefused(_("This lab belongs to another course."))
    if not task_text.strip() and lab is None:
        raise ExamRefused(_("A ticket needs a practical task: choose a lab or write the task."))


def bank_source(course: Course, key: str) -> QAItem | TicketTheoryQuestion:
    """The bank item a key names ("qa:<id>" or "theory:<id>"), if it is in the course's bank."""
    kind, _sep, number = key.partition(":")
    if number.isdigit():
        if kind == "qa":
            item = course_qa_items(course).filter(pk=int(number)).first()
            if item is not None:
                return item
        elif kind == "theory":
            item = (
                TicketTheoryQuestion.objects.live()
                .filter(pk=int(number), ticket__course=course)
                .first()
            )
            if item is not None:
                return item
    raise ExamRefused(_("This question is not in the course's bank."))


def create_ticket(
    ticket_set: TicketSet,
    user: AbstractBaseUser,
    *,
    task_text: str,
    task_reference: str,
    lab: Lab | None,
    bank_key: str = "",
    question_text: str = "",
    reference_answer: str = "",
) -> tuple[Ticket, bool]:
    """A new ticket at the end of the set, with its practical task and first theory question
    (from the bank, or written here with its reference answer)."""
    course = ticket_set.course
    check_practical(task_text, lab, course)
    source = bank_source(course, bank_key) if bank_key else None
    if source is None:
        _check_written(question_text, reference_answer)
    with transaction.atomic():
        moved = ticket_set.is_locked
        if moved:
            ticket_set = new_version(ticket_set, user)
        number = (ticket_set.tickets.aggregate(n=Max("number"))["n"] or 0) + 1
        ticket = Ticket.objects.create(
            ticket_set=ticket_set,
            number=number,
            task_text=task_text.strip() or (lab.title if lab else ""),
            task_reference=task_reference,
            lab=lab,
        )
        _add(ticket, source, question_text, reference_answer)
    return ticket, moved


def _check_written(text: str, answer: str) -> None:
    if not text.strip():
        raise ExamRefused(
            _("A ticket needs a theory question: pick one from the bank or write one.")
        )
    if not answer.strip():
        raise ExamRefused(_("A new question needs its reference answer."))


def _add(ticket: Ticket, source, text: str, answer: str) -> TicketQuestion:
    position = (ticket.questions.aggregate(p=Max("position"))["p"] or 0) + 1
    if isinstance(source, QAItem):
        return _copy_qa_item(ticket, position, source)
    if isinstance(source, TicketTheoryQuestion):
        return _copy_seed_question(ticket, position, source)
    return TicketQuestion.objects.create(
        ticket=ticket, position=position, text=text.strip(), reference_answer=answer.strip()
    )


def add_question(
    ticket: Ticket,
    user: AbstractBaseUser,
    *,
    bank_key: str = "",
    question_text: str = "",
    reference_answer: str = "",
) -> tuple[Ticket, bool]:
    source = bank_source(ticket.ticket_set.course, bank_key) if bank_key else None
    if source is None:
        _check_written(question_text, reference_answer)
    existing = list(ticket.questions.all())
    if len(existing) >= MAX_QUESTIONS_PER_TICKET:
        raise ExamRefused(
            _("A ticket holds at most %(n)d theory questions.") % {"n": MAX_QUESTIONS_PER_TICKET}
        )
    if isinstance(source, QAItem) and any(q.qa_item_id == source.pk for q in existing):
        raise ExamRefused(_("This question is already in the ticket."))
    if isinstance(source, TicketTheoryQuestion) and any(
        q.seed_question_id == source.pk for q in existing
    ):
        raise ExamRefused(_("This question is already in the ticket."))
    with transaction.atomic():
        ticket, moved = writable_ticket(ticket, user)
        _add(ticket, source, question_text, reference_answer)
    return ticket, moved


def remove_question(ticket: Ticket, position: int, user: AbstractBaseUser) -> tuple[Ticket, bool]:
    positions = list(ticket.questions.values_list("position", flat=True))
    if position not in positions:
        raise ExamRefused(_("This ticket has no question number %(n)d.") % {"n": position})
    if len(positions) == 1:
        raise ExamRefused(
            _("A ticket needs at least one theory question: add another before removing this one.")
        )
    with transaction.atomic():
        ticket, moved = writable_ticket(ticket, user)
        ticket.questions.filter(position=position).delete()
        for number, question in enumerate(ticket.questions.order_by("position"), start=1):
            if question.position != number:
                TicketQuestion.objects.filter(pk=question.pk).update(position=number)
    return ticket, moved


def update_practical(
    ticket: Ticket,
    user: AbstractBaseUser,
    *,
    task_text: str,
    task_reference: str,
    lab: Lab | None,
) -> tuple[Ticket, bool]:
    check_practical(task_text, lab, ticket.ticket_set.course)
    with transaction.atomic():
        ticket, moved = writable_ticket(ticket, user)
        ticket.task_text = task_text.strip() or (lab.title if lab else "")
        ticket.task_reference = task_reference
        ticket.lab = lab
        ticket.save(update_fields=["task_text", "task_reference", "lab"])
    return ticket, moved


def duplicate_ticket(ticket: Ticket, user: AbstractBaseUser) -> tuple[Ticket, bool]:
    with transaction.atomic():
        original, moved = writable_ticket(ticket, user)
        ticket_set = original.ticket_set
        number = (ticket_set.tickets.aggregate(n=Max("number"))["n"] or 0) + 1
        source = Ticket.objects.prefetch_related("questions__topics").get(pk=original.pk)
        copy = _copy_ticket(source, ticket_set, number)
        copy.retired_at = None
        copy.save(update_fields=["retired_at"])
    return copy, moved


def set_retired(ticket: Ticket, user: AbstractBaseUser, retired: bool) -> tuple[Ticket, bool]:
    """Retire a ticket (it is no longer drawn) or bring it back."""
    if retired and ticket.retired_at is None:
        live = ticket.ticket_set.tickets.filter(retired_at__isnull=True).count()
        if live == 1 and ticket.ticket_set.exams.exists():
            raise ExamRefused(_("An exam uses this set: its last ticket cannot be retired."))
    with transaction.atomic():
        ticket, moved = writable_ticket(ticket, user)
        ticket.retired_at = timezone.now() if retired else None
        ticket.save(update_fields=["retired_at"])
    return ticket, moved
