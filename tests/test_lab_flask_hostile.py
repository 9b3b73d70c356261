"""The hostile suite against the Flask API lab (mle-02): an app that binds sockets, spawns a
server (in a thread, a forked child, a subprocess, or in the foreground), or reads the
grader's and the worker's files outside its own job directory gets a clean verdict: the
grading ends normally with the score its answers deserve, the network and the host's files
stay out of reach, and nothing it started outlives its job."""

from __future__ import annotations

import dataclasses
import textwrap
import time
from pathlib import Path

import pytest
from django.conf import settings

from grading.engine import Status, grade_source
from labs.catalog import load_lab
from tests.test_sandbox_support import marker, processes_with, requires_root

pytestmark = [pytest.mark.integration, requires_root]

SLUG = "mle-02-flask-predict-api"
REFERENCE = (Path(settings.LAB_CATALOG_DIR) / SLUG / "reference.py").read_text(encoding="utf-8")


def hostile(before_app: str) -> str:
    """The reference, with ``before_app`` run at the start of create_app (indented there)."""
    lines = textwrap.dedent(before_app).strip().splitlines()
    body = "".join(f"    {line}\n" for line in lines)
    head = "def create_app(model_path: str) -> Flask:\n"
    assert head in REFERENCE
    return "import os, socket, subprocess, sys, threading\n" + REFERENCE.replace(head, head + body)


def grade(source: str, **limits):
    lab = load_lab(SLUG)
    if limits:
        lab = dataclasses.replace(lab, limits={**lab.limits, **limits})
    return grade_source(lab, source, seed=7)


def test_an_app_that_binds_sockets_and_serves_in_a_thread_is_graded_normally():
    source = hostile(
        """
        listener = socket.socket()
        listener.bind(("0.0.0.0", 5000))
        listener.listen()
        print("bound and listening", file=sys.stderr)
        try:
            socket.create_connection(("10.0.0.1", 80), timeout=2)
            print("CONNECTED OUTSIDE", file=sys.stderr)
        except OSError as error:
            print(f"connect failed: errno {error.errno}", file=sys.stderr)
        from werkzeug.serving import make_server
        def serve():
            try:
                make_server("0.0.0.0", 5001, Flask("other")).serve_forever()
            except Exception as error:
                print(f"server failed: {error!r}", file=sys.stderr)
        threading.Thread(target=serve, daemon=True).start()
        """
    )
    result = grade(source)
    assert result.status == Status.DONE, result.message
    assert result.limit_hit is None
    assert "connect failed: errno" in result.stderr
    assert "CONNECTED OUTSIDE" not in result.stderr
    # Its answers through the test client are right: sockets it opened change nothing.
    assert result.score == 1.0, {t.name: t.message for t in result.tests if not t.passed}


def test_servers_it_forks_or_spawns_do_not_outlive_the_job():
    tag = marker()
    source = hostile(
        f"""
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c",
                     "import time; time.sleep(600)", "{tag}-forked"])
        subprocess.Popen([sys.executable, "-c",
                          "import socket, time; s = socket.socket(); s.bind(('0.0.0.0', 8000)); "
                          "s.listen(); time.sleep(600)", "{tag}-spawned"])
        """
    )
    result = grade(source)
    assert result.status == Status.DONE, result.message
    assert result.score == 1.0, {t.name: t.message for t in result.tests if not t.passed}
    deadline = time.monotonic() + 5
    while processes_with(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(tag) == []


def test_an_app_that_runs_its_own_server_in_the_foreground_runs_out_of_time():
    source = hostile('Flask("blocking").run(host="0.0.0.0", port=5000)')
    result = grade(source, wall_s=4, cpu_s=4)
    assert result.status == Status.TIMED_OUT
    assert result.limit_hit == "wall"
    assert result.score == 0
    assert all(not t.passed for t in result.tests)
    assert "4" in result.message


def test_an_app_cannot_read_the_graders_or_the_workers_files():
    project = Path(settings.BASE_DIR)
    targets = [
        project / "labs" / "catalog" / SLUG / "judge.py",
        project / "config" / "settings.py",
        Path(settings.LAB_CATALOG_DIR) / SLUG / "reference.py",
        "/proc/1/environ",
        "/etc/shadow",
    ]
    source = hostile(
        f"""
        here = os.path.dirname(os.path.abspath(model_path))
        for path in {[str(t) for t in targets]!r} + [
            os.path.join(here, "..", "grader_model.pkl"),
            os.path.join(here, "..", "..", "var", "db.sqlite3"),
        ]:
            try:
                with open(path, "rb") as handle:
                    data = handle.read(200)
                print(f"READ {{path}}: {{data[:60]!r}}", file=sys.stderr)
            except OSError as error:
                print(f"unreadable {{path}}: {{type(error).__name__}}", file=sys.stderr)
        print("above:", os.listdir(os.path.join(here, "..")), file=sys.stderr)
        """
    )
    result = grade(source)
    assert result.status == Status.DONE, result.message
    for target in targets:
        assert f"READ {target}" not in result.stderr, result.stderr
    assert "TESTS" not in result.stderr and "SECRET_KEY" not in result.stderr
    # Reading failed quietly; the app still answers as it should.
    assert result.score == 1.0, {t.name: t.message for t in result.tests if not t.passed}


def test_an_app_that_loads_a_model_from_a_path_of_its_own_gets_a_message_not_a_crash():
    source = REFERENCE.replace("joblib.load(model_path)", 'joblib.load("/app/model.pkl")')
    result = grade(source)
    assert result.status == Status.DONE
    assert result.score == 0
    predictions = next(t for t in result.tests if t.name == "predictions")
    assert "FileNotFoundError" in predictions.message
