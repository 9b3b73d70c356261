"""Decks: a course's study items (its live Q&A items, then its tickets' theory questions),
optionally one topic's, and how many cards a deck has for today."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import caches
from django.db.models import QuerySet

from assessments.models import TicketTheoryQuestion
from courses.models import Course, QAItem
from courses.queries import CONTENT_CACHE, course_qa_items


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


ITEMS_TTL_S = 60


@dataclass(frozen=True)
class DeckItems:
    """The ids of a deck's live study items."""

    qa_ids: tuple[int, ...]
    theory_ids: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.qa_ids) + len(self.theory_ids)


def deck_items(deck: Deck) -> DeckItems:
    """The deck's live items. Cached for a minute in each process: they change only when the
    seeds are imported again or a ticket is edited, and the review page asks after every
    rating. A learner's cards of items that left the deck stay in the database (with their
    reviews) but are not shown."""
    key = f"study:deck-items:{deck.course.pk}:{deck.topic_slug}"
    items = caches[CONTENT_CACHE].get(key)
    if items is None:
        items = DeckItems(
            tuple(deck_qa_items(deck).order_by().values_list("id", flat=True)),
            tuple(deck_theory_questions(deck).order_by().values_list("id", flat=True)),
        )
        caches[CONTENT_CACHE].set(key, items, ITEMS_TTL_S)
    return items


@dataclass
class DeckCounts:
    new: int = 0  # new cards available today (daily cap applied)
    learning: int = 0  # learning and relearning steps due now
    review: int = 0  # reviews due today
    unseen: int = 0  # items never rated
    forwarded: int = 0  # new cards brought forward by evidence (not capped)

    @property
    def due(self) -> int:
        return self.learning + self.review

    @property
    def total(self) -> int:
        return self.new + self.due

    def apply_cap(self, left_today: int) -> None:
        """New cards for today: those brought forward, then unseen ones up to the cap."""
        self.new = self.forwarded + min(left_today, max(0, self.unseen - self.forwarded))
