"""A populated site and the pages each persona reaches on it, found from the URL resolver.

`build_site()` imports the four seeds and the lab catalogue and adds what learners and
instructors make (a quiz, attempts, a graded submission, imported question drafts, an import
run). `discover_pages(user)` walks every URL pattern, the admin's included, fills its
parameters from the database and keeps the URLs that answer the user with a full HTML page:
a page another engineer adds later is walked without editing the tests.

Parameters are filled by name: the known ones below, then `<name>_id` from the model whose
name ends with `name` (the user's own rows first), admin `object_id` from the admin's model.
A parameter nothing can fill is reported by `unfillable_routes`, so a new kind of route does
not silently go unchecked.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.roles import Role
from assessments import services
from assessments.models import QuestionDraft, Quiz
from courses.models import Course, QAItem
from seeds.loader import import_parsed, parse_paths
from tests.factories import AdminFactory, InstructorFactory, LearnerFactory
from tests.seed_files import ALL_SEEDS

MAX_COMBINATIONS = 24
MAX_PAGES_PER_ROUTE = 8
# Routes of the admin that every model shares one template for: walked for one model only.
ADMIN_SHARED_VIEWS = ("add", "history", "delete")
_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass
class Site:
    learner: User
    instructor: User
    admin: User
    extra: dict[str, Any] = field(default_factory=dict)


def build_site() -> Site:
    import_parsed(parse_paths(ALL_SEEDS))
    call_command("sync_labs", stdout=io.StringIO())
    learner = LearnerFactory(username="lena")
    instructor = InstructorFactory(username="igor")
    admin = AdminFactory(username="anna")
    course = Course.objects.get(slug="deep-learning")

    quiz = Quiz.objects.create(
        course=course,
        title="Контрольная по основам",
        selection=Quiz.Selection.RANDOM,
        question_count=5,
        time_limit_minutes=20,
        attempts_allowed=0,
        is_published=True,
        created_by=instructor,
    )
    finished = services.start_quiz_attempt(learner, quiz)
    for question in finished.questions.all()[:4]:
        services.record_answer(finished.pk, question.position, question.option_order[1], 0)
    services.submit_attempt(finished.pk)
    practice = services.start_practice_attempt(learner, course, [], 3)
    services.submit_attempt(practice.pk)
    services.start_quiz_attempt(learner, quiz)  # left running

    from grading.models import Submission, TestResult
    from labs.models import Lab

    lab = Lab.objects.live().first() if hasattr(Lab.objects, "live") else Lab.objects.first()
    if lab is not None:
        submission = Submission.objects.create(
            learner=learner,
            lab=lab,
            source="print('hello')\n" + "x = 1  # a long line " + "=" * 200 + "\n",
            status=Submission.Status.DONE,
            score=0.5,
            stdout="ok " * 200,
            finished_at=timezone.now(),
        )
        for position, passed in enumerate((True, False), start=1):
            TestResult.objects.create(
                submission=submission,
                position=position,
                name=f"test_{position}",
                title=f"Проверка {position}: очень_длинное_имя_проверки_без_пробелов_" * 2,
                weight=1,
                passed=passed,
                message="" if passed else "ожидалось 0.1429, получено 0.2857 " * 4,
            )
    QuestionDraft.objects.create(
        course=course,
        source="gift:bank.gift",
        line=3,
        kind=QuestionDraft.Kind.ESSAY,
        name="deep-learning Q&A 001",
        text="Что такое dropout?",
        answer="",
        created_by=instructor,
    )
    call_command(
        "import_seeds", "--dry-run", "--no-run-code", str(ALL_SEEDS[2]), stdout=io.StringIO()
    )
    return Site(learner=learner, instructor=instructor, admin=admin)


# --- discovery ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    pattern: str  # "courses/<slug:slug>/"
    params: tuple[tuple[str, str], ...]  # (converter, name)
    callback: Any
    name: str


def routes(patterns=None, prefix: str = "") -> Iterator[Route]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            if pattern.startswith("^") or "(?P<" in pattern:
                continue  # regular expressions: the admin's catch-all, static files
            params = tuple(
                (m.group("converter") or "str", m.group("name")) for m in _PARAM.finditer(pattern)
            )
            yield Route(pattern, params, entry.callback, entry.name or "")


def _admin_model(route: Route):
    """The model of an admin route ("admin/<app_label>/<model_name>/...")."""
    admin = getattr(route.callback, "model_admin", None)
    if admin is not None:
        return admin.model
    parts = route.pattern.split("/")
    if len(parts) > 3 and parts[0] == "admin":
        try:
            return apps.get_model(parts[1], parts[2])
        except (LookupError, ValueError):
            return None
    return None


def _model_for(name: str):
    stem = name.removesuffix("_id").replace("_", "")
    matches = [m for m in apps.get_models() if m._meta.model_name.endswith(stem)]
    return min(matches, key=lambda m: len(m._meta.model_name)) if matches else None


def _own_rows(model, user: User | None):
    rows = model._default_manager.all()
    if user is None:
        return rows
    owners = [
        f.name
        for f in model._meta.get_fields()
        if getattr(f, "related_model", None) is User and f.many_to_one
    ]
    for owner in owners:
        mine = rows.filter(**{owner: user})
        if mine.exists():
            return mine
    return rows


def candidates(route: Route, name: str, converter: str, user: User | None) -> list[Any]:
    admin_model = _admin_model(route)
    if name in ("object_id", "id") and admin_model is not None:
        return list(admin_model._default_manager.order_by("pk").values_list("pk", flat=True)[:2])
    if name == "app_label":
        from django.contrib import admin as django_admin

        return sorted({m._meta.app_label for m in django_admin.site._registry})
    if name == "slug":
        from labs.models import Lab

        return list(Course.objects.live().values_list("slug", flat=True)) + list(
            Lab.objects.values_list("slug", flat=True)[:2]
        )
    if name == "number":
        return [1, 2, 3, 4]
    if name == "item_id":
        items = [
            item.pk
            for course in Course.objects.live()
            for item in QAItem.objects.live().filter(collection__courses=course).order_by("-pk")[:1]
        ]
        return list(dict.fromkeys(items))
    if name == "uidb64":
        return [urlsafe_base64_encode(force_bytes(user.pk))] if user else ["x"]
    if name == "token":
        return [default_token_generator.make_token(user)] if user else ["x"]
    if name == "user_id":
        return list(
            User.objects.filter(groups__name=Role.LEARNER.value).values_list("pk", flat=True)[:1]
        )
    model = _model_for(name) if name.endswith("_id") or converter == "int" else None
    if model is not None:
        return list(_own_rows(model, user).order_by("-pk").values_list("pk", flat=True)[:3])
    return []


def unfillable_routes(user: User) -> list[str]:
    return [
        route.pattern
        for route in routes()
        if any(not candidates(route, name, conv, user) for conv, name in route.params)
        and not _skipped(route)
    ]


def _skipped(route: Route) -> bool:
    """Routes that are not pages: files, fragments, redirects, the admin's per-model views
    that share one template (walked for one model), content-type redirects."""
    return (
        route.pattern.endswith((".xml", ".txt", ".ipynb", ".html"))
        or "/files/" in route.pattern
        or route.name in ("view_on_site", "set_language", "healthz", "logout")
        or "content_type_id" in route.pattern
        or route.name.endswith("autocomplete")
    )


def discover_pages(user: User | None, *, client: Client | None = None) -> list[str]:
    """Every URL that answers ``user`` (None: a visitor) with a full HTML page (200), a few
    objects per route."""
    client = client or Client()
    if user is not None:
        client.force_login(user)
    pages: list[str] = []
    admin_shared_done: set[str] = set()
    for route in routes():
        if _skipped(route):
            continue
        view = route.pattern.rstrip("/").rsplit("/", 1)[-1]
        is_admin_model_view = getattr(route.callback, "model_admin", None) is not None
        if is_admin_model_view and view in ADMIN_SHARED_VIEWS and view in admin_shared_done:
            continue
        values = [candidates(route, name, conv, user) for conv, name in route.params]
        found = 0
        for combination in itertools.islice(itertools.product(*values), MAX_COMBINATIONS):
            url = "/" + route.pattern
            for (_conv, name), value in zip(route.params, combination, strict=True):
                url = re.sub(rf"<(?:[^>:]+:)?{name}>", str(value), url, count=1)
            response = client.get(url)
            content_type = response.get("Content-Type", "")
            is_page = b"<html" in response.content[:1000].lower()
            if response.status_code != 200 or not content_type.startswith("text/html"):
                continue
            if not is_page:
                continue  # an htmx fragment, not a page
            pages.append(url)
            found += 1
            if is_admin_model_view and view in ADMIN_SHARED_VIEWS:
                admin_shared_done.add(view)
                break
            if found >= MAX_PAGES_PER_ROUTE:
                break
    # The admin's app pages are a regular-expression route: one per registered app.
    from django.contrib import admin as django_admin
    from django.urls import reverse

    for label in sorted({model._meta.app_label for model in django_admin.site._registry}):
        url = reverse("admin:app_list", args=[label])
        response = client.get(url)
        if response.status_code == 200 and b"<html" in response.content[:1000].lower():
            pages.append(url)
    return pages
