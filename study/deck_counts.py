"""How many cards every deck of a learner has for today (the dashboard): new (within the daily
cap), in learning, to review, in a fixed number of queries whatever the size of the bank. One
deck's counts come with its next card, in the same query (`services.review_queue`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from assessments.models import TicketTheoryQuestion
from courses.models import Course, QAItem, Topic
from study import scheduling
from study.decks import DeckCounts
from study.models import Card, StudySettings


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
        per_course[course.pk].apply_cap(left_today)
        topic_rows = []
        for topic_id, counts in per_topic[course.pk].items():
            counts.apply_cap(left_today)
            topic_rows.append((topics[topic_id], counts))
        topic_rows.sort(key=lambda row: (row[0].position, row[0].slug))
        result.append(CourseDecks(course, per_course[course.pk], topic_rows))
    return result
