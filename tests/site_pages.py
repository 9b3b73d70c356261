"""A populated site and the pages each persona reaches on it, found from the URL resolver.

`build_site()` imports the four seeds and the lab catalogue and adds what learners and
instructors make (a quiz, attempts, a graded and a regraded submission, imported question
drafts, an import run, ticket sets, exams with sessions in every state, flashcards), through
the apps' own services where they have them. `discover_pages(user)` walks every URL pattern,
the admin's included, fills its parameters from the database and keeps the URLs that answer
the user with a full HTML page: a page another engineer adds later is walked without editing
the tests. What answers with something else (a CSV, a streamed download) is not a page: it
is never read as one, and `discover_pages` can list it for the tests that check files.

Parameters are filled by name: the known ones below, then `<name>_id` (or any `int`) from the
model whose name ends with `name` (the route's own app's model first, then the shortest
name; the user's own rows first, then other people's), admin `object_id` from the admin's
model. A parameter nothing can fill is reported by `unfillable_routes`, so a new kind of
route does not silently go unchecked.
"""

from __future__ import annotations

import io
import itertools
import random
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
    if lab is not None:
        _regraded(submission, instructor)
    _exams(course, learner, instructor)
    _study(course, learner)
    return Site(learner=learner, instructor=instructor, admin=admin)


def _regraded(submission, instructor: User) -> None:
    """A finished regrade of the submission by a newer judge, recorded as a worker records it."""
    from grading import services as grading
    from grading.engine import GradeResult, TestOutcome
    from grading.models import Regrade

    regrade = Regrade.objects.create(
        submission=submission,
        judge_version=2,
        enqueued_at=timezone.now(),
        requested_by=instructor,
    )
    claim = grading.claim_job(Regrade, regrade.pk, "walk|host|1", 60.0)
    tests = [
        TestOutcome("test_1", "Проверка 1", 1, True, ""),
        TestOutcome("test_2", "Проверка 2", 1, True, ""),
    ]
    grading.record_regrade(regrade.pk, claim, GradeResult("done", 1.0, tests, "Всё верно."), 2)


class _LabTicketFirst(random.Random):
    """A draw that takes the first ticket whose practical task a lab grades (else the first),
    so that the walked session shows the code editor and the lab's statement."""

    def choice(self, seq):
        return next((ticket for ticket in seq if ticket.lab_id), seq[0])


def _exams(course: Course, learner: User, instructor: User) -> None:
    """What a course has after one exam season: the imported and a generated ticket set; an
    exam the learner is sitting (a lab ticket drawn, answers saved, a solution graded by the
    lab); one graded, published and then corrected with a reason; one graded but not yet
    published; one still to sit; a second learner's session waiting for a grader. Exams are
    made oldest first in the order the walk wants them: it takes the three newest rows."""
    from datetime import timedelta
    from decimal import Decimal

    from exams import generation, marking, tickets
    from exams import sessions as exams
    from exams.models import Exam, ExamSession, PracticalSubmission, SessionAnswer
    from grading.models import Submission

    imported = tickets.ensure_imported_set(course)
    generated = tickets.save_assembly(
        course, generation.generate(course, 6, seed=7), "Весенняя сессия", instructor
    )
    now = timezone.now()

    def exam(title: str, ticket_set, *learners: User, **fields) -> Exam:
        values = {"time_limit_minutes": 90, "opens_at": now - timedelta(hours=2),
                  "closes_at": now + timedelta(days=7), **fields}  # fmt: skip
        candidates = [exams.Candidate(user.username, 15) for user in learners]
        return exams.save_exam(
            Exam(course=course, title=title, ticket_set=ticket_set, **values),
            candidates,
            instructor,
        )

    def sit(exam_: Exam, who: User, rng: random.Random) -> ExamSession:
        session = exams.start_session(exam_, who, rng=rng)
        for answer in SessionAnswer.objects.filter(session=session).order_by("position"):
            text = (
                f"Ответ на вопрос {answer.position}: градиентный спуск обновляет веса "
                "против градиента функции потерь; " * 6
                if answer.position
                else "model = torch.nn.Sequential(torch.nn.Linear(784, 10))  # решение " * 3
            )
            exams.save_answer(who.pk, session.pk, answer.position, text, answer.version)
        return session

    def grade(session: ExamSession, points: Decimal, **extra) -> ExamSession:
        criteria = marking.criteria_by_question(
            session.exam, session.ticket.questions.values_list("pk", flat=True)
        )
        scores = {c.pk: c.max_points - points for group in criteria.values() for c in group}
        feedback = "Хорошо раскрыта идея градиентного спуска; не хватает примера с кодом. " * 3
        return marking.grade_session(
            session, instructor, scores=scores, practical_override=Decimal(7),
            feedback=feedback, **extra,
        )  # fmt: skip

    second = LearnerFactory(username="pavel_sidorov_long_username")
    running = exam("Экзамен по глубокому обучению: весенняя сессия", generated, learner)
    session = sit(running, learner, _LabTicketFirst())  # left running
    if session.ticket.lab_id is not None:
        # A solution sent from the session and graded by the lab (no worker here: the row as
        # a worker leaves it).
        PracticalSubmission.objects.create(
            session=session,
            submission=Submission.objects.create(
                learner=learner, lab=session.ticket.lab, tier="exam",
                source="import torch\n\ndef solve(x):\n    return x.mean()\n",
                status=Submission.Status.DONE, score=0.75, finished_at=timezone.now(),
            ),
        )  # fmt: skip
    exam("Пересдача", generated, learner, opens_at=now - timedelta(minutes=5))
    colloquium = exam("Коллоквиум", generated, learner)
    grade(exams.submit_session(sit(colloquium, learner, random.Random(4)).pk), Decimal(2))
    winter = exam("Зимний экзамен", imported or generated, learner, second, open_to_all=True)
    graded = exams.submit_session(sit(winter, learner, random.Random(2)).pk)
    exams.submit_session(sit(winter, second, random.Random(3)).pk)  # waits for a grader
    marking.publish(grade(graded, Decimal(1)), instructor)
    grade(graded, Decimal(0), reason="Перепроверил ответы: оба раскрыты полностью.")


def _study(course: Course, learner: User) -> None:
    """A learner's flashcards after a week of use: settings changed, cards rated on two days
    (some due again now, some not for days), a card brought forward by a wrong quiz answer."""
    import uuid
    from datetime import timedelta

    from study import decks, evidence, queue
    from study import services as study

    settings = study.settings_for(learner)
    settings.new_cards_per_day = 12
    settings.save(update_fields=["new_cards_per_day"])
    deck = decks.Deck(course)
    now = timezone.now()
    for days_ago, ratings in ((6, (3, 3, 4, 1, 3, 2, 3, 4)), (2, (3, 1, 3, 4, 2, 3))):
        moment = now - timedelta(days=days_ago)
        for rating in ratings:
            card = queue.next_card(learner, deck, settings, moment)
            if card is None:
                break
            study.rate_card(
                learner, card.pk, rating, card.version, uuid.uuid4().hex,
                duration_ms=8000, now=moment, settings=settings,
            )  # fmt: skip
            moment += timedelta(minutes=3)
    evidence.apply_new_evidence(learner, now=now)


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


def _route_app(route: Route) -> str:
    """The app label of the module that serves the route ("exams" for exams.exam_views)."""
    module = getattr(route.callback, "__module__", "") or ""
    return module.split(".", 1)[0]


def _model_for(name: str, app_label: str = ""):
    """The model a parameter names: the route's own app's first (``session_id`` of an exams
    route is an exam session, not Django's session), then the shortest name."""
    stem = name.removesuffix("_id").replace("_", "")
    matches = [m for m in apps.get_models() if m._meta.model_name.endswith(stem)]
    if not matches:
        return None
    return min(matches, key=lambda m: (m._meta.app_label != app_label, len(m._meta.model_name)))


def _own_rows_first(model, user: User | None, limit: int = 3) -> list[Any]:
    """Up to ``limit`` primary keys, newest first: the user's own rows (by the first link to
    the user that has any), then other people's, so that a page reached only through someone
    else's row (an instructor grading a learner's session) is walked too."""
    rows = model._default_manager.order_by("-pk")
    owners = [
        f.name
        for f in model._meta.get_fields()
        if getattr(f, "related_model", None) is User and f.many_to_one
    ]
    mine: list[Any] = []
    for owner in owners if user is not None else ():
        mine = list(rows.filter(**{owner: user}).values_list("pk", flat=True)[:limit])
        if mine:
            break
    others = rows.exclude(pk__in=mine).values_list("pk", flat=True)[: limit - len(mine)]
    return mine + list(others)


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
    if name == "position":  # a question's place in its ticket
        return [1, 2]
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
    if name.endswith("_id") or converter == "int":
        model = _model_for(name, _route_app(route))
        if model is not None:
            return _own_rows_first(model, user)
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


def discover_pages(
    user: User | None, *, client: Client | None = None, downloads: dict[str, str] | None = None
) -> list[str]:
    """Every URL that answers ``user`` (None: a visitor) with a full HTML page (200), a few
    objects per route. A URL that answers with anything else (a CSV, a streamed download) is
    not a page: its body is not read here, and it goes into ``downloads`` (URL: content type)
    when that is given, for the tests that check files for what they are."""
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
            if response.status_code != 200:
                continue
            if not content_type.startswith("text/html"):
                # A file: its body (a streamed one too) is not read as a page.
                if downloads is not None:
                    downloads[url] = content_type
                found += 1
                if found >= MAX_PAGES_PER_ROUTE:
                    break
                continue
            if b"<html" not in _body(response)[:1000].lower():
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


def _body(response) -> bytes:
    """The body of an HTML answer, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content
