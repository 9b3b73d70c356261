"""Instructor pages: define quizzes, item analysis with charts, Moodle XML / GIFT interop."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import STAFF_ROLES, role_required
from assessments import charts, gift, item_report, moodle_xml, question_drafts
from assessments.access import get_quiz_for_staff
from assessments.forms import QuestionImportForm, QuizForm
from assessments.interchange import (
    InterchangeError,
    TopicIndex,
    category_path,
    course_questions,
)
from assessments.models import MCQ, Attempt, PracticalTask, QuestionDraft, Quiz
from assessments.reference_code import lab_reference, reference_code
from courses.models import Course, Topic
from labs.models import Lab


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
    drafts = QuestionDraft.objects.filter(status=QuestionDraft.Status.DRAFT).count()
    return render(
        request,
        "assessments/quiz_manage.html",
        {"quizzes": quizzes, "courses": courses, "draft_count": drafts},
    )


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


@require_GET
@role_required(*STAFF_ROLES)
def reference_solutions(request: HttpRequest, slug: str) -> HttpResponse:
    """The practical tasks' reference code with what the import says about it: block ends
    that restoration guessed, what the code needs, what a run in the sandbox found; beside it
    the reference solution of the lab that grades the task, if there is one (its lab.toml
    names the course and the ticket)."""
    course = _course_for_staff(slug)
    tasks = (
        PracticalTask.objects.live()
        .filter(ticket__course=course, ticket__retired_at__isnull=True)
        .select_related("ticket")
        .order_by("ticket__number")
    )
    labs = {
        lab.ticket_number: lab
        for lab in Lab.objects.live().filter(course=course, ticket_number__isnull=False)
    }
    solutions = []
    for task in tasks:
        solution = reference_code(task)
        lab = labs.get(task.ticket.number)
        solution.lab = lab_reference(lab) if lab else None
        solutions.append(solution)
    return render(
        request,
        "assessments/reference_solutions.html",
        {"course": course, "solutions": solutions},
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
    """Read an uploaded file into drafts: nothing reaches learners until it is published."""
    form = QuestionImportForm(request.POST or None, request.FILES or None)
    error = None
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
                    raise InterchangeError(line, _("the file is not UTF-8")) from None
                parsed = gift.parse(text)
                source = f"gift:{upload.name}"
            if not parsed.questions:
                raise InterchangeError(1, _("the file holds no question to import"))
        except InterchangeError as refusal:
            error = _("Nothing was imported. Line %(line)d: %(message)s") % {
                "line": refusal.line,
                "message": refusal.message,
            }
        else:
            created, updated = question_drafts.save_drafts(
                course, parsed.questions, source, request.user
            )
            messages.success(
                request,
                ngettext(
                    "%(count)d question read as a draft: preview it and publish it.",
                    "%(count)d questions read as drafts: preview them and publish them.",
                    created + updated,
                )
                % {"count": created + updated},
            )
            for warning in parsed.warnings:
                messages.warning(request, warning)
            return redirect(f"{reverse('question_drafts')}?source={quote(source)}")
    return render(
        request,
        "assessments/import.html",
        {"form": form, "error": error},
        status=400 if error or (request.method == "POST" and form.errors) else 200,
    )


@require_http_methods(["GET", "POST"])
@role_required(*STAFF_ROLES)
def question_drafts_view(request: HttpRequest) -> HttpResponse:
    """Preview imported questions as learners would see them; publish or discard them."""
    drafts = QuestionDraft.objects.filter(status=QuestionDraft.Status.DRAFT).select_related(
        "course", "topic"
    )
    source = request.GET.get("source") or request.POST.get("source") or ""
    if source:
        drafts = drafts.filter(source=source)
    if request.method == "POST":
        chosen = list(drafts.filter(pk__in=request.POST.getlist("draft")))
        if not chosen:
            messages.error(request, _("Choose at least one question first."))
        elif request.POST.get("action") == "discard":
            count = question_drafts.discard(chosen)
            messages.success(
                request,
                ngettext("%(count)d draft discarded.", "%(count)d drafts discarded.", count)
                % {"count": count},
            )
        else:
            topics = _chosen_topics(request, chosen)
            result, held = question_drafts.publish(chosen, request.user, topics)
            published = result.created + result.updated
            if published:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d question published: learners see it now.",
                        "%(count)d questions published: learners see them now.",
                        published,
                    )
                    % {"count": published},
                )
            if held:
                messages.error(
                    request,
                    ngettext(
                        "%(count)d question was not published: see what it lacks below.",
                        "%(count)d questions were not published: see what they lack below.",
                        len(held),
                    )
                    % {"count": len(held)},
                )
            for warning in result.warnings:
                messages.warning(request, warning)
        target = reverse("question_drafts")
        return redirect(f"{target}?source={quote(source)}" if source else target)
    index = TopicIndex()
    cards = [(draft, question_drafts.problems_of(draft, index)) for draft in drafts]
    return render(
        request,
        "assessments/question_drafts.html",
        {"cards": cards, "source": source, "topics": Topic.objects.all()},
    )


def _chosen_topics(request: HttpRequest, drafts: list[QuestionDraft]) -> dict[int, Topic]:
    slugs = {draft.pk: request.POST.get(f"topic-{draft.pk}", "") for draft in drafts}
    topics = {t.slug: t for t in Topic.objects.filter(slug__in=[s for s in slugs.values() if s])}
    return {pk: topics[slug] for pk, slug in slugs.items() if slug in topics}
