"""Study pages: the dashboard of decks and mastery, reviewing a deck (htmx: reveal, rate, the
next card swapped in, no reloads), settings, the review log as CSV, re-practice of quiz
mistakes, and the same dashboard for instructors, per learner."""

from __future__ import annotations

import csv
import time
import uuid
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import STAFF_ROLES, login_required, role_required
from assessments.services import QuizRefused, start_practice_on
from courses.models import Course, MindMap, Topic
from courses.queries import get_live_course
from study import deck_counts, decks, evidence, mastery, mistakes, queue, scheduling, services
from study.access import get_learner_for_staff
from study.forms import StudySettingsForm
from study.models import ReviewLog, StudySettings

RATING_LABELS = {
    1: gettext_lazy("Again"),
    2: gettext_lazy("Hard"),
    3: gettext_lazy("Good"),
    4: gettext_lazy("Easy"),
}


def _dashboard_context(learner: AbstractBaseUser, now: datetime) -> dict:
    settings = services.settings_for(learner)
    courses = list(
        Course.objects.live()
        .only("slug", "title")
        .order_by("title")
        .prefetch_related(
            Prefetch(
                "mindmaps",
                MindMap.objects.live().only("course_id", "number", "title").order_by("position"),
                to_attr="live_mindmaps",
            )
        )
    )
    left = queue.new_cards_left_today(learner, settings, now)
    every_deck = deck_counts.all_decks(learner, courses, settings, left, now)
    masteries = mastery.learner_mastery(learner, courses, now=now)
    wrong = mistakes.wrong_mcq_ids(learner)
    rows = []
    for course_decks, course_mastery in zip(every_deck, masteries, strict=True):
        by_topic = {m.topic.pk: m for m in course_mastery.topics}
        rows.append(
            {
                "course": course_decks.course,
                "counts": course_decks.counts,
                "mastery": course_mastery.overall,
                "topics": [
                    (topic, counts, by_topic.get(topic.pk)) for topic, counts in course_decks.topics
                ],
                "wrong_count": len(wrong.get(course_decks.course.pk, [])),
            }
        )
    return {"settings": settings, "rows": rows, "left_today": left, "learner": learner}


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    evidence.apply_new_evidence(request.user, now=now)
    context = _dashboard_context(request.user, now)
    return render(request, "study/dashboard.html", context)


@require_GET
@role_required(*STAFF_ROLES)
def learner_dashboard(request: HttpRequest, user_id: int) -> HttpResponse:
    """What the learner sees on their dashboard, read-only, for instructors."""
    learner = get_learner_for_staff(user_id)
    context = _dashboard_context(learner, timezone.now())
    context["staff_view"] = True
    return render(request, "study/dashboard.html", context)


def _deck_from(course: Course, topic_slug: str) -> tuple[decks.Deck, Topic | None]:
    topic = Topic.objects.filter(slug=topic_slug[:50]).first() if topic_slug else None
    return decks.Deck(course, topic.slug if topic else ""), topic


def _card_context(
    learner: AbstractBaseUser,
    deck: decks.Deck,
    topic: Topic | None,
    settings: StudySettings,
    now: datetime,
) -> dict:
    next_up = queue.review_queue(learner, deck, settings, now)
    card = next_up.card
    context = {
        "deck": deck,
        "course": deck.course,
        "topic": topic,
        "card": card,
        "counts": next_up.counts,
        "token": uuid.uuid4().hex,
        "shown_at": int(time.time() * 1000),
    }
    if card is not None:
        context["buttons"] = [
            (rating, str(RATING_LABELS[rating]), scheduling.format_interval(interval))
            for rating, interval in scheduling.preview(card, now)
        ]
    return context


@require_GET
@login_required
def review(request: HttpRequest, slug: str) -> HttpResponse:
    now = timezone.now()
    evidence.apply_new_evidence(request.user, now=now)
    deck, topic = _deck_from(get_live_course(slug), request.GET.get("topic", "").strip())
    settings = services.settings_for(request.user)
    context = _card_context(request.user, deck, topic, settings, now)
    return render(request, "study/review.html", context)


@require_POST
@login_required
def rate(request: HttpRequest, card_id: int) -> HttpResponse:
    now = timezone.now()
    try:
        rating = int(request.POST.get("rating", ""))
        version = int(request.POST.get("version", ""))
        shown_at = int(request.POST.get("shown_at", "0"))
    except ValueError:
        return _refused(request, _("This rating form is incomplete; reload the page."))
    duration = int(now.timestamp() * 1000) - shown_at if shown_at else None
    token = request.POST.get("token", "")
    rated = services.rate_card_fast(
        request.user.pk, card_id, rating, version, token, duration_ms=duration, now=now
    )
    if rated is None:  # not PostgreSQL, or refused: the rule says what and why
        try:
            rated = services.rate_card(
                request.user, card_id, rating, version, token, duration_ms=duration, now=now
            )
        except services.StudyRefused as refusal:
            return _refused(request, str(refusal), status=refusal.status)
    card = rated.card
    # The next card comes from the deck the rating was made in: the card's course, and the
    # topic the form names (an unknown topic is the whole course).
    deck, topic = _deck_from(card.course, request.POST.get("topic", "").strip())
    if not request.htmx:
        query = f"?topic={deck.topic_slug}" if deck.topic_slug else ""
        return redirect(reverse("study_review", args=[deck.course.slug]) + query)
    context = _card_context(request.user, deck, topic, rated.settings, now)
    # Rendered without the request: no context processors. htmx posts the CSRF token in the
    # header base.html sets; the form carries it too, for a post sent before htmx took it over.
    context["csrf_token"] = get_token(request)
    return HttpResponse(render_to_string("study/review.html#rated", context))


def _refused(request: HttpRequest, message: str, status: int = 409) -> HttpResponse:
    """A refusal changes nothing: htmx shows the reason above the card, which stays as it is;
    a plain POST gets a page with a way back."""
    if request.htmx:
        response = render(request, "study/review.html#refusal", {"message": message}, status=status)
        response["HX-Retarget"] = "#study-card-status"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "study/refused.html", {"message": message}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def study_settings(request: HttpRequest) -> HttpResponse:
    settings = services.settings_for(request.user)
    form = StudySettingsForm(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Study settings saved."))
        return redirect("study_dashboard")
    return render(
        request, "study/settings.html", {"form": form}, status=400 if form.errors else 200
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_COLUMNS = ["card_id", "review_time", "review_rating", "review_state", "review_duration"]


@require_GET
@login_required
def review_log_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every review of the learner, oldest first, in the review-log schema of the FSRS
    optimiser: card_id, review_time (ms since the epoch, UTC), review_rating (1-4),
    review_state (0 new, 1 learning, 2 review, 3 relearning: the state before the review),
    review_duration (ms)."""
    rows = (
        ReviewLog.objects.filter(learner=request.user)
        .order_by("reviewed_at", "id")
        .values_list("card_id", "reviewed_at", "rating", "state_before", "duration_ms")
        .iterator(chunk_size=2000)
    )
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for card_id, reviewed_at, rating, state, duration in rows:
            millis = int(reviewed_at.timestamp() * 1000)
            yield writer.writerow(
                [card_id, millis, rating, state, "" if duration is None else duration]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="revlog.csv"'
    return response


@require_POST
@login_required
def practise_mistakes(request: HttpRequest, slug: str) -> HttpResponse:
    """A practice attempt on the quiz questions of the course whose latest answer was wrong."""
    course = get_live_course(slug)
    mcq_ids = mistakes.wrong_mcq_ids(request.user).get(course.pk, [])
    try:
        attempt = start_practice_on(request.user, course, mcq_ids)
    except QuizRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("study_dashboard")
    return redirect("attempt_take", attempt.pk)
