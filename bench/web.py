"""web_ratio_<page> / web_p99_ms_<page>: pages under load, each against a bare Django view in
the same server and the same run.

1. The real seeds are imported into the bench database (PostgreSQL); learners are made, each
   with a session, a running timed quiz of 50 questions and a flashcard deck of due reviews.
2. gunicorn (2 workers of 2 threads, as docker-compose serves it; DEBUG off) serves the site
   on a loopback port. This module is its settings module too (`BENCH_WEB_SETTINGS=1`),
   adding one bare view at /bench/bare/ that exists only here: it renders a small template
   through the same middleware (session, CSRF, auth) and answers GET and POST alike.
3. wrk, 16 connections (one per thread, each thread its own learners, sessions and CSRF
   tokens), runs one scenario at a time; its Lua script builds each request and reads what the
   next one needs from the response (a quiz answer's new version, the next flashcard), so every
   request does real work: a save, a rating, never a refused replay. The bare view gets the
   same method, headers and body size. Rounds alternate bare and page; medians are kept.
4. Any non-2xx answer makes the run fail loudly: refusals are not throughput.

Scenarios: course_page (a course's syllabus, signed in), qa_search (the Q&A bank searched, as
the search box asks for it with htmx, through Russian queries in turn), flashcard_rate (rate
the shown card Good, get the next), quiz_answer (autosave an answer of a timed quiz),
exam_answer (autosave a theory answer of a drawn exam ticket).

A POST scenario must also leave its work in the database (answers saved, ratings logged): a
Lua script that fails to load makes wrk fetch "/" instead, which would otherwise pass as a page.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import redis

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONNECTIONS = 16
LEARNERS_PER_CONNECTION = 4  # flashcard decks: enough due cards for every round
# Served as docker-compose serves the site: workers of two threads, so that a request waiting
# for the database (a commit's fsync above all) does not hold a whole worker; a worker per core
# of this two-core machine (compose takes WEB_CONCURRENCY). BENCH_WEB_THREADS and
# BENCH_WEB_WORKERS change them for comparison (8 threads: lower throughput, twice the p99).
WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_WEB_THREADS", "2"))
QUESTIONS = 50
DURATION_S = 8
ROUNDS = 2
BARE_PATH = "/bench/bare/"
COURSE = "deep-learning"
# A theory answer as a learner types it (Russian: the exam's language).
EXAM_ANSWER_TEXT = "Внимание (attention) взвешивает значения по сходству запроса и ключей. " * 8
SEARCHES = ["сверточные сети", "градиентный спуск", "dropout", "переобучение", "трансформер",
            "функция потерь", "batch normalization", "рекуррентные сети"]  # fmt: skip

if os.environ.get("BENCH_WEB_SETTINGS") == "1":  # imported by gunicorn as its settings
    from config.settings import *  # noqa: F403

    ROOT_URLCONF = "bench.web"

BARE_TEMPLATE = "<!doctype html><title>{{ title }}</title><p>{{ text }}</p>"


def bare(request):
    """A small template rendered through the site's middleware; no database."""
    from django.http import HttpResponse
    from django.template import engines

    template = engines["django"].from_string(BARE_TEMPLATE)
    return HttpResponse(template.render({"title": "bare", "text": "ok"}))


def __getattr__(name: str):
    # The URLconf is built on first use, after Django is set up (this module is imported as the
    # settings module first, when no view may be imported yet).
    if name == "urlpatterns":
        from django.urls import include, path
        from django.views.decorators.csrf import csrf_exempt

        from accounts.access import public

        view = public(csrf_exempt(bare))  # the POST rounds send a token anyway
        return [path(BARE_PATH.strip("/") + "/", view), path("", include("config.urls"))]
    raise AttributeError(name)


@dataclass
class Slot:
    """One learner, as a wrk connection plays them."""

    cookie: str
    csrf: str
    attempt: int
    questions: list[tuple[int, list[int]]]
    exam_session: int = 0
    card: int = 0
    card_version: int = 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db.get('USER') or 'postgres'}{password}@{db.get('HOST') or '127.0.0.1'}:"
        f"{db.get('PORT') or 5432}/{db['NAME']}"
    )


def _prepare() -> list[list[Slot]]:
    """Learners with sessions, running attempts and decks; a list of slots per connection."""
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client
    from django.utils import timezone

    from accounts.roles import Role, assign_role
    from assessments import services
    from assessments.models import Quiz
    from courses.models import Course, QAItem
    from exams import sessions
    from exams.generation import generate
    from exams.models import Exam
    from exams.tickets import save_assembly
    from seeds.loader import default_seed_paths, import_parsed, parse_paths

    if not QAItem.objects.exists():
        import_parsed(parse_paths(default_seed_paths(settings.SEED_DATA_DIR)))
    course = Course.objects.get(slug=COURSE)
    quiz = Quiz.objects.create(
        course=course,
        title="bench",
        question_count=QUESTIONS,
        time_limit_minutes=600,
        attempts_allowed=0,
        is_published=True,
    )
    now = timezone.now()
    exam = sessions.save_exam(
        Exam(course=course, ticket_set=save_assembly(course, generate(course, 15, seed=1),
                                                     "bench", None),
             title="bench", time_limit_minutes=600, opens_at=now - timedelta(hours=1),
             closes_at=now + timedelta(days=1), open_to_all=True),
        [], None,
    )  # fmt: skip
    connections = []
    for c in range(CONNECTIONS):
        slots = []
        for n in range(LEARNERS_PER_CONNECTION):
            user = User.objects.create_user(f"bench-web-{c}-{n}", password=None)
            assign_role(user, Role.LEARNER)
            attempt = services.start_quiz_attempt(user, quiz)
            client = Client()
            client.force_login(user)
            csrf = _get_new_csrf_string()
            slots.append(
                Slot(
                    cookie=f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}",
                    csrf=csrf,
                    attempt=attempt.pk,
                    exam_session=sessions.start_session(exam, user).pk,
                    questions=[
                        (q.position, q.option_order) for q in attempt.questions.order_by("position")
                    ],
                )
            )
        connections.append(slots)
    return connections


def _reset_decks(connections: list[list[Slot]]) -> None:
    """Every bench learner gets the course's whole deck as reviews due now (fresh each round,
    so that no round runs out of due cards); each slot starts at its first card."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from courses.models import Course
    from study.decks import Deck, deck_qa_items, deck_theory_questions
    from study.models import Card, ReviewLog, StudySettings

    course = Course.objects.get(slug=COURSE)
    users = {u.username: u for u in User.objects.filter(username__startswith="bench-web-")}
    Card.objects.filter(learner__in=users.values()).delete()
    ReviewLog.objects.filter(learner__in=users.values()).delete()
    deck = Deck(course)
    qa_ids = list(deck_qa_items(deck).order_by("id").values_list("id", flat=True))
    theory_ids = list(deck_theory_questions(deck).order_by("id").values_list("id", flat=True))
    now = timezone.now()
    past = now - timezone.timedelta(days=1)
    cards = []
    for user in users.values():
        StudySettings.objects.get_or_create(learner=user)
        common = {"learner": user, "course": course, "state": Card.State.REVIEW,
                  "stability": 5.0, "difficulty": 5.0, "due": past,
                  "last_review": past - timezone.timedelta(days=5), "reps": 1}  # fmt: skip
        cards += [Card(qa_item_id=i, **common) for i in qa_ids]
        cards += [Card(theory_question_id=i, **common) for i in theory_ids]
    Card.objects.bulk_create(cards, batch_size=2000)
    first = {}
    for username, user in users.items():
        card = Card.objects.filter(learner=user).order_by("due", "id").first()
        first[username] = card.pk
    for c, slots in enumerate(connections):
        for n, slot in enumerate(slots):
            slot.card, slot.card_version = first[f"bench-web-{c}-{n}"], 0


def _quiz_versions(connections: list[list[Slot]]) -> dict[tuple[int, int], int]:
    from assessments.models import AttemptQuestion

    attempts = [slot.attempt for slots in connections for slot in slots]
    return {
        (attempt_id, position): version
        for attempt_id, position, version in AttemptQuestion.objects.filter(
            attempt_id__in=attempts
        ).values_list("attempt_id", "position", "version")
    }


def _exam_versions(connections: list[list[Slot]]) -> dict[tuple[int, int], int]:
    from exams.models import SessionAnswer

    sessions = [slot.exam_session for slots in connections for slot in slots]
    return {
        (session_id, position): version
        for session_id, position, version in SessionAnswer.objects.filter(
            session_id__in=sessions, position__in=(1, 2)
        ).values_list("session_id", "position", "version")
    }


def _work_done(name: str, connections: list[list[Slot]]) -> int | None:
    """What a POST scenario leaves in the database, counted: saves and logged ratings."""
    from django.db.models import Sum

    from assessments.models import AttemptQuestion
    from exams.models import SessionAnswer
    from study.models import ReviewLog

    slots = [slot for slots in connections for slot in slots]
    if name == "quiz_answer":
        rows = AttemptQuestion.objects.filter(attempt_id__in=[s.attempt for s in slots])
        return rows.aggregate(total=Sum("version"))["total"] or 0
    if name == "exam_answer":
        rows = SessionAnswer.objects.filter(session_id__in=[s.exam_session for s in slots])
        return rows.aggregate(total=Sum("version"))["total"] or 0
    if name == "flashcard_rate":
        return ReviewLog.objects.filter(learner__username__startswith="bench-web-").count()
    return None


def _lua_slots(connections: list[list[Slot]], versions: dict) -> str:
    exam_versions = _exam_versions(connections)
    rows = []
    for slots in connections:
        entries = []
        for slot in slots:
            questions = ", ".join(
                "{pos=%d, version=%d, options={%s}}"  # noqa: UP031
                % (pos, versions.get((slot.attempt, pos), 0), ", ".join(map(str, options)))
                for pos, options in slot.questions
            )
            exam = ", ".join(str(exam_versions.get((slot.exam_session, pos), 0)) for pos in (1, 2))
            entries.append(
                '{cookie="%s", csrf="%s", attempt=%d, card=%d, card_version=%d, '  # noqa: UP031
                "exam_session=%d, exam_versions={%s}, questions={%s}}"
                % (slot.cookie, slot.csrf, slot.attempt, slot.card, slot.card_version,
                   slot.exam_session, exam, questions)
            )  # fmt: skip
        rows.append("{" + ", ".join(entries) + "}")
    return "local data = {%s}\n" % ",\n".join(rows)  # noqa: UP031


# Each scenario is a Lua `request()` and `response()`; `mine` is the thread's list of slots,
# `turn` the slot whose request is in flight (one request at a time per connection).
LUA_COMMON = """
local count = 0
function setup(thread)
  count = count + 1
  thread:set("slot", count)
end
function init(args)
  mine = data[slot]
  turn = 0
  sent = 0
  for _, s in ipairs(mine) do
    s.versions = {}
    for _, q in ipairs(s.questions) do s.versions[q.pos] = q.version end
    s.index = 0
    s.exam_index = 0
  end
end
local function headers_for(s, extra)
  local h = {["Cookie"] = s.cookie, ["X-CSRFToken"] = s.csrf, ["HX-Request"] = "true",
             ["Referer"] = "http://127.0.0.1/"}
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end
local function next_slot()
  turn = turn % #mine + 1
  return mine[turn]
end
"""

SCENARIOS = {
    "course_page": """
function request()
  local s = next_slot()
  return wrk.format("GET", "/courses/%(course)s/", headers_for(s, {["HX-Request"] = nil}))
end
""",
    "qa_search": """
local searches = {%(searches)s}
function request()
  local s = next_slot()
  sent = sent + 1
  local q = searches[sent %% #searches + 1]
  return wrk.format("GET", "/courses/%(course)s/questions/?q=" .. q,
                    headers_for(s, {["HX-Target"] = "qa-results"}))
end
""",
    "flashcard_rate": """
function request()
  local s = next_slot()
  sent = sent + 1
  local body = "rating=3&version=" .. s.card_version .. "&token=bench-" .. slot .. "-" .. turn
    .. "-" .. sent .. "-" .. math.random(1, 1000000000) .. "&topic=&shown_at=0"
  return wrk.format("POST", "/study/cards/" .. s.card .. "/rate/",
    headers_for(s, {["Content-Type"] = "application/x-www-form-urlencoded"}), body)
end
function response(status, headers, body)
  local s = mine[turn]
  local card = string.match(body, 'data%%-card="(%%d+)"')
  local version = string.match(body, 'name="version" value="(%%d+)"')
  if card then s.card = tonumber(card); s.card_version = tonumber(version) end
end
""",
    "quiz_answer": """
function request()
  local s = next_slot()
  s.index = s.index %% #s.questions + 1
  local q = s.questions[s.index]
  local option = q.options[(s.versions[q.pos] %% #q.options) + 1]
  local body = "position=" .. q.pos .. "&option=" .. option .. "&version=" .. s.versions[q.pos]
  return wrk.format("POST", "/quizzes/attempts/" .. s.attempt .. "/answer/",
    headers_for(s, {["Content-Type"] = "application/x-www-form-urlencoded"}), body)
end
function response(status, headers, body)
  local s = mine[turn]
  local version, position = string.match(body, 'value="(%%d+)" id="q%%-(%%d+)%%-version"')
  if version then s.versions[tonumber(position)] = tonumber(version) end
end
""",
    "exam_answer": """
function request()
  local s = next_slot()
  s.exam_index = s.exam_index %% 2 + 1
  local v = s.exam_versions[s.exam_index]
  local body = "position=" .. s.exam_index .. "&version=" .. v .. "&text=%(answer)s" .. v
  return wrk.format("POST", "/exams/sessions/" .. s.exam_session .. "/answer/",
    headers_for(s, {["Content-Type"] = "application/x-www-form-urlencoded"}), body)
end
function response(status, headers, body)
  local s = mine[turn]
  local version, position = string.match(body, 'value="(%%d+)" id="answer%%-(%%d+)%%-version"')
  if version then s.exam_versions[tonumber(position)] = tonumber(version) end
end
""",
}
POST_SCENARIOS = {"flashcard_rate", "quiz_answer", "exam_answer"}


def _bare_lua(method: str) -> str:
    body = '"rating=3&version=0&token=bench-0123456789-0-0-000000000&topic=&shown_at=0"'
    if method == "GET":
        return f"""
function request()
  local s = next_slot()
  return wrk.format("GET", "{BARE_PATH}", headers_for(s))
end
"""
    return f"""
function request()
  local s = next_slot()
  return wrk.format("POST", "{BARE_PATH}",
    headers_for(s, {{["Content-Type"] = "application/x-www-form-urlencoded"}}), {body})
end
"""


def _script(connections, name: str | None, method: str = "GET") -> str:
    body = _lua_slots(connections, _quiz_versions(connections)) + LUA_COMMON
    if name is None:
        return body + _bare_lua(method)
    searches = ", ".join(f'"{urllib.parse.quote(q)}"' for q in SEARCHES)
    answer = urllib.parse.quote_plus(EXAM_ANSWER_TEXT)
    return body + SCENARIOS[name] % {"course": COURSE, "searches": searches, "answer": answer}


def _wrk(port: int, script: Path) -> dict:
    output = subprocess.run(
        ["wrk", f"-t{CONNECTIONS}", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "--latency",
         "--timeout", "5s", "-s", str(script), f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, check=True, timeout=DURATION_S + 60,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale,
        "non_2xx": int(bad.group(1)) if bad else 0,
    }


class Server:
    def __init__(self) -> None:
        self.port = _free_port()
        # The shared cache docker-compose gives the site (sessions, throttling),
        # emptied first: this run's database reuses the ids an earlier run cached.
        cache_url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/11")
        redis.Redis.from_url(cache_url).flushdb()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.web",
            "BENCH_WEB_SETTINGS": "1",
            "DATABASE_URL": _database_url(),
            "CACHE_URL": cache_url,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(WORKERS),
             "--threads", str(THREADS), "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning"],
            cwd=PROJECT_DIR, env=env,
        )  # fmt: skip

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.3)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def measure(names: list[str]) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (make test installs it)")
    connections = _prepare()
    figures = {}
    common = {"connections": CONNECTIONS, "workers": WORKERS, "duration_s": DURATION_S,
              "rounds": ROUNDS, "tool": "wrk", "threads": THREADS}  # fmt: skip
    with Server() as server, tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "script.lua")
        for name in names:
            method = "POST" if name in POST_SCENARIOS else "GET"
            bares, pages = [], []
            script.write_text(_script(connections, None, method))
            _wrk(server.port, script)  # warm-up: connections, imports, caches
            for _ in range(ROUNDS):
                script.write_text(_script(connections, None, method))
                bares.append(_wrk(server.port, script))
                if name == "flashcard_rate":
                    _reset_decks(connections)
                script.write_text(_script(connections, name))
                before = _work_done(name, connections)
                pages.append(_wrk(server.port, script))
                if before is not None:
                    done = _work_done(name, connections) - before
                    if done < 0.9 * pages[-1]["rps"] * DURATION_S:
                        raise SystemExit(f"{name}: only {done} saved: not measuring real work")
            refused = sum(run["non_2xx"] for run in pages + bares)
            if refused:
                raise SystemExit(f"{name}: {refused} non-2xx responses: not measuring real work")
            bare_rps = statistics.median(b["rps"] for b in bares)
            page_rps = statistics.median(p["rps"] for p in pages)
            figures[f"web_ratio_{name}"] = {
                "value": round(page_rps / bare_rps, 3),
                "unit": "ratio",
                "baseline": round(bare_rps, 1),
                "baseline_unit": f"req/s (bare view, {method})",
                "page_rps": round(page_rps, 1),
                "target": ">= 0.5",
                **common,
            }
            figures[f"web_p99_ms_{name}"] = {
                "value": round(statistics.median(p["p99_ms"] for p in pages), 2),
                "unit": "ms",
                "baseline": round(statistics.median(b["p99_ms"] for b in bares), 2),
                "target": "< 100 ms",
                **common,
            }
            print(f"  {name}: {page_rps:.0f} req/s vs bare {bare_rps:.0f} req/s", flush=True)
    return figures


def run() -> dict:
    names = os.environ.get("BENCH_WEB", "").split(",") if os.environ.get("BENCH_WEB") else []
    return measure([n for n in names if n] or list(SCENARIOS))
