"""How many cards each deck has for today: new (within the daily cap), in learning, to review.
For every deck of a learner at once (the dashboard) or one deck (the review page), each in a
fixed number of queries whatever the size of the bank."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Count, Q

from assessments.models import TicketTheoryQuestion
from courses.models import Course, QAItem, Topic
from study import scheduling
from study.models import Card, StudySettings
from study.services import Deck, deck_cards, deck_qa_items, deck_theory_questions


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


@dataclass
class CourseDecks:
    course: Course
    counts: DeckCounts
    topics: list[tuple[Topic, DeckCounts]] = field(default_factory=list)


def _count_card(counts: DeckCounts, state: int, due: datetime, evidence: str, now, day_end):
    if state == Card.State.NEW:
        if evidence:
            counts.forwarded += 1
        return
    counts.unseen -= 1
    if state == Card.State.REVIEW:
        counts.review += due < day_end
    else:
        counts.learning += due <= now


def _apply_cap(counts: DeckCounts, left_today: int) -> None:
    counts.new = counts.forwarded + min(left_today, max(0, counts.unseen - counts.forwarded))


def all_decks(
    learner: AbstractBaseUser,
    courses: list[Course],
    settings: StudySettings,
    left_today: int,
    now: datetime,
) -> list[CourseDecks]:
    _start, day_end = scheduling.day_bounds(settings.time_zone, now)
    course_ids = [course.pk for course in courses]
    topics = {topic.pk: topic for topic in Topic.objects.all()}
    qa: dict[tuple[int, int], set[int]] = defaultdict(set)
    for item_id, course_id, topic_id in (
        QAItem.objects.live()
        .filter(collection__courses__in=course_ids, collection__retired_at__isnull=True)
        .values_list("id", "collection__courses", "topics")
    ):
        entry = qa[course_id, item_id]
        if topic_id:
            entry.add(topic_id)
    theory: dict[tuple[int, int], set[int]] = defaultdict(set)
    for question_id, course_id, topic_id in (
        TicketTheoryQuestion.objects.live()
        .filter(ticket__course__in=course_ids, ticket__retired_at__isnull=True)
        .values_list("id", "ticket__course", "topics")
    ):
        entry = theory[course_id, question_id]
        if topic_id:
            entry.add(topic_id)
    per_course = {course_id: DeckCounts() for course_id in course_ids}
    per_topic: dict[int, dict[int, DeckCounts]] = {course_id: {} for course_id in course_ids}
    for (course_id, _item), topic_ids in [*qa.items(), *theory.items()]:
        per_course[course_id].unseen += 1
        for topic_id in topic_ids:
            per_topic[course_id].setdefault(topic_id, DeckCounts()).unseen += 1
    for course_id, qa_id, theory_id, state, due, evidence in Card.objects.filter(
        learner=learner, course__in=course_ids
    ).values_list("course", "qa_item", "theory_question", "state", "due", "evidence"):
        topic_ids = qa.get((course_id, qa_id)) if qa_id else theory.get((course_id, theory_id))
        if topic_ids is None:  # the item left the course
            continue
        _count_card(per_course[course_id], state, due, evidence, now, day_end)
        for topic_id in topic_ids:
            _count_card(per_topic[course_id][topic_id], state, due, evidence, now, day_end)
    result = []
    for course in courses:
        _apply_cap(per_course[course.pk], left_today)
        topic_rows = []
        for topic_id, counts in per_topic[course.pk].items():
            _apply_cap(counts, left_today)
            topic_rows.append((topics[topic_id], counts))
        topic_rows.sort(key=lambda row: (row[0].position, row[0].slug))
        result.append(CourseDecks(course, per_course[course.pk], topic_rows))
    return result


ITEM_COUNT_TTL_S = 60


def deck_size(deck: Deck) -> int:
    """How many study items the deck has. Cached for a minute: it changes only when the seeds
    are imported again, and the review page asks for it after every rating."""
    key = f"study:deck-size:{deck.course.pk}:{deck.topic_slug}"
    size = cache.get(key)
    if size is None:
        size = deck_qa_items(deck).count() + deck_theory_questions(deck).count()
        cache.set(key, size, ITEM_COUNT_TTL_S)
    return size


def one_deck(
    learner: AbstractBaseUser, deck: Deck, settings: StudySettings, left_today: int, now: datetime
) -> DeckCounts:
    """The counts of one deck in one query (and the cached size of the deck)."""
    _start, day_end = scheduling.day_bounds(settings.time_zone, now)
    learning = (Card.State.LEARNING, Card.State.RELEARNING)
    totals = deck_cards(learner, deck).aggregate(
        learning=Count("id", filter=Q(state__in=learning, due__lte=now)),
        review=Count("id", filter=Q(state=Card.State.REVIEW, due__lt=day_end)),
        rated=Count("id", filter=~Q(state=Card.State.NEW)),
        forwarded=Count("id", filter=Q(state=Card.State.NEW) & ~Q(evidence="")),
    )
    counts = DeckCounts(
        learning=totals["learning"],
        review=totals["review"],
        unseen=max(0, deck_size(deck) - totals["rated"]),
        forwarded=totals["forwarded"],
    )
    _apply_cap(counts, left_today)
    return counts
