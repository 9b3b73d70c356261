"""Instructor pages for tickets: ticket sets and their versions, tickets (create, edit,
duplicate, retire), the htmx search of the bank, balanced generation with a preview, and the
print view. Every change goes through exams.tickets; a refusal is shown and changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import STAFF_ROLES, role_required
from assessments.models import TicketTheoryQuestion
from courses.models import Course, Topic
from courses.queries import QAFilter, qa_results
from exams import tickets
from exams.access import (
    get_course_for_staff,
    get_exam_for_staff,
    get_set_for_staff,
    get_ticket_for_staff,
)
from exams.forms import GenerateForm, PracticalForm, QuestionForm, SetForm
from exams.generation import generate
from exams.models import Exam, Ticket, TicketQuestion, TicketSet
from exams.tickets import ExamRefused

REFUSED = 409
SEARCH_LIMIT = 15


def refused(request: HttpRequest, message: str, back: str, status: int = REFUSED) -> HttpResponse:
    """A refusal: the reason and a way back; htmx swaps it into the page's status area."""
    context = {"message": message, "back": back}
    if request.htmx:
        return render(request, "exams/refused.html#refusal", context, status=status)
    return render(request, "exams/refused.html", context, status=status)


def _moved(request: HttpRequest, ticket: Ticket, moved: bool) -> None:
    if moved:
        messages.info(
            request,
            _(
                "An exam uses the previous version of this set, so the change was made in a new "
                "version: %(name)s v%(version)d."
            )
            % {"name": ticket.ticket_set.name, "version": ticket.ticket_set.version},
        )


def _tickets_of(ticket_set: TicketSet):
    return ticket_set.tickets.select_related("lab").prefetch_related(
        Prefetch(
            "questions",
            TicketQuestion.objects.prefetch_related(
                Prefetch("topics", Topic.objects.order_by("position"))
            ),
        )
    )


@require_GET
@role_required(*STAFF_ROLES)
def manage(request: HttpRequest) -> HttpResponse:
    courses = list(Course.objects.live().order_by("title"))
    for course in courses:
        tickets.ensure_imported_set(course)
    courses = Course.objects.live().annotate(
        set_count=Count("ticket_sets", distinct=True), exam_count=Count("exams", distinct=True)
    )
    return render(request, "exams/manage.html", {"courses": courses})


@require_GET
@role_required(*STAFF_ROLES)
def course_tickets(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_course_for_staff(slug)
    tickets.ensure_imported_set(course)
    sets = TicketSet.objects.filter(course=course).annotate(
        ticket_count=Count("tickets", filter=Q(tickets__retired_at__isnull=True)),
        exam_count=Count("exams", distinct=True),
    )
    exams = Exam.objects.filter(course=course).select_related("ticket_set")
    return render(
        request,
        "exams/course_tickets.html",
        {"course": course, "sets": sets, "exams": exams, "form": SetForm()},
    )


@require_POST
@role_required(*STAFF_ROLES)
def set_create(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_course_for_staff(slug)
    form = SetForm(request.POST)
    back = reverse("exams:course_tickets", args=[course.slug])
    if not form.is_valid():
        return refused(request, _("Give the ticket set a name."), back, status=400)
    try:
        ticket_set = tickets.create_set(course, form.cleaned_data["name"], request.user)
    except ExamRefused as refusal:
        return refused(request, str(refusal), back)
    messages.success(request, _("The ticket set is created; add its tickets."))
    return redirect("exams:set_detail", ticket_set.pk)


@require_GET
@role_required(*STAFF_ROLES)
def set_detail(request: HttpRequest, set_id: int) -> HttpResponse:
    ticket_set = get_set_for_staff(set_id)
    versions = TicketSet.objects.filter(course=ticket_set.course, name=ticket_set.name).order_by(
        "-version"
    )
    return render(
        request,
        "exams/set_detail.html",
        {
            "ticket_set": ticket_set,
            "tickets": _tickets_of(ticket_set),
            "versions": versions,
            "exams": ticket_set.exams.all(),
            "balance": ticket_set.generation.get("balance"),
        },
    )


@require_POST
@role_required(*STAFF_ROLES)
def set_new_version(request: HttpRequest, set_id: int) -> HttpResponse:
    ticket_set = get_set_for_staff(set_id)
    copy = tickets.new_version(ticket_set, request.user)
    messages.success(
        request,
        _("Version %(version)d is a copy of version %(old)d.")
        % {"version": copy.version, "old": ticket_set.version},
    )
    return redirect("exams:set_detail", copy.pk)


@require_GET
@role_required(*STAFF_ROLES)
def set_print(request: HttpRequest, set_id: int) -> HttpResponse:
    ticket_set = get_set_for_staff(set_id)
    exam = None
    exam_id = request.GET.get("exam", "")
    if exam_id.isdigit():
        exam = Exam.objects.filter(pk=int(exam_id), ticket_set=ticket_set).first()
    return render(
        request,
        "exams/print.html",
        {
            "ticket_set": ticket_set,
            "exam": exam,
            "tickets": _tickets_of(ticket_set).filter(retired_at__isnull=True),
        },
    )


# --- Tickets --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*STAFF_ROLES)
def ticket_create(request: HttpRequest, set_id: int) -> HttpResponse:
    ticket_set = get_set_for_staff(set_id)
    course = ticket_set.course
    practical = PracticalForm(request.POST or None, course=course)
    question = QuestionForm(request.POST or None)
    error = None
    if request.method == "POST" and practical.is_valid() and question.is_valid():
        try:
            ticket, moved = tickets.create_ticket(
                ticket_set,
                request.user,
                task_text=practical.cleaned_data["task_text"],
                task_reference=practical.cleaned_data["task_reference"],
                lab=practical.cleaned_data["lab"],
                bank_key=request.POST.get("bank_item", ""),
                question_text=question.cleaned_data["question_text"],
                reference_answer=question.cleaned_data["reference_answer"],
            )
        except ExamRefused as refusal:
            error = str(refusal)
        else:
            _moved(request, ticket, moved)
            messages.success(request, _("Ticket %(n)d is created.") % {"n": ticket.number})
            return redirect("exams:ticket_edit", ticket.pk)
    return render(
        request,
        "exams/ticket_create.html",
        {"ticket_set": ticket_set, "course": course, "practical": practical,
         "question": question, "error": error},
        status=REFUSED if error else 200,
    )  # fmt: skip


@require_GET
@role_required(*STAFF_ROLES)
def ticket_edit(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = get_ticket_for_staff(ticket_id)
    return _ticket_page(request, ticket)


def _ticket_page(request, ticket: Ticket, error: str | None = None, status: int = 200):
    course = ticket.ticket_set.course
    practical = PracticalForm(
        initial={"task_text": ticket.task_text, "task_reference": ticket.task_reference,
                 "lab": ticket.lab_id},
        course=course,
    )  # fmt: skip
    questions = ticket.questions.prefetch_related(
        Prefetch("topics", Topic.objects.order_by("position"))
    )
    return render(
        request,
        "exams/ticket_edit.html",
        {"ticket": ticket, "ticket_set": ticket.ticket_set, "course": course,
         "questions": questions, "practical": practical, "question": QuestionForm(),
         "error": error},
        status=status,
    )  # fmt: skip


def _after_ticket_change(request, ticket: Ticket, moved: bool, message: str) -> HttpResponse:
    _moved(request, ticket, moved)
    messages.success(request, message)
    return redirect("exams:ticket_edit", ticket.pk)


@require_POST
@role_required(*STAFF_ROLES)
def ticket_practical(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = get_ticket_for_staff(ticket_id)
    form = PracticalForm(request.POST, course=ticket.ticket_set.course)
    if not form.is_valid():
        return _ticket_page(request, ticket, _("Choose a lab of this course or none."), 400)
    try:
        ticket, moved = tickets.update_practical(
            ticket,
            request.user,
            task_text=form.cleaned_data["task_text"],
            task_reference=form.cleaned_data["task_reference"],
            lab=form.cleaned_data["lab"],
        )
    except ExamRefused as refusal:
        return _ticket_page(request, ticket, str(refusal), REFUSED)
    return _after_ticket_change(request, ticket, moved, _("The practical task is saved."))


@require_POST
@role_required(*STAFF_ROLES)
def ticket_add_question(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = get_ticket_for_staff(ticket_id)
    form = QuestionForm(request.POST)
    form.is_valid()
    try:
        ticket, moved = tickets.add_question(
            ticket,
            request.user,
            bank_key=request.POST.get("bank_item", ""),
            question_text=form.cleaned_data.get("question_text", ""),
            reference_answer=form.cleaned_data.get("reference_answer", ""),
        )
    except ExamRefused as refusal:
        return _ticket_page(request, ticket, str(refusal), REFUSED)
    return _after_ticket_change(request, ticket, moved, _("The question is added."))


@require_POST
@role_required(*STAFF_ROLES)
def ticket_remove_question(request: HttpRequest, ticket_id: int, position: int) -> HttpResponse:
    ticket = get_ticket_for_staff(ticket_id)
    try:
        ticket, moved = tickets.remove_question(ticket, position, request.user)
    except ExamRefused as refusal:
        return _ticket_page(request, ticket, str(refusal), REFUSED)
    return _after_ticket_change(request, ticket, moved, _("The question is removed."))


@require_POST
@role_required(*STAFF_ROLES)
def ticket_duplicate(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = get_ticket_for_staff(ticket_id)
    copy, moved = tickets.duplicate_ticket(ticket, request.user)
    return _after_ticket_change(
        request,
        copy,
        moved,
        _("Ticket %(n)d is a copy of ticket %(old)d.") % {"n": copy.number, "old": ticket.number},
    )


@require_POST
@role_required(*STAFF_ROLES)
def ticket_retire(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = get_ticket_for_staff(ticket_id)
    retire = request.POST.get("retire", "1") == "1"
    try:
        ticket, moved = tickets.set_retired(ticket, request.user, retire)
    except ExamRefused as refusal:
        return _ticket_page(request, ticket, str(refusal), REFUSED)
    message = (
        _("The ticket is retired: it is no longer drawn.")
        if retire
        else _("The ticket is back in the set.")
    )
    _moved(request, ticket, moved)
    messages.success(request, message)
    return redirect("exams:set_detail", ticket.ticket_set_id)


@require_GET
@role_required(*STAFF_ROLES)
def bank_search(request: HttpRequest, slug: str) -> HttpResponse:
    """The htmx search of the course's bank: Q&A items and imported ticket questions, each a
    radio button named `bank_item` inside the form that asked."""
    course = get_course_for_staff(slug)
    query = " ".join(request.GET.get("q", "").split())[:200]
    items, theory = [], []
    if query:
        # The bank's own search (word forms, ranking); its first page is plenty here.
        items = list(qa_results(course, QAFilter(query=query), None).page)[:SEARCH_LIMIT]
        theory = list(
            TicketTheoryQuestion.objects.live()
            .filter(ticket__course=course, question__icontains=query)
            .select_related("ticket")
            .order_by("ticket__number", "position")[:SEARCH_LIMIT]
        )
    return render(
        request,
        "exams/bank_search.html",
        {"course": course, "query": query, "items": items, "theory": theory},
    )


# --- Generation -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*STAFF_ROLES)
def generate_set(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the form. POST "preview": a set, not saved. POST "save": the same count and seed
    again (the same bank gives the same set), saved under the name."""
    course = get_course_for_staff(slug)
    form = GenerateForm(request.POST or None)
    assembly = error = None
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                assembly = generate(course, form.cleaned_data["count"], form.cleaned_data["seed"])
                if request.POST.get("action") == "save":
                    ticket_set = tickets.save_assembly(
                        course, assembly, form.cleaned_data["name"], request.user
                    )
                    messages.success(
                        request,
                        _("The set is saved as %(name)s v%(version)d.")
                        % {"name": ticket_set.name, "version": ticket_set.version},
                    )
                    return redirect("exams:set_detail", ticket_set.pk)
            except ExamRefused as refusal:
                error = str(refusal)
                status = REFUSED
            if assembly is not None:
                form = GenerateForm(
                    initial={**form.cleaned_data, "seed": assembly.seed,
                             "count": len(assembly.tickets)}
                )  # fmt: skip
    return render(
        request,
        "exams/generate.html",
        {"course": course, "form": form, "assembly": assembly, "error": error},
        status=status,
    )


@require_GET
@role_required(*STAFF_ROLES)
def exam_print(request: HttpRequest, exam_id: int) -> HttpResponse:
    exam = get_exam_for_staff(exam_id)
    return redirect(f"{reverse('exams:set_print', args=[exam.ticket_set_id])}?exam={exam.pk}")
