"""web_ratio_exam_answer / web_p99_ms_exam_answer: the autosave of an exam answer under load,
against the bare view in the same run.

Its own module (another benchmark generalises the web figures at the same time); it reuses
bench/quiz_answer.py's served site (gunicorn with the bare view at /bench/bare/) and its wrk
runner rather than copying them.

1. The real seeds are imported; 16 learners each draw a ticket of an exam (two theory answers).
2. wrk, 16 connections (one per learner, with its session and CSRF token), POSTs answers as
   htmx does, alternating between the two answers and reading the new version from every
   response, so every request is a real save (the one conditional UPDATE), not a refusal.
   The bare view gets the same POSTs. Rounds alternate bare and answer; medians are kept.
3. Any non-2xx answer makes the run fail loudly: refusals are not throughput.
"""

from __future__ import annotations

import statistics
import tempfile
from datetime import timedelta
from pathlib import Path

from bench.quiz_answer import BARE_PATH, CONNECTIONS, DURATION_S, ROUNDS, WORKERS, _wrk, served_site

ANSWER_TEXT = "Внимание (attention) взвешивает значения по сходству запроса и ключей. " * 8


def _prepare() -> list[dict]:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client
    from django.utils import timezone

    from accounts.roles import Role, assign_role
    from courses.models import Course
    from exams import sessions
    from exams.generation import generate
    from exams.models import Exam
    from exams.tickets import save_assembly
    from seeds.loader import default_seed_paths, import_parsed, parse_paths

    import_parsed(parse_paths(default_seed_paths(settings.SEED_DATA_DIR)))
    course = Course.objects.get(slug="deep-learning")
    ticket_set = save_assembly(course, generate(course, 15, seed=1), "bench", None)
    now = timezone.now()
    exam = sessions.save_exam(
        Exam(course=course, ticket_set=ticket_set, title="bench", time_limit_minutes=600,
             opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1),
             open_to_all=True),
        [], None,
    )  # fmt: skip
    slots = []
    for i in range(CONNECTIONS):
        user = User.objects.create_user(f"exam-bench{i}", password=None)
        assign_role(user, Role.LEARNER)
        session = sessions.start_session(exam, user)
        client = Client()
        client.force_login(user)
        csrf = _get_new_csrf_string()
        slots.append(
            {
                "cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}",
                "csrf": csrf,
                "session": session.pk,
                "path": f"/exams/sessions/{session.pk}/answer/",
            }
        )
    return slots


def _lua(slots: list[dict], path_override: str | None) -> str:
    """The wrk script, starting from the versions the database holds now."""
    from exams.models import SessionAnswer

    versions = {
        (session_id, position): version
        for session_id, position, version in SessionAnswer.objects.filter(
            session_id__in=[slot["session"] for slot in slots], position__gte=1
        ).values_list("session_id", "position", "version")
    }
    rows = []
    for slot in slots:
        answers = ", ".join(
            "{pos=%d, version=%d}" % (pos, versions[slot["session"], pos])  # noqa: UP031
            for pos in (1, 2)
        )
        rows.append(
            '{cookie="%s", csrf="%s", path="%s", answers={%s}}'  # noqa: UP031
            % (slot["cookie"], slot["csrf"], path_override or slot["path"], answers)
        )
    text = ANSWER_TEXT.replace(" ", "+")
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
  for _, a in ipairs(mine.answers) do versions[a.pos] = a.version end
  index = 0
  headers = {["Cookie"] = mine.cookie, ["X-CSRFToken"] = mine.csrf, ["HX-Request"] = "true",
             ["Content-Type"] = "application/x-www-form-urlencoded",
             ["Referer"] = "http://127.0.0.1/"}
end
function request()
  index = index %% 2 + 1
  local v = versions[index]
  local body = "position=" .. index .. "&version=" .. v .. "&text=%s" .. v
  return wrk.format("POST", mine.path, headers, body)
end
function response(status, headers, body)
  local version, position = string.match(body, 'value="(%%d+)" id="answer%%-(%%d+)%%-version"')
  if version then versions[tonumber(position)] = tonumber(version) end
end
""" % (",\n".join(rows), text)  # noqa: UP031


def _saves(slots: list[dict]) -> int:
    from django.db.models import Sum

    from exams.models import SessionAnswer

    return SessionAnswer.objects.filter(
        session_id__in=[slot["session"] for slot in slots]
    ).aggregate(total=Sum("version"))["total"]


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
            before = _saves(slots)
            answers.append(_wrk(port, answer_script))
            # wrk runs a broken script as plain GETs of "/": make sure answers were saved.
            saved = _saves(slots) - before
            if saved < 0.9 * answers[-1]["rps"] * DURATION_S:
                raise SystemExit(f"only {saved} answers saved: not measuring saves")
    refused = sum(a["non_2xx"] for a in answers + bares)
    if refused:
        raise SystemExit(f"{refused} non-2xx responses: the benchmark is not measuring saves")
    bare_rps = statistics.median(b["rps"] for b in bares)
    answer_rps = statistics.median(a["rps"] for a in answers)
    common = {"connections": CONNECTIONS, "workers": WORKERS, "duration_s": DURATION_S,
              "rounds": ROUNDS, "tool": "wrk", "answer_chars": len(ANSWER_TEXT)}  # fmt: skip
    return {
        "web_ratio_exam_answer": {
            "value": round(answer_rps / bare_rps, 3),
            "unit": "ratio",
            "baseline": round(bare_rps, 1),
            "baseline_unit": "req/s (bare view)",
            "answer_rps": round(answer_rps, 1),
            "target": ">= 0.5",
            **common,
        },
        "web_p99_ms_exam_answer": {
            "value": round(statistics.median(a["p99_ms"] for a in answers), 2),
            "unit": "ms",
            "baseline": round(statistics.median(b["p99_ms"] for b in bares), 2),
            "target": "< 100 ms",
            **common,
        },
    }
