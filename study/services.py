"""Reviewing flashcards: which card comes next, and rating it. Views never save cards.

A rating is refused, changing nothing, when the card is not the learner's (the access helper
gives a 404 first), when its idempotency token was used already (a replay), when the card was
rated since it was shown (its version moved on: another tab), or when it is not due. The card
row is locked for the rating (`select_for_update`) and written with a conditional UPDATE on the
version it was shown with, so two tabs rating at once count once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assessments.models import TicketTheoryQuestion
from courses.models import Course, QAItem
from courses.queries import course_qa_items
from study import scheduling
from study.models import Card, ReviewLog, StudySettings

TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_DURATION_MS = 10 * 60 * 1000


class StudyRefused(Exception):
    """A rating the rules refuse; `str(error)` is the learner-facing reason, `status` the
    HTTP status that says it (404 for a card that is not the learner's, else 409)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def settings_for(learner: AbstractBaseUser) -> StudySettings:
    settings, _created = StudySettings.objects.get_or_create(learner=learner)
    return settings


# --- Decks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deck:
    course: Course
    topic_slug: str = ""  # "" for the whole course


def deck_qa_items(deck: Deck) -> QuerySet[QAItem]:
    items = course_qa_items(deck.course)
    if deck.topic_slug:
        items = items.filter(topics__slug=deck.topic_slug)
    return items


def deck_theory_questions(deck: Deck) -> QuerySet[TicketTheoryQuestion]:
    questions = TicketTheoryQuestion.objects.live().filter(
        ticket__course=deck.course, ticket__retired_at__isnull=True
    )
    if deck.topic_slug:
        questions = questions.filter(topics__slug=deck.topic_slug)
    return questions


def deck_cards(learner: AbstractBaseUser, deck: Deck) -> QuerySet[Card]:
    """The learner's cards of the deck whose item is still live: plain joins from the card
    (its item, the item's collection, the topic links), so that the review page's queries stay
    index lookups on the learner's cards however many there are."""
    live_qa = Q(
        qa_item__isnull=False,
        qa_item__retired_at__isnull=True,
        qa_item__collection__retired_at__isnull=True,
    )
    live_theory = Q(
        theory_question__isnull=False,
        theory_question__retired_at__isnull=True,
        theory_question__ticket__retired_at__isnull=True,
    )
    if deck.topic_slug:
        live_qa &= Q(qa_item__topics__slug=deck.topic_slug)
        live_theory &= Q(theory_question__topics__slug=deck.topic_slug)
    return Card.objects.filter(learner=learner, course=deck.course).filter(live_qa | live_theory)


def new_cards_left_today(learner: AbstractBaseUser, settings: StudySettings, now: datetime) -> int:
    """How many more new cards the daily cap allows today (the learner's day)."""
    day_start, _end = scheduling.day_bounds(settings.time_zone, now)
    introduced = ReviewLog.objects.filter(
        learner=learner, state_before=Card.State.NEW, reviewed_at__gte=day_start
    ).count()
    return max(0, settings.new_cards_per_day - introduced)


def next_card(
    learner: AbstractBaseUser,
    deck: Deck,
    settings: StudySettings,
    now: datetime,
    left_today: int | None = None,
) -> Card | None:
    """The card to show next: due learning steps and reviews first (earliest due first), then
    new cards brought forward by graded evidence, then new cards while the daily cap allows
    (a new card shown but not rated yet comes back first), in the bank's order."""
    _start, day_end = scheduling.day_bounds(settings.time_zone, now)
    cards = deck_cards(learner, deck).select_related(
        "qa_item__collection", "theory_question__ticket"
    )
    due = cards.filter(scheduling.due_q(now, day_end)).order_by("due", "id").first()
    if due is not None:
        return due
    forwarded = cards.filter(state=Card.State.NEW).exclude(evidence="").order_by("evidence_at")
    card = forwarded.first()
    if card is not None:
        return card
    if left_today is None:
        left_today = new_cards_left_today(learner, settings, now)
    if left_today <= 0:
        return None
    card = cards.filter(state=Card.State.NEW).order_by("created_at", "id").first()
    if card is not None:
        return card
    return _introduce(learner, deck, now)


def _introduce(learner: AbstractBaseUser, deck: Deck, now: datetime) -> Card | None:
    """A new card for the first item of the deck that has none yet (Q&A first, then tickets'
    theory questions)."""
    seen = Card.objects.filter(learner=learner, course=deck.course)
    item = (
        deck_qa_items(deck)
        .exclude(id__in=seen.filter(qa_item__isnull=False).values("qa_item_id"))
        .order_by("collection__title", "position", "id")
        .first()
    )
    fields = {"qa_item": item}
    if item is None:
        question = (
            deck_theory_questions(deck)
            .exclude(id__in=seen.filter(theory_question__isnull=False).values("theory_question"))
            .order_by("ticket__number", "position", "id")
            .first()
        )
        if question is None:
            return None
        fields = {"theory_question": question}
    try:
        with transaction.atomic():
            return Card.objects.create(learner=learner, course=deck.course, due=now, **fields)
    except IntegrityError:  # introduced a moment ago in another tab: show that one
        return Card.objects.get(learner=learner, course=deck.course, **fields)


# --- Rating -----------------------------------------------------------------------------------


def rate_card(
    learner: AbstractBaseUser,
    card_id: int,
    rating: int,
    version: int,
    token: str,
    *,
    duration_ms: int | None = None,
    now: datetime | None = None,
    settings: StudySettings | None = None,
) -> Card:
    """Apply one rating (1 Again .. 4 Easy) to the learner's card and log it; returns the card
    as rated, with its course."""
    now = now or timezone.now()
    if rating not in (1, 2, 3, 4):
        raise StudyRefused(_("Choose one of Again, Hard, Good or Easy."))
    if not TOKEN.match(token or ""):
        raise StudyRefused(_("This rating form is incomplete; reload the page."))
    if duration_ms is not None:
        duration_ms = max(0, min(duration_ms, MAX_DURATION_MS))
    settings = settings or settings_for(learner)
    with transaction.atomic():
        card = (
            Card.objects.select_for_update(of=("self",))
            .filter(pk=card_id, learner=learner)
            .select_related("course")
            .first()
        )
        if card is None:
            raise StudyRefused(_("This card is not one of yours."), status=404)
        if card.version != version:
            if ReviewLog.objects.filter(token=token).exists():  # a replay: say so
                raise StudyRefused(_("This rating was already recorded; nothing changed."))
            raise StudyRefused(
                _("This card was rated in another tab or window since it was shown here.")
            )
        _start, day_end = scheduling.day_bounds(settings.time_zone, now)
        if not scheduling.is_due(card, now, day_end):
            local_due = timezone.localtime(card.due, scheduling.ZoneInfo(settings.time_zone))
            raise StudyRefused(
                _("This card is not due yet; it comes back on %(date)s.")
                % {"date": date_format(local_due, "SHORT_DATETIME_FORMAT")}
            )
        outcome = scheduling.review(card, rating, now)
        # The log first: its unique token is the idempotency key. A replay inserts nothing
        # and is refused; raising inside the transaction undoes everything.
        if not _insert_review(card, learner, rating, token, duration_ms, outcome, now):
            raise StudyRefused(_("This rating was already recorded; nothing changed."))
        claimed = Card.objects.filter(pk=card.pk, version=version).update(
            state=outcome.state,
            step=outcome.step,
            stability=outcome.stability,
            difficulty=outcome.difficulty,
            due=outcome.due,
            last_review=now,
            reps=F("reps") + 1,
            lapses=F("lapses") + int(outcome.lapse),
            version=F("version") + 1,
            evidence="",
            evidence_detail="",
        )
        if not claimed:  # cannot happen under the row lock; kept as the invariant's guard
            raise StudyRefused(_("This card was rated in another tab or window."))
    card.state, card.step, card.due = outcome.state, outcome.step, outcome.due
    card.stability, card.difficulty, card.last_review = outcome.stability, outcome.difficulty, now
    card.reps, card.version, card.evidence = card.reps + 1, version + 1, ""
    return card


_INSERT_REVIEW = (
    "INSERT INTO {table} (card_id, learner_id, rating, state_before, reviewed_at, duration_ms,"
    " stability_after, difficulty_after, due_after, token)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (token) DO NOTHING RETURNING id"
)


def _insert_review(card, learner, rating, token, duration_ms, outcome, now) -> bool:
    """Insert the review unless its token was used; one statement on both databases."""
    from django.db import connection

    fields = ReviewLog._meta
    values = [
        card.pk, learner.pk, rating, card.state,
        fields.get_field("reviewed_at").get_db_prep_value(now, connection),
        duration_ms, outcome.stability, outcome.difficulty,
        fields.get_field("due_after").get_db_prep_value(outcome.due, connection),
        token,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_REVIEW.format(table=fields.db_table), values)
        return cursor.fetchone() is not None
