"""Grading survives what production throws at it, checked through real parts (no mocks):

- a pool process SIGKILLed mid-job: Celery rejects the unacknowledged message back to the
  queue, the next delivery takes the dead holder's claim over, and the job is recorded once;
- a broker restart that loses the queue: the sweeper sends stuck queued jobs again and times
  out running jobs whose worker vanished;
- a job never runs past its limits, whatever the learner's code does.

Each test drives the real Celery worker, Redis, PostgreSQL and the sandbox; waits are bounded
loops on the database, never assertions on how long the test took.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from celery.concurrency.asynpool import PROC_ALIVE_TIMEOUT
from django.db import connection
from django.utils import timezone

from grading import services
from grading.models import Submission
from grading.services import submit_solution, sweep_stuck_submissions
from labs.catalog import load_lab
from labs.models import Lab
from labs.sync import sync_labs
from tests.conftest import PROJECT_DIR, database_url_for_subprocess
from tests.manage_subprocess import run_manage

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WAIT_S = 180  # generous: a fresh pool process imports torch before it takes the next job

# The reference solution, slowed down on its first call so the job is long enough to kill.
# It also leaves a process named after a marker inside the job: if the sandbox failed to
# tear the killed job down, that process would still be there.
SLOW_FIRST_CALL = """
import os as _os
import time as _time

_MARKER = "{marker}"
_calls = []
_reference_iou = iou


def iou(box1, box2):
    if not _calls:
        _calls.append(1)
        if _os.fork() == 0:
            _os.execv("/bin/sleep", [_MARKER, "300"])  # argv[0] names it
        _time.sleep({seconds})
    return _reference_iou(box1, box2)
"""


def reference_source() -> str:
    return (load_lab("dl-07-iou").folder / "reference.py").read_text(encoding="utf-8")


def wait_for(
    predicate: Callable[[], object], seconds: float, what: str, poll_s: float = 0.1
) -> object:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll_s)
    pytest.fail(f"gave up after {seconds} s waiting for {what}")


def refreshed(submission: Submission) -> Submission:
    submission.refresh_from_db()
    return submission


def wait_final(submission: Submission, seconds: float = WAIT_S) -> Submission:
    wait_for(
        lambda: refreshed(submission).is_final,
        seconds,
        f"submission {submission.pk} to finish (still {submission.status})",
        poll_s=0.3,
    )
    return submission


def processes_with(text: str) -> list[int]:
    """Live host pids whose command line contains ``text``."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in cmdline and is_alive(int(name)):
            found.append(int(name))
    return found


def is_alive(pid: int) -> bool:
    """True for a process that still runs (a zombie waiting to be reaped runs nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def descendants_of(pid: int) -> set[int]:
    """Every live process below ``pid`` (its zygote, the job's supervisor and processes)."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{name}/stat").read_text()
            parents[int(name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier}
        frontier = children - found
        found |= children
    return found


def children_of(pid: int) -> list[int]:
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


def age_s(pid: int) -> float:
    """How long ``pid`` has existed, from /proc (start time in clock ticks since boot)."""
    started_ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - started_ticks / os.sysconf("SC_CLK_TCK")


def settled_pool(worker_pid: int) -> list[int]:
    """The worker's pool processes that outlived Celery's start-up check: a process that is
    not "up" within PROC_ALIVE_TIMEOUT is killed and replaced."""
    settled = []
    for pid in children_of(worker_pid):
        with contextlib.suppress(OSError):
            if is_alive(pid) and age_s(pid) > 3 * PROC_ALIVE_TIMEOUT:
                settled.append(pid)
    return settled


def pool_pid(submission: Submission) -> int:
    """The pool process holding the claim: Submission.worker is "hostname|machine|pid"."""
    return int(submission.worker.rsplit("|", 2)[2])


@pytest.mark.timeout(600)
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_is_graded_again_and_recorded_once(celery_worker_process, alice):
    sync_labs()
    lab = Lab.objects.get(slug="dl-07-iou")
    marker = "sbxkill" + uuid.uuid4().hex[:12]
    source = reference_source() + SLOW_FIRST_CALL.format(marker=marker, seconds=3)
    submission = submit_solution(alice, lab, source=source)

    # The job is inside its slow first call once the marker process exists.
    wait_for(
        lambda: refreshed(submission).status == Submission.Status.RUNNING,
        WAIT_S,
        "the job to be claimed",
    )
    job_processes = wait_for(lambda: processes_with(marker), WAIT_S, "the job to start")
    victim = pool_pid(submission)
    # Guard against killing anything but a pool process of the fixture's worker.
    assert f"PPid:\t{celery_worker_process.pid}\n" in Path(f"/proc/{victim}/status").read_text()
    below_victim = descendants_of(victim)
    assert set(job_processes) <= below_victim
    os.kill(victim, signal.SIGKILL)

    wait_final(submission)
    assert submission.status == Submission.Status.DONE, submission.message
    assert submission.score == 1.0
    assert submission.deliveries == 2
    assert pool_pid(submission) != victim
    results = submission.results.all()
    assert sorted(results.values_list("name", flat=True)) == sorted(t["name"] for t in lab.tests)
    assert all(result.passed for result in results)
    # Nothing of the killed job is left: its zygote, supervisor and the job's own processes
    # (the second delivery's job has ended too, so no marker process at all).
    assert [pid for pid in below_victim if is_alive(pid)] == []
    assert processes_with(marker) == []

    # The worker gets its second pool process back for good (its replacement warms the
    # sandbox up without being killed for a slow start).
    def full_pool() -> list[int]:
        assert celery_worker_process.poll() is None, "the worker exited"
        pool = settled_pool(celery_worker_process.pid)
        return pool if len(pool) == 2 else []

    pool = wait_for(full_pool, WAIT_S, "the killed pool process to be replaced", poll_s=0.5)
    assert victim not in pool


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int, log_dir: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(log_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_for(lambda: redis_answers(port), 30, f"redis-server on port {port}")
    return server


def redis_answers(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(port=port, socket_timeout=1).ping())
    except redis.ConnectionError:
        return False


def stop(process: subprocess.Popen, grace_s: float = 20) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def own_redis(tmp_path: Path) -> Iterator[tuple[int, list[subprocess.Popen]]]:
    """A private redis-server (the shared one on 6379 is never restarted); every server the
    test starts goes into the yielded list and is stopped at the end."""
    port = free_port()
    servers = [start_redis(port, tmp_path)]
    try:
        yield port, servers
    finally:
        for server in servers:
            stop(server)


@pytest.mark.timeout(600)
@pytest.mark.django_db(transaction=True)
def test_a_redis_restart_loses_no_submission(alice, tmp_path):
    import redis

    sync_labs()
    lab = Lab.objects.get(slug="dl-07-iou")
    # Written directly rather than through submit_solution, which would also send the job to
    # the session's broker, where the shared worker fixture might grade it.
    submission = Submission.objects.create(
        learner=alice,
        lab=lab,
        source=reference_source(),
        tests_total=len(lab.tests),
        enqueued_at=timezone.now(),
    )
    with own_redis(tmp_path) as (port, servers):
        broker = f"redis://127.0.0.1:{port}/0"
        env = {
            "CELERY_BROKER_URL": broker,
            "CELERY_RESULT_BACKEND": "",
            "DATABASE_URL": database_url_for_subprocess(),
        }
        web = run_manage(
            "shell", "-c", f"from grading.services import enqueue; enqueue({submission.pk}, "
            f"{lab.queue!r})", env=env,
        )  # fmt: skip
        assert web.returncode == 0, web.stderr
        assert redis.Redis(port=port).llen(lab.queue) == 1

        # The broker restarts without persistence: the queued message is gone.
        servers[0].kill()
        servers[0].wait()
        servers.append(start_redis(port, tmp_path))
        assert redis.Redis(port=port).llen(lab.queue) == 0

        log_path = tmp_path / "worker.log"
        with log_path.open("w") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker",
                 "--queues", "default,labs.cpu,labs.gpu", "--concurrency", "1",
                 "--pool", "prefork", "--loglevel", "INFO",
                 "--hostname", f"reliability-{uuid.uuid4().hex[:8]}@%h",
                 "--without-gossip", "--without-mingle"],
                cwd=PROJECT_DIR, env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                # Nothing would ever send the job again without the sweeper: the row only
                # counts as stuck once it has waited REQUEUE_AFTER_S in the queue.
                Submission.objects.filter(pk=submission.pk).update(
                    enqueued_at=timezone.now() - timedelta(seconds=services.REQUEUE_AFTER_S + 5)
                )
                sweep = run_manage(
                    "shell", "-c", "from grading.services import sweep_stuck_submissions; "
                    "print(sweep_stuck_submissions())", env=env,
                )  # fmt: skip
                assert sweep.returncode == 0, sweep.stderr
                assert "'requeued': 1" in sweep.stdout

                def finished() -> bool:
                    assert worker.poll() is None, log_path.read_text()[-3000:]
                    return refreshed(submission).is_final

                wait_for(finished, WAIT_S, "the re-sent job to be graded", poll_s=0.3)
            finally:
                stop(worker)
    assert submission.status == Submission.Status.DONE, submission.message
    assert submission.score == 1.0
    assert submission.deliveries == 1


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_times_out_a_submission_whose_worker_vanished(alice):
    sync_labs()
    lab = Lab.objects.get(slug="dl-07-iou")
    wall_s = float(lab.limits["wall_s"])
    long_ago = timezone.now() - timedelta(seconds=wall_s + services.STALE_MARGIN_S + 30)
    vanished = Submission.objects.create(
        learner=alice,
        lab=lab,
        source="x = 1",
        status=Submission.Status.RUNNING,
        started_at=long_ago,
        claim=Submission.new_claim(),
        worker="gone@host|elsewhere|12345",
        deliveries=1,
    )
    recent = Submission.objects.create(
        learner=alice,
        lab=lab,
        source="x = 1",
        status=Submission.Status.RUNNING,
        started_at=timezone.now(),
        claim=Submission.new_claim(),
        deliveries=1,
    )
    lost = Submission.objects.create(
        learner=alice,
        lab=lab,
        source="x = 1",
        enqueued_at=timezone.now() - timedelta(seconds=services.REQUEUE_AFTER_S + 30),
    )

    # Two sweepers at once (two beat instances, or one run overlapping the next) must send
    # the lost job once: each sends only if its conditional UPDATE moved enqueued_at.
    start = threading.Barrier(2)
    reports: list[dict[str, int]] = []

    def sweep() -> None:
        try:
            start.wait(timeout=30)
            reports.append(sweep_stuck_submissions())
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(reports) == 2
    assert sum(report["requeued"] for report in reports) == 1
    assert sum(report["timed_out"] for report in reports) == 1

    vanished.refresh_from_db()
    assert vanished.status == Submission.Status.TIMED_OUT
    assert vanished.claim is None and vanished.finished_at is not None
    assert "обработчик задания был потерян" in vanished.message
    recent.refresh_from_db()
    assert recent.status == Submission.Status.RUNNING
    # Re-sent means enqueued_at moved (a worker of this session may already be grading it).
    lost.refresh_from_db()
    assert lost.enqueued_at > timezone.now() - timedelta(seconds=services.REQUEUE_AFTER_S)


@pytest.mark.timeout(600)
@pytest.mark.django_db(transaction=True)
def test_a_job_never_runs_past_its_limits(celery_worker_process, alice):
    sync_labs()
    lab = Lab.objects.get(slug="dl-07-iou")
    source = "while True:\n    pass\n\n" + reference_source()
    submission = wait_final(submit_solution(alice, lab, source=source))
    assert submission.status == Submission.Status.TIMED_OUT, submission.message
    assert submission.limit_hit == "wall"
    assert "Превышено время выполнения" in submission.message
    wall_s = float(lab.limits["wall_s"])
    # The job's recorded span: claim to result, i.e. the sandbox's wall limit plus setup and
    # teardown; nowhere near the sweeper's STALE_MARGIN_S, which would mean the limit failed.
    ran_for = (submission.finished_at - submission.started_at).total_seconds()
    assert wall_s <= ran_for < wall_s + 30
    assert submission.deliveries == 1
