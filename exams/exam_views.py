"""Instructor pages for exams: open and edit an exam, its rubrics, the grading queue, grading
one session beside the reference answers, publication, and the course's gradebook."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import STAFF_ROLES, role_required
from courses.models import QAItem
from exams import gradebook, marking, sessions, similarity
from exams.access import get_course_for_staff, get_exam_for_staff, get_session_for_staff
from exams.authoring_views import REFUSED, refused
from exams.forms import ExamForm
from exams.models import Exam, ExamSession, SessionAnswer, TicketQuestion
from exams.tickets import ExamRefused


@require_http_methods(["GET", "POST"])
@role_required(*STAFF_ROLES)
def exam_create(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_course_for_staff(slug)
    return _exam_form(request, course, Exam(course=course))


@require_http_methods(["GET", "POST"])
@role_required(*STAFF_ROLES)
def exam_edit(request: HttpRequest, exam_id: int) -> HttpResponse:
    exam = get_exam_for_staff(exam_id)
    return _exam_form(request, exam.course, exam)


def _exam_form(request: HttpRequest, course, exam: Exam) -> HttpResponse:
    form = ExamForm(request.POST or None, instance=exam, course=course)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            exam = sessions.save_exam(
                form.save(commit=False), form.cleaned_data["candidates"], request.user
            )
        except ExamRefused as refusal:
            error = str(refusal)
        else:
            messages.success(request, _("The exam is saved."))
            return redirect("exams:exam_overview", exam.pk)
    status = 200
    if request.method == "POST":
        status = REFUSED if error else 400
    context = {"form": form, "course": course, "exam": exam, "error": error}
    return render(request, "exams/exam_form.html", context, status=status)


@require_GET
@role_required(*STAFF_ROLES)
def exam_overview(request: HttpRequest, exam_id: int) -> HttpResponse:
    exam = get_exam_for_staff(exam_id)
    rows = (
        ExamSession.objects.filter(exam=exam)
        .select_related("learner", "ticket")
        .order_by("learner__username")
    )
    return render(
        request,
        "exams/exam_overview.html",
        {"exam": exam, "sessions": rows,
         "candidates": exam.candidates.select_related("learner").order_by("learner__username")},
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
@role_required(*STAFF_ROLES)
def exam_rubric(request: HttpRequest, exam_id: int) -> HttpResponse:
    """Every question of the exam's set with its criteria; a POST replaces one question's."""
    exam = get_exam_for_staff(exam_id)
    sessions.ensure_rubrics(exam)
    error, error_question = None, None
    if request.method == "POST":
        question_id = request.POST.get("question", "")
        rows = []
        try:
            if not question_id.isdigit():
                raise ExamRefused(_("This question is not in this exam."))
            ids = request.POST.getlist("criterion")
            titles = request.POST.getlist("title")
            points = request.POST.getlist("points")
            removed = set(request.POST.getlist("remove"))
            if not len(ids) == len(titles) == len(points):
                raise ExamRefused(_("The rubric form is incomplete; reload the page."))
            for criterion_id, title, raw in zip(ids, titles, points, strict=True):
                if not title.strip() and not raw.strip() and not criterion_id:
                    continue  # the empty row for a new criterion
                if criterion_id and criterion_id in removed:
                    continue
                value = marking.parse_points(raw, title or _("Points"))
                if value is None:
                    raise ExamRefused(_("Every criterion needs its points."))
                rows.append(
                    marking.RubricRow(
                        int(criterion_id) if criterion_id.isdigit() else None, title, value
                    )
                )
            marking.update_rubric(exam, int(question_id), rows)
        except ExamRefused as refusal:
            error, error_question = str(refusal), question_id
        else:
            messages.success(request, _("The rubric is saved."))
            return redirect(
                f"{reverse('exams:exam_rubric', args=[exam.pk])}#question-{question_id}"
            )
    questions = list(
        TicketQuestion.objects.filter(ticket__ticket_set=exam.ticket_set)
        .select_related("ticket")
        .order_by("ticket__number", "position")
    )
    criteria = marking.criteria_by_question(exam, [q.pk for q in questions])
    blocks = [
        (q, criteria.get(q.pk, []), sum((c.max_points for c in criteria.get(q.pk, [])), Decimal(0)))
        for q in questions
    ]
    return render(
        request,
        "exams/rubric.html",
        {"exam": exam, "blocks": blocks, "error": error, "error_question": error_question},
        status=REFUSED if error else 200,
    )


@require_GET
@role_required(*STAFF_ROLES)
def grading_queue(request: HttpRequest) -> HttpResponse:
    sessions.close_expired_sessions()
    waiting = (
        ExamSession.objects.exclude(status=ExamSession.Status.IN_PROGRESS)
        .exclude(grading=ExamSession.Grading.PUBLISHED)
        .select_related("exam__course", "learner", "ticket")
        .order_by("grading", "finished_at")
    )
    exam_id = request.GET.get("exam", "")
    exam = None
    if exam_id.isdigit():
        exam = Exam.objects.filter(pk=int(exam_id)).first()
        if exam is not None:
            waiting = waiting.filter(exam=exam)
    exams = Exam.objects.annotate(
        waiting=Count(
            "sessions",
            filter=~Q(sessions__status=ExamSession.Status.IN_PROGRESS)
            & ~Q(sessions__grading=ExamSession.Grading.PUBLISHED),
        ),
        sitting=Count("sessions", filter=Q(sessions__status=ExamSession.Status.IN_PROGRESS)),
    ).select_related("course")
    return render(
        request, "exams/grading_queue.html", {"sessions": waiting, "exams": exams, "exam": exam}
    )


def _grade_context(session: ExamSession, posted: dict | None = None) -> dict:
    exam = session.exam
    answers = list(
        SessionAnswer.objects.filter(session=session)
        .select_related("question__qa_item", "question__seed_question")
        .prefetch_related("question__topics")
        .order_by("position")
    )
    question_ids = [a.question_id for a in answers if a.question_id]
    criteria = marking.criteria_by_question(exam, question_ids)
    given = dict(session.scores.values_list("criterion_id", "points"))
    theory = []
    for answer in answers:
        if answer.question is None:
            continue
        rows = []
        for criterion in criteria.get(answer.question_id, []):
            value = given.get(criterion.pk)
            if posted is not None:
                value = posted.get(f"score-{criterion.pk}", "")
            rows.append((criterion, value))
        theory.append({"answer": answer, "criteria": rows, "related": _related(answer.question)})
    practical_text = next((a for a in answers if a.question is None), None)
    submissions = list(
        session.practical_submissions.select_related("submission").order_by(
            "-submission__created_at"
        )
    )
    similar = []
    if submissions or practical_text:
        similar = similarity.similar_solutions(exam).get(session.pk, [])
    return {
        "session": session,
        "exam": exam,
        "theory": theory,
        "practical_text": practical_text,
        "submissions": [link.submission for link in submissions],
        "lab_score": marking.lab_score(session),
        "similar": similar,
        "changes": session.changes.select_related("changed_by"),
        "posted": posted or {},
    }


def _related(question: TicketQuestion) -> list[QAItem]:
    """Q&A items to read beside the answer: the bank item itself and its "see also" items,
    or those linked to the imported question it came from."""
    found: list[QAItem] = []
    if question.qa_item_id:
        found.append(question.qa_item)
        found += list(question.qa_item.see_also.live()[:3])
    elif question.seed_question_id:
        found += list(question.seed_question.see_also.live()[:3])
    return found


@require_http_methods(["GET", "POST"])
@role_required(*STAFF_ROLES)
def session_grade(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_session_for_staff(session_id)
    if request.method == "GET":
        return render(request, "exams/session_grade.html", _grade_context(session))
    try:
        scores = {}
        for key, raw in request.POST.items():
            if key.startswith("score-"):
                criterion_id = key.removeprefix("score-")
                if not criterion_id.isdigit():
                    raise ExamRefused(_("A score was given for a criterion of another rubric."))
                scores[int(criterion_id)] = marking.parse_points(raw, _("Points"))
        override = marking.parse_points(request.POST.get("practical_override"), _("Practical task"))
        marking.grade_session(
            session,
            request.user,
            scores=scores,
            practical_override=override,
            feedback=request.POST.get("feedback", ""),
            reason=request.POST.get("reason", ""),
        )
    except ExamRefused as refusal:
        context = _grade_context(session, posted=request.POST)
        context["error"] = str(refusal)
        return render(request, "exams/session_grade.html", context, status=REFUSED)
    messages.success(request, _("The grade is saved."))
    return redirect("exams:session_grade", session.pk)


@require_POST
@role_required(*STAFF_ROLES)
def session_publish(request: HttpRequest, session_id: int) -> HttpResponse:
    session = get_session_for_staff(session_id)
    try:
        marking.publish(session, request.user)
    except ExamRefused as refusal:
        return refused(request, str(refusal), reverse("exams:session_grade", args=[session.pk]))
    messages.success(request, _("The grade is published: the learner sees it now."))
    return redirect("exams:session_grade", session.pk)


@require_GET
@role_required(*STAFF_ROLES)
def course_gradebook(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_course_for_staff(slug)
    return render(
        request,
        "exams/gradebook.html",
        {"course": course, "sessions": gradebook.course_sessions(course)},
    )


@require_GET
@role_required(*STAFF_ROLES)
def course_gradebook_csv(request: HttpRequest, slug: str) -> HttpResponse:
    course = get_course_for_staff(slug)
    response = HttpResponse(gradebook.gradebook_csv(course), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(course.slug)}-gradebook.csv"'
    return response
