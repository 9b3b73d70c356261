"""FSRS scheduling of a card, and the learner's day.

The `fsrs` package does the arithmetic (Scheduler, Card, Rating, ReviewLog); this module turns
our rows into its cards and back. Fuzzing is off so that the interval a button shows is the one
the rating gives.

A card in review (intervals of a day or more) is due for the whole local day it falls on, as in
Anki: the learner's day is midnight to midnight in their time zone. Learning and relearning
cards (steps of minutes) are due at their exact time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import fsrs
from django.db.models import Q
from django.utils.translation import ngettext

from study.models import Card

SCHEDULER = fsrs.Scheduler(enable_fuzzing=False)
RATINGS = (fsrs.Rating.Again, fsrs.Rating.Hard, fsrs.Rating.Good, fsrs.Rating.Easy)


def day_bounds(time_zone: str, now: datetime) -> tuple[datetime, datetime]:
    """The start and end (exclusive) of the learner's current day, as aware datetimes."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    # Midnight of the next calendar day, computed in local terms across DST changes.
    end = (start + timedelta(days=1, hours=3)).replace(hour=0, tzinfo=None).replace(tzinfo=zone)
    return start, end


def due_q(now: datetime, day_end: datetime, prefix: str = "") -> Q:
    """Cards due now: learning steps by the minute, reviews for their whole local day."""
    learning = (Card.State.LEARNING, Card.State.RELEARNING)
    return Q(**{f"{prefix}state__in": learning, f"{prefix}due__lte": now}) | Q(
        **{f"{prefix}state": Card.State.REVIEW, f"{prefix}due__lt": day_end}
    )


def is_due(card: Card, now: datetime, day_end: datetime) -> bool:
    if card.state == Card.State.NEW:
        return True
    if card.state == Card.State.REVIEW:
        return card.due < day_end
    return card.due <= now


def to_fsrs(card: Card) -> fsrs.Card:
    if card.state == Card.State.NEW:
        return fsrs.Card(card_id=card.pk, due=card.due)
    return fsrs.Card(
        card_id=card.pk,
        state=fsrs.State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


@dataclass(frozen=True)
class Outcome:
    """What one rating does to a card."""

    state: int
    step: int | None
    stability: float
    difficulty: float
    due: datetime
    lapse: bool


def review(card: Card, rating: int, now: datetime) -> Outcome:
    rated, _log = SCHEDULER.review_card(to_fsrs(card), fsrs.Rating(rating), review_datetime=now)
    return Outcome(
        state=int(rated.state),
        step=rated.step,
        stability=float(rated.stability),
        difficulty=float(rated.difficulty),
        due=rated.due,
        lapse=card.state == Card.State.REVIEW and rating == fsrs.Rating.Again,
    )


def preview(card: Card, now: datetime) -> list[tuple[int, timedelta]]:
    """(rating, the interval it leads to) for the four buttons."""
    base = to_fsrs(card)
    return [
        (int(rating), SCHEDULER.review_card(base, rating, review_datetime=now)[0].due - now)
        for rating in RATINGS
    ]


def retrievability(card: Card, now: datetime) -> float:
    """The probability of recalling the card now (0 for a card never rated)."""
    if card.state == Card.State.NEW or card.stability is None or card.last_review is None:
        return 0.0
    return float(SCHEDULER.get_card_retrievability(to_fsrs(card), current_datetime=now))


def format_interval(interval: timedelta) -> str:
    seconds = max(0, int(interval.total_seconds()))
    minutes = round(seconds / 60)
    if minutes < 1:
        return ngettext("%(count)d minute", "%(count)d minutes", 1) % {"count": 1}
    if minutes < 60:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = round(seconds / 3600)
    if hours < 24:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    days = round(seconds / 86400)
    if days < 31:
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    months = round(days / 30.4)
    if months < 12:
        return ngettext("%(count)d month", "%(count)d months", months) % {"count": months}
    years = round(days / 365.25)
    return ngettext("%(count)d year", "%(count)d years", years) % {"count": years}
