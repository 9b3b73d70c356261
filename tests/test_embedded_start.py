"""`manage.py runall` (what `make run` ends with): the whole site on SQLite and the filesystem
broker, a second start refused, unreachable services named, Ctrl-C stopping everything."""

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.manage_subprocess import PROJECT_DIR, SCRUBBED, run_manage

# DATASET_DIR too: the start must fill the empty store under its own VAR_DIR.
EMBEDDED_SCRUB = (
    *SCRUBBED,
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "DATASET_DIR",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(var_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in EMBEDDED_SCRUB}
    env.update({"VAR_DIR": str(var_dir), "PORT": str(port), "PYTHONUNBUFFERED": "1"})
    return env


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def descendants(pid: int) -> set[int]:
    found, frontier = set(), [pid]
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                    found.add(int(entry.name))
                    frontier.append(int(entry.name))
    return found


def is_running(pid: int) -> bool:
    """True for a live process; a zombie waiting for its reaper has stopped running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def describe(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return str(pid)


GRADE_THROUGH_THE_EMBEDDED_BROKER = """
import time
from django.contrib.auth.models import User
from grading.models import Submission
from grading.services import submit_solution
from labs.catalog import load_lab
from labs.models import Lab

for slug in SLUGS:
    lab = Lab.objects.get(slug=slug)
    source = (load_lab(lab.slug).folder / "reference.py").read_text()
    submission = submit_solution(User.objects.get(username="learner"), lab, source=source)
    deadline = time.monotonic() + 180
    while not submission.is_final and time.monotonic() < deadline:
        time.sleep(0.5)
        submission.refresh_from_db()
    print(slug, submission.status, submission.score)
"""
# A torch lab, an ML-engineering lab (its own warm interpreter) and one that trains on the
# generated MNIST through the store's run view.
EMBEDDED_LABS = ["dl-07-iou", "mle-03-sklearn-pipeline", "mle-04-mnist-torchscript"]


@pytest.mark.slow
@pytest.mark.integration
def test_it_serves_the_site_and_a_worker_with_no_external_server(tmp_path):
    port = free_port()
    env = embedded_env(tmp_path, port)
    env["CELERY_RESULT_BACKEND"] = f"file://{tmp_path}/results"
    (tmp_path / "results").mkdir()
    log = (tmp_path / "run.log").open("w+")
    launcher = subprocess.Popen(
        [sys.executable, "manage.py", "runall"], cwd=PROJECT_DIR, env=env,
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and launcher.poll() is None:
            try:
                status, body = get_json(f"http://127.0.0.1:{port}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert status == 200, output
        assert body["checks"]["broker"] == {"ok": True}
        assert (tmp_path / "db.sqlite3").exists()
        assert "learner / learner-demo-pass" in output
        # The labs' datasets: generated sets in the real layout, since the store was empty.
        assert "generated: mnist, fashion_mnist, cifar10, breast_cancer, diabetes, digits" in output
        assert (tmp_path / "datasets" / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()

        # A job goes from a web-side process to the worker through the embedded broker.
        sent = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "from core.tasks import ping; print(ping.delay().get(timeout=60)['database'])"],
            cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=90,
        )  # fmt: skip
        assert sent.stdout.strip().splitlines()[-1] == "sqlite", sent.stderr

        # Learners' submissions are routed to their tier's queue and graded by that worker.
        script = f"SLUGS = {EMBEDDED_LABS!r}\n" + GRADE_THROUGH_THE_EMBEDDED_BROKER
        graded = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        lines = graded.stdout.strip().splitlines()[-len(EMBEDDED_LABS) :]
        assert lines == [f"{slug} done 1.0" for slug in EMBEDDED_LABS], graded.stderr[-3000:]

        # A second start from the same folder is refused with a clear message.
        second = run_manage("runall", scrub=EMBEDDED_SCRUB, env=embedded_env(tmp_path, free_port()))
        assert second.returncode != 0
        assert "already running" in second.stderr
        assert "Traceback" not in second.stderr

        children = descendants(launcher.pid)
        assert len(children) >= 2  # gunicorn and celery, with their workers
    finally:
        launcher.send_signal(signal.SIGINT)
        launcher.wait(timeout=40)
        log.close()
    time.sleep(1)
    assert [describe(pid) for pid in children if is_running(pid)] == []


def test_a_second_start_is_refused_while_the_lock_is_held(tmp_path):
    with (tmp_path / "run.lock").open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 4242, port 8000")
        held.flush()
        result = run_manage("runall", scrub=EMBEDDED_SCRUB, env=embedded_env(tmp_path, free_port()))
    assert result.returncode != 0
    assert "already running" in result.stderr
    assert "pid 4242" in result.stderr


def test_an_unreachable_broker_is_named(tmp_path):
    env = embedded_env(tmp_path, free_port())
    env["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"
    result = run_manage("runall", scrub=EMBEDDED_SCRUB, env=env)
    assert result.returncode != 0
    assert "CELERY_BROKER_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_taken_port_is_named(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_manage("runall", scrub=EMBEDDED_SCRUB, env=embedded_env(tmp_path, port))
    assert result.returncode != 0
    assert "PORT" in result.stderr
