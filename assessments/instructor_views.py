"""Instructor pages: define quizzes, item analysis with charts, Moodle XML / GIFT interop."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import STAFF_ROLES, role_required
from assessments import charts, gift, item_report, moodle_xml
from assessments.access import get_quiz_for_staff
from assessments.forms import QuestionImportForm, QuizForm
from assessments.interchange import (
    InterchangeError,
    category_path,
    course_questions,
    import_questions,
)
from assessments.models import MCQ, Attempt, Quiz
from courses.models import Course


def _course_for_staff(slug: str) -> Course:
    return get_object_or_404(Course.objects.live(), slug=slug)


@require_GET
@role_required(*STAFF_ROLES)
def quiz_manage(request: HttpRequest) -> HttpResponse:
    quizzes = Quiz.objects.select_related("course").annotate(
        attempt_count=Count("attempts", filter=~Q(attempts__status=Attempt.Status.IN_PROGRESS))
    )
    courses = Course.objects.live().annotate(
        mcq_count=Count("mcqs", filter=Q(mcqs__retired_at__isnull=True))
    )
    return render(request, "assessments/quiz_manage.html", {"quizzes": quizzes, "courses": courses})


@require_http_methods(["GET", "POST"])
@role_required(*STAFF_ROLES)
def quiz_create(request: HttpRequest) -> HttpResponse:
    return _quiz_form(request, None)


@require_http_methods(["GET", "POST"])
@role_required(*STAFF_ROLES)
def quiz_edit(request: HttpRequest, quiz_id: int) -> HttpResponse:
    return _quiz_form(request, get_quiz_for_staff(quiz_id))


def _quiz_form(request: HttpRequest, quiz: Quiz | None) -> HttpResponse:
    form = QuizForm(request.POST or None, instance=quiz)
    if request.method == "POST" and form.is_valid():
        created = quiz is None
        quiz = form.save(commit=False)
        if created:
            quiz.created_by = request.user
        quiz.save()
        form.save_m2m()
        messages.success(request, _("The quiz is saved."))
        return redirect("quiz_manage")
    return render(request, "assessments/quiz_form.html", {"form": form, "quiz": quiz})


@require_GET
@role_required(*STAFF_ROLES)
def quiz_analysis(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = get_quiz_for_staff(quiz_id)
    mcqs = None
    if quiz.selection == Quiz.Selection.FIXED:
        mcqs = list(quiz.mcqs.order_by("position", "pk"))
    report = item_report.analyse(Attempt.objects.filter(quiz=quiz), mcqs)
    return _analysis_page(request, report, quiz.title, quiz=quiz, course=quiz.course)


@require_GET
@role_required(*STAFF_ROLES)
def course_analysis(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course_for_staff(slug)
    mcqs = list(MCQ.objects.live().filter(course=course).order_by("position", "pk"))
    report = item_report.analyse(Attempt.objects.filter(course=course), mcqs)
    return _analysis_page(request, report, course.title, quiz=None, course=course)


def _analysis_page(request, report, title, *, quiz, course) -> HttpResponse:
    only_flagged = request.GET.get("flagged") == "1"
    return render(
        request,
        "assessments/analysis.html",
        {
            "report": report,
            "title": title,
            "quiz": quiz,
            "course": course,
            "items": report.flagged if only_flagged else report.items,
            "only_flagged": only_flagged,
            "facility_chart": charts.facility_chart(report),
            "discrimination_chart": charts.discrimination_chart(report),
            "score_chart": charts.score_histogram(report),
        },
    )


def _download(body: bytes | str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@role_required(*STAFF_ROLES)
def export_moodle_xml(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course_for_staff(slug)
    body = moodle_xml.dump(course_questions(course), category_path(course, "").rstrip("/"))
    return _download(body, f"{slugify(course.slug)}-moodle.xml", "application/xml; charset=utf-8")


@require_GET
@role_required(*STAFF_ROLES)
def export_gift(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course_for_staff(slug)
    body = gift.dump(course_questions(course), category_path(course, "").rstrip("/"))
    return _download(body, f"{slugify(course.slug)}.gift.txt", "text/plain; charset=utf-8")


@require_http_methods(["GET", "POST"])
@role_required(*STAFF_ROLES)
def import_bank(request: HttpRequest) -> HttpResponse:
    form = QuestionImportForm(request.POST or None, request.FILES or None)
    result = error = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        course = form.cleaned_data["course"]
        data = upload.read()
        try:
            if upload.name.lower().endswith(".xml") or data.lstrip().startswith(b"<"):
                parsed = moodle_xml.parse(data)
                source = f"moodle:{upload.name}"
            else:
                try:
                    text = data.decode("utf-8-sig")
                except UnicodeDecodeError as decode_error:
                    line = data[: decode_error.start].count(b"\n") + 1
                    raise InterchangeError(line, "the file is not UTF-8") from None
                parsed = gift.parse(text)
                source = f"gift:{upload.name}"
            if not parsed.questions:
                raise InterchangeError(1, "the file holds no question to import")
            result = import_questions(course, parsed.questions, source)
            result.warnings = parsed.warnings + result.warnings
        except InterchangeError as refusal:
            error = _("Nothing was imported. Line %(line)d: %(message)s") % {
                "line": refusal.line,
                "message": refusal.message,
            }
            status = 400
    return render(
        request,
        "assessments/import.html",
        {"form": form, "result": result, "error": error},
        status=status if request.method == "POST" and not form.errors else 200,
    )
