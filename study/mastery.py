"""Mastery per learner, per course and per topic, from the evidence that exists:

- flashcards: the summed probability of recalling each of the deck's items now (FSRS
  retrievability; an item never studied counts 0), over the number of items: how much of the
  topic's bank the learner would recall today;
- quizzes: the share of right answers in finished attempts (assessments' TopicResult);
- labs: the mean of the best graded score of each lab attempted.

The score is the weighted mean of the parts that have evidence (flashcards 0.5, quizzes 0.3,
labs 0.2, re-weighted over those present); None where there is no evidence at all. Computed for
every course and topic of a learner in a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max, Sum
from django.utils import timezone

from assessments.models import TicketTheoryQuestion, TopicResult
from courses.models import Course, QAItem, Topic
from grading.models import Submission
from labs.models import Lab
from study import scheduling
from study.models import Card

WEIGHTS = {"flashcards": 0.5, "quizzes": 0.3, "labs": 0.2}
LEVELS = 5  # colour buckets of the charts and mind maps: 0..4


@dataclass
class Mastery:
    """One course, or one topic of a course."""

    topic: Topic | None
    items: int = 0
    studied: int = 0  # items with a rated card
    recall: float = 0.0  # summed retrievability
    quiz_right: int = 0
    quiz_total: int = 0
    lab_scores: list[float] = field(default_factory=list)

    @property
    def flashcards(self) -> float | None:
        return self.recall / self.items if self.studied and self.items else None

    @property
    def quizzes(self) -> float | None:
        return self.quiz_right / self.quiz_total if self.quiz_total else None

    @property
    def labs(self) -> float | None:
        return sum(self.lab_scores) / len(self.lab_scores) if self.lab_scores else None

    @property
    def score(self) -> float | None:
        parts = {name: getattr(self, name) for name in WEIGHTS}
        present = {name: value for name, value in parts.items() if value is not None}
        if not present:
            return None
        weight = sum(WEIGHTS[name] for name in present)
        return sum(WEIGHTS[name] * value for name, value in present.items()) / weight

    @property
    def percent(self) -> int | None:
        score = self.score
        return None if score is None else round(100 * score)

    @property
    def level(self) -> int | None:
        score = self.score
        return None if score is None else min(LEVELS - 1, int(score * LEVELS))


@dataclass
class CourseMastery:
    course: Course
    overall: Mastery
    topics: list[Mastery]  # in the taxonomy's order, topics with items or evidence only

    def by_slug(self) -> dict[str, Mastery]:
        return {m.topic.slug: m for m in self.topics if m.topic is not None}


def learner_mastery(
    learner: AbstractBaseUser, courses: list[Course], *, now: datetime | None = None
) -> list[CourseMastery]:
    now = now or timezone.now()
    course_ids = [course.pk for course in courses]
    topics = {topic.pk: topic for topic in Topic.objects.all()}

    # Which topics each study item of each course has (the deck's items).
    qa_topics: dict[tuple[int, int], set[int]] = defaultdict(set)
    for item_id, course_id, topic_id in (
        QAItem.objects.live()
        .filter(collection__courses__in=course_ids, collection__retired_at__isnull=True)
        .values_list("id", "collection__courses", "topics")
    ):
        entry = qa_topics[course_id, item_id]  # an item without topics still counts
        if topic_id:
            entry.add(topic_id)
    theory_topics: dict[tuple[int, int], set[int]] = defaultdict(set)
    for question_id, course_id, topic_id in (
        TicketTheoryQuestion.objects.live()
        .filter(ticket__course__in=course_ids, ticket__retired_at__isnull=True)
        .values_list("id", "ticket__course", "topics")
    ):
        entry = theory_topics[course_id, question_id]
        if topic_id:
            entry.add(topic_id)

    result: dict[int, dict[int | None, Mastery]] = {
        course_id: {None: Mastery(topic=None)} for course_id in course_ids
    }

    def cell(course_id: int, topic_id: int | None) -> Mastery:
        row = result[course_id]
        if topic_id not in row:
            row[topic_id] = Mastery(topic=topics.get(topic_id))
        return row[topic_id]

    for (course_id, _item), topic_ids in [*qa_topics.items(), *theory_topics.items()]:
        for topic_id in [None, *topic_ids]:
            cell(course_id, topic_id).items += 1

    cards = Card.objects.filter(learner=learner, course__in=course_ids).exclude(
        state=Card.State.NEW
    )
    for card in cards.only(
        "id", "course_id", "qa_item_id", "theory_question_id", "state", "step", "stability",
        "difficulty", "due", "last_review",
    ):  # fmt: skip
        if card.qa_item_id:
            topic_ids = qa_topics.get((card.course_id, card.qa_item_id))
        else:
            topic_ids = theory_topics.get((card.course_id, card.theory_question_id))
        if topic_ids is None:  # the item left the course
            continue
        recall = scheduling.retrievability(card, now)
        for topic_id in [None, *topic_ids]:
            entry = cell(card.course_id, topic_id)
            entry.studied += 1
            entry.recall += recall

    for course_id, topic_id, right, total in (
        TopicResult.objects.filter(learner=learner, course__in=course_ids)
        .values("course", "topic")
        .annotate(right=Sum("correct"), total=Sum("total"))
        .values_list("course", "topic", "right", "total")
    ):
        for key in (None, topic_id):
            entry = cell(course_id, key)
            entry.quiz_right += right or 0
            entry.quiz_total += total or 0

    best = dict(
        Submission.objects.filter(
            learner=learner, status=Submission.Status.DONE, lab__course__in=course_ids
        )
        .values("lab")
        .annotate(best=Max("score"))
        .values_list("lab", "best")
    )
    lab_topics: dict[int, set[int]] = defaultdict(set)
    for lab_id, topic_id in Lab.topics.through.objects.filter(lab_id__in=best).values_list(
        "lab_id", "topic_id"
    ):
        lab_topics[lab_id].add(topic_id)
    for lab_id, course_id in Lab.objects.filter(pk__in=best).values_list("id", "course_id"):
        for key in (None, *lab_topics[lab_id]):
            cell(course_id, key).lab_scores.append(best[lab_id] or 0.0)

    ordered = []
    for course in courses:
        row = result[course.pk]
        topic_rows = sorted(
            (m for key, m in row.items() if key is not None and m.topic is not None),
            key=lambda m: (m.topic.position, m.topic.slug),
        )
        ordered.append(CourseMastery(course=course, overall=row[None], topics=topic_rows))
    return ordered


@cache
def _topic_rules():
    from seeds.tagging import load_topic_rules

    return load_topic_rules()


def colour_mind_map(learner: AbstractBaseUser, course: Course, root, *, now=None) -> bool:
    """Set `mastery_level` (0..4, or None without evidence) on every node of a laid-out mind map
    (courses.mindmap_layout): the mean mastery of the topics its label names, or else its
    parent's. Returns whether any node has a level."""
    from seeds.tagging import fallback_rule, topics_for

    rules = _topic_rules()
    fallback = fallback_rule(rules).slug
    by_slug = learner_mastery(learner, [course], now=now)[0].by_slug()
    coloured = False

    def visit(node, inherited: int | None) -> None:
        nonlocal coloured
        slugs = [slug for slug in topics_for(node.label, rules) if slug != fallback]
        scores = [by_slug[s].score for s in slugs if s in by_slug and by_slug[s].score is not None]
        if scores:
            level = min(LEVELS - 1, int(sum(scores) / len(scores) * LEVELS))
        else:
            level = inherited if not slugs else None
        node.mastery_level = level
        coloured = coloured or level is not None
        for child in node.children:
            visit(child, level)

    visit(root, None)
    return coloured
