"""Learner-facing course pages.

The syllabus and the course's reading material (cases, role-play games, mind maps, literature)
are public: they are what a visitor looks at to choose a course. The Q&A bank is study
material for signed-in learners. Exam tickets and their reference answers never appear here.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django_htmx.http import HttpResponseClientRedirect

from accounts.access import STAFF_ROLES, login_required, public
from accounts.roles import has_role
from courses import queries
from courses.mindmap_layout import layout_mind_map


@public
def course_list(request: HttpRequest) -> HttpResponse:
    return render(request, "courses/course_list.html", {"courses": queries.courses_with_counts()})


@public
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    heading = queries.get_live_course_cached(slug)
    # The syllabus is loaded only when its cached fragment has expired (see the template).
    course = SimpleLazyObject(lambda: queries.course_syllabus(slug))
    return render(request, "courses/course_detail.html", {"course": course, "heading": heading})


@login_required
def qa_bank(request: HttpRequest, slug: str) -> HttpResponse:
    """The course's questions, filtered by course, topic, source and a search box that
    understands Russian (courses/search.py); htmx swaps the results."""
    course = queries.get_live_course_cached(slug)
    qa_filter = queries.QAFilter.from_params(request.GET)
    other = request.GET.get("course", "").strip()
    if other and other != course.slug:
        # The course selector of the filter form: the same filter in another course's bank.
        target = queries.get_live_course(other[:50])
        url = reverse("course_qa_bank", args=[target.slug])
        query = _filter_querystring(queries.QAFilter(query=qa_filter.query))
        url = f"{url}?{query}" if query else url
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx and request.htmx.target == "qa-results":
        response = HttpResponse(_results_fragment(request, course, qa_filter))
    else:
        results = queries.qa_results(course, qa_filter, request.GET.get("page"))
        context = {
            "course": course,
            "qa_filter": qa_filter,
            "page": results.page,
            "terms": results.terms,
            "partial": results.partial,
            "querystring": _filter_querystring(qa_filter),
            "topics": queries.qa_topics(course),
            "sources": queries.qa_sources(course),
            "courses": queries.live_courses(),
        }
        response = render(request, "courses/qa_bank.html", context)
    # The same URL answers a whole page or the results alone: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
def qa_item(request: HttpRequest, slug: str, item_id: int) -> HttpResponse:
    course = queries.get_live_course(slug)
    item = queries.get_course_qa_item(course, item_id)
    return render(request, "courses/qa_item.html", {"course": course, "item": item})


@public
def case_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    course = queries.get_live_course(slug)
    case = queries.get_case(course, number)
    task, solution = queries.split_case(case)
    context = {
        "course": course,
        "case": case,
        "task": task,
        "solution": solution,
        # The solution is sent only when asked for, after the task has been read.
        "show_solution": request.GET.get("solution") == "1",
    }
    if request.htmx and context["show_solution"]:
        return render(request, "courses/case_detail.html#case-solution", context)
    return render(request, "courses/case_detail.html", context)


@public
def roleplay_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    course = queries.get_live_course(slug)
    roleplay = queries.get_roleplay(course, number)
    return render(request, "courses/roleplay_detail.html", {"course": course, "roleplay": roleplay})


@public
def mindmap_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    course = queries.get_live_course(slug)
    mindmap = queries.get_mindmap(course, number)
    layout = layout_mind_map(mindmap.tree)
    learner = _mastery_learner(request)
    coloured = False
    if learner is not None:
        # The one place the course pages call into the study app: the map coloured by the
        # learner's mastery of each node's topic (study depends on courses, not the reverse,
        # so the import stays here, inside the view).
        from study.mastery import colour_mind_map

        coloured = colour_mind_map(learner, course, layout.root)
    context = {
        "course": course,
        "mindmap": mindmap,
        "layout": layout,
        "mastery_learner": learner,
        "coloured": learner is not None,
        "any_mastery": coloured,
    }
    return render(request, "courses/mindmap_detail.html", context)


def _mastery_learner(request: HttpRequest):
    """Whose mastery colours a mind map: the signed-in user's own, or, for staff, the learner
    named by `?learner=`; nobody's for visitors."""
    if not request.user.is_authenticated:
        return None
    learner_id = request.GET.get("learner", "")
    if learner_id.isdigit() and has_role(request.user, *STAFF_ROLES):
        from study.access import get_learner_for_staff

        return get_learner_for_staff(int(learner_id))
    return request.user


@public
def reading(request: HttpRequest, slug: str) -> HttpResponse:
    course = queries.get_live_course(slug)
    literature, related = queries.reading_list(course)
    context = {"course": course, "literature": literature, "related": related}
    return render(request, "courses/reading.html", context)


def _results_fragment(request: HttpRequest, course, qa_filter: queries.QAFilter) -> str:
    """The results alone, as the search box asks for them while the learner types: the same
    for every learner (staff see sources too), so the HTML is kept for a minute."""
    staff = has_role(request.user, *STAFF_ROLES)
    page_number = request.GET.get("page", "")[:10]
    key = (
        "courses:qa-results:"
        + hashlib.sha256(
            repr((course.pk, qa_filter, page_number, staff, get_language())).encode()
        ).hexdigest()
    )
    html = caches[queries.CONTENT_CACHE].get(key)
    if html is None:
        results = queries.qa_results(course, qa_filter, page_number)
        context = {
            "course": course,
            "qa_filter": qa_filter,
            "page": results.page,
            "terms": results.terms,
            "partial": results.partial,
            "querystring": _filter_querystring(qa_filter),
        }
        html = render_to_string("courses/qa_bank.html#qa-results", context, request)
        caches[queries.CONTENT_CACHE].set(key, html, queries.CONTENT_CACHE_S)
    return html


def _filter_querystring(qa_filter: queries.QAFilter) -> str:
    """The filter as a query string for pagination links ("" when there is none)."""
    params = {"topic": qa_filter.topic, "source": qa_filter.source or "", "q": qa_filter.query}
    return urlencode({k: v for k, v in params.items() if v})
