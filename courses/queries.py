"""The querysets behind the learner-facing course pages: live rows only, with their relations
fetched in a fixed number of queries whatever the size of the course.

Labs and quizzes belong to apps that depend on this one, so they are reached through their
reverse relations (`course.labs`, `course.quizzes`) rather than by importing their models.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from courses.models import (
    CaseStudy,
    Course,
    LearningFormat,
    LiteratureEntry,
    MindMap,
    Outcome,
    QAItem,
    RelatedCourse,
    Requirement,
    RolePlay,
    SyllabusTopic,
    Topic,
)


def get_live_course(slug: str) -> Course:
    """The one way the pages look a course up: 404 for a missing or retired one."""
    return get_object_or_404(Course.objects.live(), slug=slug)


def _open_quizzes(prefix: str = "quizzes__") -> Q:
    """Quizzes a learner can take now, as assessments' quiz home lists them."""
    now = timezone.now()
    return Q(**{f"{prefix}is_published": True}) & (
        Q(**{f"{prefix}closes_at__isnull": True}) | Q(**{f"{prefix}closes_at__gt": now})
    )


def courses_with_counts() -> list[Course]:
    """Live courses with `qa_count`, `quiz_count` and `lab_count`, in three queries.

    One query per count: counting three to-many relations in one query would multiply their
    rows (items x quizzes x labs) before `distinct` brings the numbers back down."""
    courses = list(Course.objects.live().only("slug", "title", "description").order_by("title"))
    ids = [course.pk for course in courses]
    qa = dict(
        Course.objects.filter(pk__in=ids)
        .annotate(
            n=Count(
                "qa_collections__items",
                filter=Q(
                    qa_collections__retired_at__isnull=True,
                    qa_collections__items__retired_at__isnull=True,
                ),
            )
        )
        .values_list("pk", "n")
    )
    quizzes = dict(
        Course.objects.filter(pk__in=ids)
        .annotate(n=Count("quizzes", filter=_open_quizzes()))
        .values_list("pk", "n")
    )
    labs = dict(
        Course.objects.filter(pk__in=ids)
        .annotate(n=Count("labs", filter=Q(labs__retired_at__isnull=True)))
        .values_list("pk", "n")
    )
    for course in courses:
        course.qa_count = qa.get(course.pk, 0)
        course.quiz_count = quizzes.get(course.pk, 0)
        course.lab_count = labs.get(course.pk, 0)
    return courses


def course_syllabus(slug: str) -> Course:
    """A course with its syllabus and the tables of contents of its sections.

    The parts come through `Prefetch(..., to_attr=...)` so each is one query of live rows; the
    long JSON bodies of cases, role-plays and mind maps are left out (`only`)."""

    def live(model, *fields: str):
        queryset = model.objects.live().order_by("position")
        return queryset.only("course_id", *fields) if fields else queryset

    course = get_object_or_404(
        Course.objects.live().prefetch_related(
            Prefetch("syllabus_topics", live(SyllabusTopic), to_attr="live_topics"),
            Prefetch("outcomes", live(Outcome), to_attr="live_outcomes"),
            Prefetch("requirements", live(Requirement), to_attr="live_requirements"),
            Prefetch("formats", live(LearningFormat), to_attr="live_formats"),
            Prefetch("cases", live(CaseStudy, "number", "title"), to_attr="live_cases"),
            Prefetch("roleplays", live(RolePlay, "number", "title"), to_attr="live_roleplays"),
            Prefetch("mindmaps", live(MindMap, "number", "title"), to_attr="live_mindmaps"),
        ),
        slug=slug,
    )
    course.outcome_groups = [
        (label, [o for o in course.live_outcomes if o.category == value])
        for value, label in Outcome.Category.choices
    ]
    counts = (
        Course.objects.filter(pk=course.pk)
        .annotate(
            literature_count=Count(
                "literature", filter=Q(literature__retired_at__isnull=True), distinct=True
            ),
            related_count=Count(
                "related_courses", filter=Q(related_courses__retired_at__isnull=True), distinct=True
            ),
        )
        .values("literature_count", "related_count")
        .get()
    )
    course.literature_count = counts["literature_count"]
    course.related_count = counts["related_count"]
    course.qa_count = course_qa_items(course).count()
    course.live_labs = list(
        course.labs.filter(retired_at__isnull=True)
        .only("slug", "title", "ticket_number", "course_id")
        .order_by("ticket_number", "slug")
    )
    course.quiz_count = course.quizzes.filter(_open_quizzes(prefix="")).count()
    return course


# --- The Q&A bank ------------------------------------------------------------------------------

QA_PAGE_SIZE = 20


@dataclass(frozen=True)
class QAFilter:
    topic: str = ""  # a Topic slug, or "" for every topic
    query: str = ""  # what the learner typed in the search box

    @classmethod
    def from_params(cls, params) -> QAFilter:
        return cls(
            topic=params.get("topic", "").strip()[:50],
            query=" ".join(params.get("q", "").split())[:200],
        )


def course_qa_items(course: Course) -> QuerySet[QAItem]:
    """Live items of the live collections that feed the course (a collection feeds a course at
    most once, so the join through the M2M repeats no item)."""
    return QAItem.objects.live().filter(
        collection__courses=course, collection__retired_at__isnull=True
    )


def qa_topics(course: Course) -> list[Topic]:
    """The topics the course's items are tagged with, each with `item_count`."""
    return list(
        Topic.objects.filter(
            qa_items__collection__courses=course,
            qa_items__collection__retired_at__isnull=True,
            qa_items__retired_at__isnull=True,
        )
        .annotate(item_count=Count("qa_items", distinct=True))
        .order_by("position", "slug")
    )


def search_qa_items(course: Course, qa_filter: QAFilter) -> QuerySet[QAItem]:
    """The course's items that match the filter, ready to show: collection joined, topics and
    the course's own see-also items prefetched (two queries per page).

    On PostgreSQL the search box is Russian full-text search (so "нейронная сеть" finds
    "нейронных сетей"), ranked; a plain substring match is kept beside it for what the
    stemmer does not split, like parts of "PyTorch" or "ONNX". Elsewhere it is the substring
    match alone."""
    items = course_qa_items(course)
    if qa_filter.topic:
        items = items.filter(topics__slug=qa_filter.topic)
    ordering: list = ["collection__title", "position"]
    if qa_filter.query:
        substring = Q(question__icontains=qa_filter.query) | Q(answer__icontains=qa_filter.query)
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

            vector = SearchVector("question", weight="A", config="russian") + SearchVector(
                "answer", weight="B", config="russian"
            )
            query = SearchQuery(qa_filter.query, config="russian", search_type="websearch")
            items = items.annotate(document=vector, rank=SearchRank(vector, query)).filter(
                Q(document=query) | substring
            )
            ordering = ["-rank", *ordering]
        else:
            items = items.filter(substring)
    see_also = (
        course_qa_items(course)
        .select_related("collection")
        .only("id", "question", "collection__title")
        .order_by("collection__title", "position")
    )
    return (
        items.select_related("collection")
        .prefetch_related(
            Prefetch("topics", Topic.objects.order_by("position", "slug")),
            Prefetch("see_also", see_also, to_attr="course_see_also"),
        )
        .order_by(*ordering)
    )


def get_course_qa_item(course: Course, item_id: int) -> QAItem:
    return get_object_or_404(search_qa_items(course, QAFilter()), pk=item_id)


# --- The course's reading material ----------------------------------------------------------


def get_case(course: Course, number: int) -> CaseStudy:
    return get_object_or_404(CaseStudy.objects.live(), course=course, number=number)


def get_roleplay(course: Course, number: int) -> RolePlay:
    return get_object_or_404(RolePlay.objects.live(), course=course, number=number)


def get_mindmap(course: Course, number: int) -> MindMap:
    return get_object_or_404(MindMap.objects.live(), course=course, number=number)


def reading_list(course: Course) -> tuple[list[LiteratureEntry], list[RelatedCourse]]:
    literature = list(LiteratureEntry.objects.live().filter(course=course).order_by("position"))
    related = list(RelatedCourse.objects.live().filter(course=course).order_by("position"))
    return literature, related
