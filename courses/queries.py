"""The querysets behind the learner-facing course pages: live rows only, with their relations
fetched in a fixed number of queries whatever the size of the course.

Labs and quizzes belong to apps that depend on this one, so they are reached through their
reverse relations (`course.labs`, `course.quizzes`) rather than by importing their models.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import caches
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from courses import search
from courses.models import (
    CaseStudy,
    Course,
    LearningFormat,
    LiteratureEntry,
    MindMap,
    Outcome,
    QACollection,
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


def get_live_course_cached(slug: str) -> Course:
    """A live course's id, slug and title (an unsaved-looking instance, enough for URLs and
    headings), kept for a minute: the hot pages need no query to know the course exists."""
    key = f"courses:course:{slug[:60]}"
    fields = caches[CONTENT_CACHE].get(key)
    if fields is None:
        course = get_live_course(slug)
        fields = (course.pk, course.slug, course.title)
        caches[CONTENT_CACHE].set(key, fields, CONTENT_CACHE_S)
    pk, slug, title = fields
    return Course(pk=pk, slug=slug, title=title)


def live_courses() -> list[Course]:
    return list(Course.objects.live().only("slug", "title").order_by("title"))


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


# Course content changes only when the seeds are imported again (and quizzes or labs are
# published): pages built from it are kept this long, in each web process's own cache
# (CACHES["local"]): the same for every visitor, and cheaper than a round trip to Redis.
CONTENT_CACHE_S = 60
CONTENT_CACHE = "local"


def course_syllabus(slug: str) -> Course:
    """`load_course_syllabus`, kept for a minute in the cache: the syllabus page is the most
    visited page and its dozen queries would repeat for every visitor."""
    key = f"courses:syllabus:{slug[:60]}"
    course = caches[CONTENT_CACHE].get(key)
    if course is None:
        course = load_course_syllabus(slug)
        caches[CONTENT_CACHE].set(key, course, CONTENT_CACHE_S)
    return course


def load_course_syllabus(slug: str) -> Course:
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
QUERY_MAX_LENGTH = 200


@dataclass(frozen=True)
class QAFilter:
    topic: str = ""  # a Topic slug, or "" for every topic
    query: str = ""  # what the learner typed in the search box
    source: int | None = None  # a QACollection id, or None for every collection

    @classmethod
    def from_params(cls, params) -> QAFilter:
        source = params.get("source", "").strip()
        return cls(
            topic=params.get("topic", "").strip()[:50],
            query=" ".join(params.get("q", "")[: QUERY_MAX_LENGTH * 4].split())[:QUERY_MAX_LENGTH],
            source=int(source) if source.isdigit() and len(source) < 12 else None,
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


def qa_sources(course: Course) -> list[QACollection]:
    """The live collections that feed the course, each with `item_count`."""
    return list(
        QACollection.objects.live()
        .filter(courses=course)
        .annotate(
            item_count=Count("items", filter=Q(items__retired_at__isnull=True), distinct=True)
        )
        .only("id", "title")
        .order_by("title")
    )


@dataclass
class QAResults:
    """One page of the bank as filtered: `page.object_list` holds ready-to-show items."""

    page: Page
    terms: search.SearchTerms
    partial: bool = False  # no item has every word; items with any of them are listed


def _filtered_items(course: Course, qa_filter: QAFilter) -> QuerySet[QAItem]:
    items = course_qa_items(course)
    if qa_filter.topic:
        items = items.filter(topics__slug=qa_filter.topic)
    if qa_filter.source is not None:
        items = items.filter(collection_id=qa_filter.source)
    return items


def _ready_to_show(course: Course, items: QuerySet[QAItem]) -> QuerySet[QAItem]:
    """Items with their collection joined, topics and the course's own see-also items
    prefetched (two queries whatever the number of items)."""
    see_also = (
        course_qa_items(course)
        .select_related("collection")
        .only("id", "question", "collection__title")
        .order_by("collection__title", "position")
    )
    return items.select_related("collection").prefetch_related(
        Prefetch("topics", Topic.objects.order_by("position", "slug")),
        Prefetch("see_also", see_also, to_attr="course_see_also"),
    )


def qa_results(course: Course, qa_filter: QAFilter, page_number: str | None) -> QAResults:
    """The page of the course's bank that the filter asks for.

    Without words to search, the bank in its order (collection, then position), paginated in
    the database. With words, `courses.search` ranks the ids of every match (one query), a page
    of them is taken, and that page's rows are fetched and put back in rank order."""
    terms = search.parse_query(qa_filter.query)
    items = _filtered_items(course, qa_filter)
    if not terms:
        ordered = _ready_to_show(course, items).order_by("collection__title", "position")
        return QAResults(Paginator(ordered, QA_PAGE_SIZE).get_page(page_number), terms)
    key = (
        "courses:search:"
        + hashlib.sha256(
            repr((course.pk, qa_filter.topic, qa_filter.source, terms.concepts)).encode()
        ).hexdigest()
    )
    found = caches[CONTENT_CACHE].get(key)
    if found is None:  # the ranking changes only with the bank: kept for a minute
        found = search.ranked_ids(items, terms)
        caches[CONTENT_CACHE].set(key, found, CONTENT_CACHE_S)
    page = Paginator(found.ids, QA_PAGE_SIZE).get_page(page_number)
    # Fetched through the filter again: an item retired since the ranking was cached drops out.
    rows = {item.pk: item for item in _ready_to_show(course, items.filter(pk__in=page))}
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    return QAResults(page, terms, partial=found.partial)


def get_course_qa_item(course: Course, item_id: int) -> QAItem:
    return get_object_or_404(_ready_to_show(course, course_qa_items(course)), pk=item_id)


# --- The course's reading material ----------------------------------------------------------


# The seeds' title of a case's task section (seed vocabulary, like the parsers' headings):
# the sections up to it set the problem, the ones after it solve it.
CASE_TASK_TITLE = "задача"


def get_case(course: Course, number: int) -> CaseStudy:
    return get_object_or_404(CaseStudy.objects.live(), course=course, number=number)


def split_case(case: CaseStudy) -> tuple[list[dict], list[dict]]:
    """(the sections that set the task, the sections that solve it). A case without a task
    section hides nothing."""
    titles = [search.fold(section.get("title", "")).strip() for section in case.sections]
    for index, title in enumerate(titles):
        if title.startswith(CASE_TASK_TITLE):
            return case.sections[: index + 1], case.sections[index + 1 :]
    return case.sections, []


def get_roleplay(course: Course, number: int) -> RolePlay:
    return get_object_or_404(RolePlay.objects.live(), course=course, number=number)


def get_mindmap(course: Course, number: int) -> MindMap:
    return get_object_or_404(MindMap.objects.live(), course=course, number=number)


def reading_list(course: Course) -> tuple[list[LiteratureEntry], list[RelatedCourse]]:
    literature = list(LiteratureEntry.objects.live().filter(course=course).order_by("position"))
    related = list(RelatedCourse.objects.live().filter(course=course).order_by("position"))
    return literature, related
