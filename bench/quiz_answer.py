"""web_ratio_quiz_answer / web_p99_ms_quiz_answer: the answer-submit request of a timed quiz
under load, against a bare Django view in the same run.

1. The real seeds are imported; 16 learners each start a timed quiz of 50 questions.
2. gunicorn (2 sync workers, DEBUG off) serves the site on a loopback port; this module is its
   settings module too (`BENCH_QUIZ_SETTINGS=1`), adding one bare view at /bench/bare/ that
   exists only here: it answers "ok" through the same middleware (session, CSRF, auth).
3. wrk, 16 connections (one per thread, each a learner with its own session and CSRF token),
   POSTs answers as htmx does; each thread cycles through its questions and reads the new
   version from every response, so every request is a real save, not a refused replay.
   The bare view gets the same POSTs. Rounds alternate bare and answer; medians are kept.
4. Any non-2xx answer makes the run fail loudly: refusals are not throughput.
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
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONNECTIONS = 16
WORKERS = 2
QUESTIONS = 50
DURATION_S = 8
ROUNDS = 2
BARE_PATH = "/bench/bare/"

if os.environ.get("BENCH_QUIZ_SETTINGS") == "1":  # imported by gunicorn as its settings
    from config.settings import *  # noqa: F403

    ROOT_URLCONF = "bench.quiz_answer"


def bare(request):
    from django.http import HttpResponse

    return HttpResponse(b"ok", content_type="text/plain")


def __getattr__(name: str):
    # The URLconf is built on first use, after Django is set up (this module is imported as the
    # settings module first, when no view may be imported yet).
    if name == "urlpatterns":
        from django.urls import include, path

        return [path(BARE_PATH.strip("/") + "/", bare), path("", include("config.urls"))]
    raise AttributeError(name)


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


def _prepare() -> list[dict]:
    """Learners with sessions and running attempts; returns what each wrk thread needs."""
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    from accounts.roles import Role, assign_role
    from assessments import services
    from assessments.models import Quiz
    from courses.models import Course
    from seeds.loader import default_seed_paths, import_parsed, parse_paths

    import_parsed(parse_paths(default_seed_paths(settings.SEED_DATA_DIR)))
    course = Course.objects.get(slug="deep-learning")
    quiz = Quiz.objects.create(
        course=course,
        title="bench",
        question_count=QUESTIONS,
        time_limit_minutes=600,
        attempts_allowed=0,
        is_published=True,
    )
    slots = []
    for i in range(CONNECTIONS):
        user = User.objects.create_user(f"bench{i}", password=None)
        assign_role(user, Role.LEARNER)
        attempt = services.start_quiz_attempt(user, quiz)
        client = Client()
        client.force_login(user)
        csrf = _get_new_csrf_string()
        slots.append(
            {
                "cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}",
                "csrf": csrf,
                "attempt": attempt.pk,
                "path": f"/quizzes/attempts/{attempt.pk}/answer/",
                "questions": [
                    (q.position, q.option_order) for q in attempt.questions.order_by("position")
                ],
            }
        )
    return slots


def _lua(slots: list[dict], path_override: str | None) -> str:
    """The wrk script; it starts from the versions the database holds now (each wrk run is a
    fresh Lua state, and a stale version would be refused as a replay)."""
    from assessments.models import AttemptQuestion

    versions = dict(
        ((attempt_id, position), version)
        for attempt_id, position, version in AttemptQuestion.objects.filter(
            attempt_id__in=[slot["attempt"] for slot in slots]
        ).values_list("attempt_id", "position", "version")
    )
    rows = []
    for slot in slots:
        questions = ", ".join(
            "{pos=%d, version=%d, options={%s}}"  # noqa: UP031
            % (pos, versions[slot["attempt"], pos], ", ".join(map(str, options)))
            for pos, options in slot["questions"]
        )
        rows.append(
            '{cookie="%s", csrf="%s", path="%s", questions={%s}}'  # noqa: UP031
            % (slot["cookie"], slot["csrf"], path_override or slot["path"], questions)
        )
    return """
local data = {%s}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("slot", count)
end
function init(args)
  mine = data[slot]
  versions = {}
  for _, q in ipairs(mine.questions) do versions[q.pos] = q.version end
  index = 0
  headers = {["Cookie"] = mine.cookie, ["X-CSRFToken"] = mine.csrf, ["HX-Request"] = "true",
             ["Content-Type"] = "application/x-www-form-urlencoded",
             ["Referer"] = "http://127.0.0.1/"}
end
function request()
  index = index %% #mine.questions + 1
  local q = mine.questions[index]
  local option = q.options[(versions[q.pos] %% #q.options) + 1]
  local body = "position=" .. q.pos .. "&option=" .. option .. "&version=" .. versions[q.pos]
  return wrk.format("POST", mine.path, headers, body)
end
function response(status, headers, body)
  local version, position = string.match(body, 'value="(%%d+)" id="q%%-(%%d+)%%-version"')
  if version then versions[tonumber(position)] = tonumber(version) end
end
""" % ",\n".join(rows)  # noqa: UP031


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
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


@contextmanager
def served_site() -> Iterator[int]:
    """gunicorn serving the whole site plus the bare view (this module as its settings) on a
    free loopback port, for the duration of the block; yields the port. Other web benchmarks
    (bench/exam_answer.py) measure through it too."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (make test installs it)")
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.quiz_answer",
        "BENCH_QUIZ_SETTINGS": "1",
        "DATABASE_URL": _database_url(),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(WORKERS),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=PROJECT_DIR, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.3)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


def run() -> dict:
    slots = _prepare()
    with served_site() as port, tempfile.TemporaryDirectory() as tmp:
        bare_script, answer_script = Path(tmp, "bare.lua"), Path(tmp, "answer.lua")
        bare_script.write_text(_lua(slots, BARE_PATH))
        _wrk(port, bare_script)  # warm-up: connections, imports, caches
        bares, answers = [], []
        for _ in range(ROUNDS):
            bares.append(_wrk(port, bare_script))
            answer_script.write_text(_lua(slots, None))
            answers.append(_wrk(port, answer_script))
    refused = sum(a["non_2xx"] for a in answers + bares)
    if refused:
        raise SystemExit(f"{refused} non-2xx responses: the benchmark is not measuring saves")
    bare_rps = statistics.median(b["rps"] for b in bares)
    answer_rps = statistics.median(a["rps"] for a in answers)
    answer_p99 = statistics.median(a["p99_ms"] for a in answers)
    common = {"connections": CONNECTIONS, "workers": WORKERS, "duration_s": DURATION_S,
              "rounds": ROUNDS, "tool": "wrk"}  # fmt: skip
    return {
        "web_ratio_quiz_answer": {
            "value": round(answer_rps / bare_rps, 3),
            "unit": "ratio",
            "baseline": round(bare_rps, 1),
            "baseline_unit": "req/s (bare view)",
            "answer_rps": round(answer_rps, 1),
            "target": ">= 0.5",
            **common,
        },
        "web_p99_ms_quiz_answer": {
            "value": round(answer_p99, 2),
            "unit": "ms",
            "baseline": round(statistics.median(b["p99_ms"] for b in bares), 2),
            "target": "< 100 ms",
            **common,
        },
    }
