"""GPU labs (lab.toml's device = "gpu") go to the labs.gpu queues while a GPU worker is online
and to the CPU queues otherwise, decided when the job is sent and kept on its row; a GPU worker
says it is online by a heartbeat in the shared cache, written from its main process and gone
when it stops; a job left waiting for a GPU worker that went away is sent to the CPU by the
sweeper; the result page says, in Russian, which device graded it."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from grading import queues, services
from grading.models import Submission
from grading.queues import Tier
from grading.services import submit_solution, sweep_stuck_jobs
from labs.models import Lab
from tests.conftest import PROJECT_DIR, database_url_for_subprocess
from tests.manage_subprocess import run_manage
from tests.test_grading_reliability import own_redis, stop

pytestmark = pytest.mark.django_db


def make_lab(slug: str, device: str) -> Lab:
    return Lab.objects.create(
        slug=slug, title=f"Лабораторная {slug}", device=device, statement="-", starter_code="-",
        limits={"wall_s": 30}, tests=[{"name": "t", "weight": 1, "title": "T"}], catalog_hash="-",
    )  # fmt: skip


@pytest.fixture
def gpu_lab(db) -> Lab:
    return make_lab("dl-01-on-gpu", "gpu")


@pytest.fixture
def broker(monkeypatch):
    """What would be published, for the tests that need no broker."""
    sent: list[tuple[int, str]] = []
    monkeypatch.setattr(
        queues, "send_job", lambda task, job_id, queue, **kw: sent.append((job_id, queue))
    )
    return sent


def submit(learner, lab, capture, tier=Tier.PRACTICE) -> Submission:
    with capture(execute=True):
        return submit_solution(learner, lab, source="x = 1", tier=tier)


# --- The routing decision ----------------------------------------------------------------------
def test_a_gpu_lab_goes_to_the_gpu_queues_while_a_gpu_worker_beats(
    alice, gpu_lab, broker, django_capture_on_commit_callbacks
):
    queues.record_gpu_heartbeat("gpu@node")
    practice = submit(alice, gpu_lab, django_capture_on_commit_callbacks)
    exam = submit(alice, gpu_lab, django_capture_on_commit_callbacks, Tier.EXAM)
    assert broker == [(practice.pk, "labs.gpu"), (exam.pk, "labs.gpu.exam")]
    assert {s.device for s in Submission.objects.all()} == {"gpu"}
    # A CPU lab stays on the CPU whatever is online.
    cpu = submit(alice, make_lab("dl-07-on-cpu", "cpu"), django_capture_on_commit_callbacks)
    assert broker[-1] == (cpu.pk, "labs.cpu") and Submission.objects.get(pk=cpu.pk).device == "cpu"


def test_without_a_gpu_worker_a_gpu_lab_falls_back_to_the_cpu(
    alice, gpu_lab, broker, django_capture_on_commit_callbacks
):
    submission = submit(alice, gpu_lab, django_capture_on_commit_callbacks)
    assert broker == [(submission.pk, "labs.cpu")]
    assert Submission.objects.get(pk=submission.pk).device == "cpu"


def test_a_cache_that_does_not_answer_sends_gpu_labs_to_the_cpu(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(cache, "get", broken)
    assert queues.gpu_worker_online() is False
    assert queues.route_device("gpu") == "cpu"


def test_only_a_gpu_node_reading_the_gpu_queues_beats(settings):
    settings.GRADING_DEVICE = "cuda"
    assert queues.serves_gpu_jobs(queues.worker_queues(["gpu"], default=False))
    assert not queues.serves_gpu_jobs(queues.worker_queues(["cpu"]))
    settings.GRADING_DEVICE = "cpu"  # `make run`'s worker reads every queue, on a CPU
    assert not queues.serves_gpu_jobs(queues.worker_queues())


def test_the_heartbeat_expires_and_a_clean_stop_clears_it_at_once(settings):
    settings.GRADING_GPU_HEARTBEAT_S = 1
    beat = queues.GpuHeartbeat("gpu@a").start()
    deadline = time.monotonic() + 5
    while not queues.gpu_worker_online() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert queues.gpu_worker_online()
    beat.stop()
    assert not queues.gpu_worker_online()
    queues.record_gpu_heartbeat("gpu@b")  # a worker that died without a word
    queues.clear_gpu_heartbeat("gpu@a")  # another one's clean stop leaves its key alone
    assert queues.gpu_worker_online()
    time.sleep(queues.HEARTBEAT_MISSES * settings.GRADING_GPU_HEARTBEAT_S + 0.5)
    assert not queues.gpu_worker_online()


def test_regrades_of_a_gpu_lab_are_routed_the_same_way(
    alice, gpu_lab, broker, django_capture_on_commit_callbacks
):
    from grading.models import Regrade
    from grading.regrading import request_regrade

    Lab.objects.filter(pk=gpu_lab.pk).update(judge_version=2)
    gpu_lab.refresh_from_db()
    graded = {"learner": alice, "lab": gpu_lab, "source": "x = 1", "score": 1.0,
              "status": Submission.Status.DONE, "judge_version": 1}  # fmt: skip
    first, second = (Submission.objects.create(**graded) for _ in range(2))
    with django_capture_on_commit_callbacks(execute=True):
        request_regrade(gpu_lab, submissions=Submission.objects.filter(pk=first.pk))
    queues.record_gpu_heartbeat("gpu@node")
    with django_capture_on_commit_callbacks(execute=True):
        request_regrade(gpu_lab, submissions=Submission.objects.filter(pk=second.pk))
    on_cpu, on_gpu = (Regrade.objects.get(submission=s) for s in (first, second))
    assert (on_cpu.device, on_gpu.device) == ("cpu", "gpu")
    assert broker == [(on_cpu.pk, "labs.cpu.regrade"), (on_gpu.pk, "labs.gpu.regrade")]


# --- After the decision ------------------------------------------------------------------------
def test_a_claim_records_the_device_of_the_worker_that_grades(alice, gpu_lab, settings):
    job = Submission.objects.create(learner=alice, lab=gpu_lab, source="x = 1", device="cpu")
    settings.GRADING_DEVICE = "cuda"
    claim = services.claim_job(Submission, job.pk, "gpu@node|h|1", wall_s=30)
    assert isinstance(claim, uuid.UUID)
    assert Submission.objects.get(pk=job.pk).device == "gpu"


def test_a_job_waiting_for_a_gpu_worker_that_went_away_goes_to_the_cpu(
    alice, gpu_lab, broker, monkeypatch
):
    monkeypatch.setattr(queues, "queue_lengths", lambda names, **kw: dict.fromkeys(names, 4))
    long_ago = timezone.now() - timedelta(seconds=services.REQUEUE_AFTER_S + 5)
    job = Submission.objects.create(
        learner=alice, lab=gpu_lab, source="x = 1", device="gpu", enqueued_at=long_ago
    )
    queues.record_gpu_heartbeat("gpu@node")
    assert sweep_stuck_jobs()["resent"] == 0  # its worker is there: it waits its turn
    cache.clear()
    assert sweep_stuck_jobs()["resent"] == 1
    assert broker == [(job.pk, "labs.cpu")]
    assert Submission.objects.get(pk=job.pk).device == "cpu"


def test_the_result_page_says_which_device_graded_it_in_russian(client, alice, gpu_lab):
    done, queued = Submission.Status.DONE, Submission.Status.QUEUED
    fallback = Submission.objects.create(
        learner=alice, lab=gpu_lab, source="x = 1", device="cpu", status=done, score=1.0
    )
    on_gpu = Submission.objects.create(
        learner=alice, lab=gpu_lab, source="x = 1", device="gpu", status=queued
    )
    client.force_login(alice)
    body = client.get(f"/submissions/{fallback.pk}/").content.decode()
    assert "Проверено на CPU." in body
    assert "ни один GPU-исполнитель не был в сети" in body
    body = client.get(f"/submissions/{on_gpu.pk}/").content.decode()
    assert "Будет проверено на GPU." in body and "GPU-исполнитель" not in body


# --- With a real GPU worker and a real broker --------------------------------------------------
def submit_in_a_web_process(broker_url: str, username: str, slug: str) -> int:
    """Submit as the web does, in a process of its own whose Celery publishes to ``broker_url``."""
    code = (
        "from django.contrib.auth import get_user_model; from labs.models import Lab; "
        "from grading.services import submit_solution; "
        f"user = get_user_model().objects.get(username={username!r}); "
        f"print(submit_solution(user, Lab.objects.get(slug={slug!r}), source='x = 1').pk)"
    )
    env = {"CELERY_BROKER_URL": broker_url, "CELERY_RESULT_BACKEND": "",
           "DATABASE_URL": database_url_for_subprocess()}  # fmt: skip
    done = run_manage("shell", "-c", code, env=env)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


@pytest.mark.integration
@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_a_real_gpu_worker_takes_gpu_labs_and_without_it_they_go_to_the_cpu(
    alice, bob, gpu_lab, tmp_path
):
    import redis

    empty_catalogue = tmp_path / "catalogue"
    empty_catalogue.mkdir()
    with own_redis(tmp_path) as (port, _servers):
        broker_url = f"redis://127.0.0.1:{port}/0"
        hostname = f"gpu-{uuid.uuid4().hex[:8]}@test"
        log_path = tmp_path / "gpu-worker.log"
        with log_path.open("w") as log:
            # A worker of a GPU node reading the GPU queues; its catalogue lacks the lab, so a
            # job it takes is claimed (the row says who and on what) and given back, never run.
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker",
                 "--queues", ",".join(queues.worker_queues(["gpu"], default=False)),
                 "--pool", "threads", "--concurrency", "1", "--loglevel", "INFO",
                 "--hostname", hostname, "--without-gossip", "--without-mingle"],
                cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "CELERY_BROKER_URL": broker_url, "CELERY_RESULT_BACKEND": "",
                     "DATABASE_URL": database_url_for_subprocess(), "GRADING_DEVICE": "cuda",
                     "GRADING_GPU_HEARTBEAT_S": "1", "LAB_CATALOG_DIR": str(empty_catalogue),
                     "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
            try:
                wait_for(queues.gpu_worker_online, 60, "the GPU worker's heartbeat", log_path)
                on_gpu = submit_in_a_web_process(broker_url, "alice", gpu_lab.slug)
                wait_for(
                    lambda: hostname in Submission.objects.get(pk=on_gpu).worker,
                    60, "the GPU worker to claim the job", log_path,
                )  # fmt: skip
                assert Submission.objects.get(pk=on_gpu).device == "gpu"
            finally:
                stop(worker)
        assert not queues.gpu_worker_online()  # a clean stop clears its heartbeat at once

        on_cpu = submit_in_a_web_process(broker_url, "bob", gpu_lab.slug)
        assert Submission.objects.get(pk=on_cpu).device == "cpu"
        waiting = redis.Redis(port=port)

        def jobs_in(queue: str) -> list[list[int]]:
            messages = [json.loads(m) for m in waiting.lrange(queue, 0, -1)]
            return [list(ast.literal_eval(m["headers"]["argsrepr"])) for m in messages]

        assert jobs_in("labs.cpu") == [[on_cpu]]
        # The job the GPU worker gave back at its stop waits for a GPU worker (the sweeper
        # sends it to the CPU if none comes back: see the test above).
        assert jobs_in("labs.gpu") == [[on_gpu]]


def wait_for(condition, timeout_s: float, what: str, log_path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"waited {timeout_s} s for {what}; the worker's log:\n{log_path.read_text()}")


def test_the_operations_page_says_where_gpu_labs_go(client, ada):
    client.force_login(ada)
    page = client.get("/admin/grading/submission/operations/").content.decode()
    assert "Лабораторные для GPU отправляются в очереди CPU" in page
    queues.record_gpu_heartbeat("gpu@node-7")
    page = client.get("/admin/grading/submission/operations/").content.decode()
    assert "GPU-исполнитель gpu@node-7 в сети" in page
