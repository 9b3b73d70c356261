"""Learner pages: choose a quiz, take an attempt (htmx enhances, plain forms work), results,
review and history. Every attempt is looked up through `get_attempt_for_learner`."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.db.models import Count, Prefetch, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.access import login_required
from assessments import services
from assessments.access import get_attempt_for_learner, get_quiz_for_learner
from assessments.cards import build_cards, navigation
from assessments.forms import PracticeForm, practice_courses
from assessments.models import Attempt, AttemptQuestion, Quiz, TopicResult
from courses.models import Course

REFUSED = 409


def _refused(
    request: HttpRequest,
    message: str,
    attempt: Attempt | None = None,
    position: int | None = None,
) -> HttpResponse:
    """A refusal: 409 with the reason; htmx shows it beside the question (the card itself
    stays as it is), a plain POST gets a page with a way back."""
    context = {"message": message, "attempt": attempt}
    if request.htmx:
        response = render(request, "assessments/refused.html#refusal", context, status=REFUSED)
        if position is not None:
            response["HX-Retarget"] = f"#q-{position}-status"
            response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "assessments/refused.html", context, status=REFUSED)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@require_GET
@login_required
def quiz_home(request: HttpRequest) -> HttpResponse:
    course = None
    if request.GET.get("course"):
        course = practice_courses().filter(slug=request.GET["course"]).first()
    form = PracticeForm(initial={"count": 10}, course=course)
    if request.htmx and request.htmx.target == "practice-topics":
        # The course changed: only the topics of the new course are swapped in.
        return render(request, "assessments/quiz_home.html#practice-topics", {"form": form})
    return _quiz_home(request, form)


def _quiz_home(request: HttpRequest, form: PracticeForm, status: int = 200) -> HttpResponse:
    now = timezone.now()
    courses = Course.objects.live().prefetch_related(
        Prefetch(
            "quizzes",
            queryset=Quiz.objects.filter(is_published=True).filter(
                Q(closes_at__isnull=True) | Q(closes_at__gt=now)
            ),
            to_attr="open_quizzes",
        )
    )
    running = (
        Attempt.objects.filter(learner=request.user, status=Attempt.Status.IN_PROGRESS)
        .select_related("course", "quiz")
        .order_by("-started_at")
    )
    # Closing expired ones here keeps the list honest without waiting for the beat task.
    running = [a for a in running if services.close_if_expired(a, now=now).is_open]
    return render(
        request,
        "assessments/quiz_home.html",
        {"courses": courses, "running": running, "form": form},
        status=status,
    )


@require_POST
@login_required
def start_practice(request: HttpRequest) -> HttpResponse:
    form = PracticeForm(request.POST)
    if not form.is_valid():
        # Back to the form with what to change: no page without a way on.
        return _quiz_home(request, form, status=400)
    try:
        attempt = services.start_practice_attempt(
            request.user,
            form.cleaned_data["course"],
            list(form.cleaned_data["topics"]),
            form.cleaned_data["count"],
        )
    except services.QuizRefused as refusal:
        form.add_error(None, str(refusal))
        return _quiz_home(request, form, status=400)
    return redirect("attempt_take", attempt.pk)


@require_GET
@login_required
def quiz_detail(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = get_quiz_for_learner(quiz_id)
    attempts = list(Attempt.objects.filter(learner=request.user, quiz=quiz).order_by("-started_at"))
    attempts = [services.close_if_expired(attempt) for attempt in attempts]
    left = None
    if quiz.attempts_allowed:
        left = max(0, quiz.attempts_allowed - len(attempts))
    running = next((a for a in attempts if a.is_open), None)
    return render(
        request,
        "assessments/quiz_detail.html",
        {"quiz": quiz, "attempts": attempts, "left": left, "running": running},
    )


@require_POST
@login_required
def start_quiz(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = get_quiz_for_learner(quiz_id)
    try:
        attempt = services.start_quiz_attempt(request.user, quiz)
    except services.QuizRefused as refusal:
        return _refused(request, str(refusal))
    return redirect("attempt_take", attempt.pk)


@require_GET
@login_required
def attempt_take(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = get_attempt_for_learner(request.user, attempt_id)
    if not attempt.is_open:
        return redirect("attempt_result", attempt.pk)
    now = timezone.now()
    if attempt.layout == Quiz.Layout.ALL:
        cards = build_cards(attempt, None, now)
        position = None
    else:
        asked = _int(request.GET.get("q"))
        position = asked if asked and 1 <= asked <= attempt.question_count else None
        position = position or attempt.current_position
        services.move_to(attempt, position)
        cards = build_cards(attempt, [position], now)
    nav = navigation(attempt)
    context = {
        "attempt": attempt,
        "cards": cards,
        "position": position,
        "nav": nav,
        "unanswered": sum(1 for entry in nav if not entry.answered),
        "previous": position - 1 if position and position > 1 else None,
        "next": position + 1 if position and position < attempt.question_count else None,
        "remaining_text": _remaining(attempt, now),
        "remaining_seconds": _remaining_seconds(attempt, now),
    }
    if request.htmx and request.htmx.target == "attempt-body":
        return render(request, "assessments/attempt_take.html#attempt-body", context)
    return render(request, "assessments/attempt_take.html", context)


def _remaining_seconds(attempt: Attempt, now: datetime) -> int | None:
    if attempt.deadline is None:
        return None
    return max(0, int((attempt.deadline - now).total_seconds()))


def _remaining(attempt: Attempt, now: datetime) -> str:
    """Minutes and seconds left, as the timer shows them; the server's clock is the one."""
    seconds = _remaining_seconds(attempt, now)
    if seconds is None:
        return ""
    return f"{seconds // 60}:{seconds % 60:02d}"


@require_POST
@login_required
def attempt_answer(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Autosave (timed) or check (practice) one answer.

    The hot path is one conditional UPDATE (services.save_answer_fast); only when it matches
    nothing is the attempt looked up (404 for others' attempts, closed if its time is up)
    and record_answer run to either save (non-PostgreSQL) or say exactly why not.
    """
    position = _int(request.POST.get("position"))
    option_id = _int(request.POST.get("option"))
    version = _int(request.POST.get("version"))
    saved = None
    if position is not None and option_id is not None and version is not None:
        saved = services.save_answer_fast(request.user.pk, attempt_id, position, option_id, version)
    if saved is not None:
        if not saved.is_practice and request.htmx:
            # Rendered without the request: no context processors, no queries.
            return HttpResponse(
                render_to_string("assessments/attempt_take.html#answer-saved", {"question": saved})
            )
        attempt = get_attempt_for_learner(request.user, attempt_id)
        return _after_answer(request, attempt, position)
    attempt = get_attempt_for_learner(request.user, attempt_id)
    if position is None or version is None:
        return _refused(request, _("The answer form is incomplete; reload the page."), attempt)
    if option_id is None and "option" not in request.POST:
        # Nothing chosen: not a conflict, a hint; the question stays as it was.
        return _choose_first(request, attempt, position)
    if option_id is None:
        return _refused(request, _("This option does not belong to this question."), attempt)
    try:
        question = services.record_answer(attempt.pk, position, option_id, version)
    except services.QuizRefused as refusal:
        return _refused(request, str(refusal), attempt, position)
    if not attempt.is_practice and request.htmx:
        return render(
            request,
            "assessments/attempt_take.html#answer-saved",
            {"attempt": attempt, "question": question},
        )
    return _after_answer(request, attempt, position)


def _choose_first(request: HttpRequest, attempt: Attempt, position: int) -> HttpResponse:
    hint = _("Choose one of the options first, then check the answer.")
    if not attempt.is_practice:
        hint = _("Choose one of the options first; it is saved as soon as you choose.")
    if request.htmx:
        response = render(request, "assessments/attempt_take.html#hint", {"hint": hint})
        response["HX-Retarget"] = f"#q-{position}-status"
        response["HX-Reswap"] = "innerHTML"
        return response
    messages.warning(request, hint)
    return redirect(f"{reverse('attempt_take', args=[attempt.pk])}?q={position}#q-{position}")


def _after_answer(request: HttpRequest, attempt: Attempt, position: int) -> HttpResponse:
    base = reverse("attempt_take", args=[attempt.pk])
    if attempt.is_practice:
        if request.htmx:
            cards = build_cards(attempt, [position], timezone.now())
            return render(
                request,
                "assessments/attempt_take.html#question-card",
                {"attempt": attempt, "card": cards[0], "nav": None},
            )
        return redirect(f"{base}?q={position}")
    following = position + 1 if position < attempt.question_count else position
    return redirect(f"{base}?q={following}")


@require_GET
@login_required
def attempt_timer(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = get_attempt_for_learner(request.user, attempt_id)
    if not attempt.is_open:
        if request.htmx:
            return HttpResponseClientRedirect(reverse("attempt_result", args=[attempt.pk]))
        return redirect("attempt_result", attempt.pk)
    now = timezone.now()
    return render(
        request,
        "assessments/attempt_take.html#timer",
        {
            "attempt": attempt,
            "remaining_text": _remaining(attempt, now),
            "remaining_seconds": _remaining_seconds(attempt, now),
        },
    )


@require_POST
@login_required
def attempt_submit(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Finish an attempt. With questions left unanswered the learner is asked first (a page
    listing them, with a way back to each), unless the form says they confirmed."""
    attempt = get_attempt_for_learner(request.user, attempt_id)
    if attempt.is_open and request.POST.get("confirm") != "1":
        unanswered = [entry.position for entry in navigation(attempt) if not entry.answered]
        if unanswered:
            return render(
                request,
                "assessments/attempt_confirm.html",
                {
                    "attempt": attempt,
                    "unanswered": unanswered,
                    "remaining_seconds": _remaining_seconds(attempt, timezone.now()),
                    "remaining_text": _remaining(attempt, timezone.now()),
                },
            )
    try:
        services.submit_attempt(attempt.pk)
    except services.QuizRefused as refusal:
        return _refused(request, str(refusal), attempt)
    return redirect("attempt_result", attempt.pk)


@require_GET
@login_required
def attempt_result(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = get_attempt_for_learner(request.user, attempt_id)
    if attempt.is_open:
        return redirect("attempt_take", attempt.pk)
    now = timezone.now()
    visible = attempt.answers_visible(now)
    cards = build_cards(attempt, None, now) if visible else []
    topic_results = TopicResult.objects.filter(attempt=attempt).select_related("topic")
    return render(
        request,
        "assessments/attempt_result.html",
        {
            "attempt": attempt,
            "cards": cards,
            "visible": visible,
            "topic_results": topic_results,
            "answered": AttemptQuestion.objects.filter(
                attempt=attempt, chosen_option__isnull=False
            ).count(),
        },
    )


@require_GET
@login_required
def history(request: HttpRequest) -> HttpResponse:
    attempts = (
        Attempt.objects.filter(learner=request.user)
        .select_related("course", "quiz")
        .order_by("-started_at")[:200]
    )
    by_topic = list(
        TopicResult.objects.filter(learner=request.user)
        .values("topic__name", "topic__name_en", "topic__position", "course__title")
        .annotate(correct=Sum("correct"), total=Sum("total"), attempts=Count("attempt"))
        .order_by("course__title", "topic__position")
    )
    english = (get_language() or "").startswith("en")
    for row in by_topic:
        row["percent"] = round(100 * row["correct"] / row["total"]) if row["total"] else 0
        row["topic_label"] = (english and row["topic__name_en"]) or row["topic__name"]
    return render(request, "assessments/history.html", {"attempts": attempts, "by_topic": by_topic})
