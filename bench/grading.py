"""Grading figures, each against a baseline taken in the same run:

- grade_latency_p50_ms / grade_latency_p95_ms: submit -> final result through Celery and Redis
  for dl-07-iou, 100 sequential jobs, one worker process; baseline: the same tests run in this
  warm Python process without sandbox, broker or database.
- grade_throughput_jobs_per_s: 200 queued dl-07-iou jobs, two worker processes; baseline: the
  plain in-process rate of the same tests.
- sandbox_overhead_ratio: dl-10-mlops-onnx-pipeline graded through the sandbox over the plain
  in-process run of the same tests (both warm, same inputs).
- clean_check_step_ms: the cost of dl-10's second, clean sandboxed step alone (grader code
  over the files the learner's functions wrote), as the worker sees it; baseline: the same
  check code run in this process without sandbox.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

LATENCY_JOBS = 100
THROUGHPUT_JOBS = 200
OVERHEAD_ROUNDS = 7
PROJECT_DIR = Path(__file__).resolve().parent.parent


class _PlainObservation:
    def __init__(self, sink: dict, name: str) -> None:
        self.sink, self.name, self.value = sink, name, None

    def __enter__(self):
        return self

    def __exit__(self, kind, error, tb):
        self.sink[self.name] = None if error else _plain(self.value)
        return True


class _PlainObserve:
    """The runner's observe() without a sandbox or channel: values kept in a dict."""

    def __init__(self) -> None:
        self.observed: dict = {}

    def __call__(self, name: str) -> _PlainObservation:
        return _PlainObservation(self.observed, name)

    def handoff(self, name: str) -> str:
        Path("out/handoff").mkdir(parents=True, exist_ok=True)
        return f"out/handoff/{name}"


def _plain(value):
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _module_from(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _with_paths(inputs: dict) -> dict:
    """Inputs as the runner hands them to a probe: bytes become files, given by path."""
    given = {}
    for key, value in inputs.items():
        if isinstance(value, bytes):
            path = Path(f"_input_{key}.bin")
            path.write_bytes(value)
            given[key] = str(path)
        else:
            given[key] = value
    return given


def plain_run(lab, seed: int, timings: dict | None = None) -> float:
    """The lab's probe (and clean check) and judge on its reference solution, in this
    process, without sandbox: seconds (``timings["check_s"]``: the check's part)."""
    from grading.engine import JobFacts
    from labs.grader_api import Draw, Evidence, Source

    spec = lab.grader
    reference = (lab.folder / "reference.py").read_text(encoding="utf-8")
    started = time.perf_counter()
    prepared = spec.prepare(Draw(seed))
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        solution = _module_from(lab.folder / "reference.py", "solution")
        probe = _module_from(lab.folder / "probe.py", "_lab_probe")
        observe = _PlainObserve()
        probe.run(solution, observe, {"device": "cpu", **_with_paths(prepared.inputs)})
        checked = _PlainObserve()
        if spec.has_check:
            check_started = time.perf_counter()
            check = _module_from(lab.folder / "check.py", "_lab_check")
            check.run(checked, _with_paths(prepared.check_inputs), "out/handoff")
            if timings is not None:
                timings["check_s"] = time.perf_counter() - check_started
        evidence = Evidence(
            observed=observe.observed,
            checked=checked.observed,
            job=JobFacts(cpu_s=0.0, wall_s=0.0, memory_peak_mb=None, limit_hit=None),
            source=Source(reference),
        )
        for test in spec.tests:
            verdict = spec.judge(test.name, evidence, prepared.hidden)
            if not verdict.passed:
                raise RuntimeError(f"plain run of {lab.slug}: {test.name} failed")
    return time.perf_counter() - started


def fresh_process_run(lab, seed: int) -> float:
    """The same job files run by a new plain `python` (no sandbox, no warm interpreter): what
    grading without the zygote would cost per job. Seconds."""
    from grading.engine import run_step_files
    from labs.grader_api import Draw

    prepared = lab.grader.prepare(Draw(seed))
    reference = (lab.folder / "reference.py").read_text(encoding="utf-8")
    files = run_step_files(lab, {"device": "cpu", **prepared.inputs}, reference)
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files.items():
            (Path(folder) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(folder) / name).write_bytes(data)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "_runner.py"], cwd=folder, check=True, capture_output=True,
            env={"PATH": os.environ.get("PATH", ""), "OMP_NUM_THREADS": "1"},
        )  # fmt: skip
        return time.perf_counter() - started


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user, host = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1"
    return f"postgres://{user}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextlib.contextmanager
def worker(concurrency: int):
    env = {**os.environ, "DATABASE_URL": _database_url()}
    log = open(PROJECT_DIR / "var" / f"bench-worker-{concurrency}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--queues", "labs.cpu",
         "--concurrency", str(concurrency), "--loglevel", "WARNING", "--without-gossip",
         "--without-mingle", "--hostname", f"bench{concurrency}@%h"],
        cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_ready(f"bench{concurrency}@{os.uname().nodename}", concurrency)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_ready(name: str, concurrency: int) -> None:
    from config.celery import app

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stats = app.control.inspect(destination=[name], timeout=1.0).stats() or {}
        pool = stats.get(name, {}).get("pool", {})
        if len(pool.get("processes", [])) >= concurrency:
            time.sleep(8)  # each pool process warms its zygote (torch import) after start
            return
    raise RuntimeError(f"worker {name} did not start")


def _submit(lab, learner, source: str):
    from grading.services import submit_solution

    return submit_solution(learner, lab, source=source)


def _wait_final(ids: list[int], timeout_s: float = 600, poll_s: float = 0.002) -> dict[int, float]:
    from grading.models import Submission

    done: dict[int, float] = {}
    deadline = time.monotonic() + timeout_s
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        finished = set(
            Submission.objects.filter(pk__in=pending, status__in=Submission.FINAL).values_list(
                "pk", flat=True
            )
        )
        now = time.perf_counter()
        for pk in finished:
            done[pk] = now
        pending -= finished
        if pending:
            time.sleep(poll_s)
    if pending:
        raise RuntimeError(f"{len(pending)} jobs did not finish")
    return done


def run() -> dict:
    from config.celery import app
    from grading.engine import grade_source
    from grading.models import Submission
    from labs.catalog import load_lab
    from labs.models import Lab
    from labs.sync import sync_labs
    from tests.factories import LearnerFactory

    settings.GRADING_MAX_ACTIVE_PER_LEARNER = 10**6
    settings.GRADING_MAX_PER_WINDOW = 10**6
    sync_labs()
    learner = LearnerFactory(username="bench")
    iou_spec = load_lab("dl-07-iou")
    iou = Lab.objects.get(slug="dl-07-iou")
    reference = (iou_spec.folder / "reference.py").read_text(encoding="utf-8")
    app.control.purge()

    plain = [plain_run(iou_spec, seed) for seed in range(30)]
    plain_ms = statistics.median(plain) * 1000

    latencies = []
    with worker(concurrency=1):
        for _ in range(LATENCY_JOBS):
            started = time.perf_counter()
            submission = _submit(iou, learner, reference)
            finished = _wait_final([submission.pk])[submission.pk]
            latencies.append((finished - started) * 1000)
    bad = list(Submission.objects.exclude(score=1.0).values_list("pk", "status", "message"))
    if bad:
        raise RuntimeError(f"benchmark jobs that did not score 100%: {bad}")
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(0.95 * len(latencies)) - 1]

    with worker(concurrency=2):
        started = time.perf_counter()
        ids = [_submit(iou, learner, reference).pk for _ in range(THROUGHPUT_JOBS)]
        # Poll gently: on two cores a tight loop here would take CPU from the workers.
        finished = _wait_final(ids, poll_s=0.1)
        elapsed = max(finished.values()) - started
    throughput = THROUGHPUT_JOBS / elapsed

    onnx_spec = load_lab("dl-10-mlops-onnx-pipeline")
    onnx_reference = (onnx_spec.folder / "reference.py").read_text(encoding="utf-8")
    plain_onnx, sandboxed_onnx, fresh_onnx = [], [], []
    plain_check, sandboxed_check = [], []
    grade_source(onnx_spec, onnx_reference, seed=0)  # warm the zygote and the judge
    plain_run(onnx_spec, 0)
    for seed in range(OVERHEAD_ROUNDS):
        timings: dict = {}
        plain_onnx.append(plain_run(onnx_spec, seed, timings))
        plain_check.append(timings["check_s"])
        started = time.perf_counter()
        result = grade_source(onnx_spec, onnx_reference, seed=seed)
        sandboxed_onnx.append(time.perf_counter() - started)
        sandboxed_check.append(result.timings["check_s"])
        if result.score != 1.0:
            raise RuntimeError(f"dl-10 reference scored {result.score}")
        if seed < 3:
            fresh_onnx.append(fresh_process_run(onnx_spec, seed))
    connection.close()
    plain_p95_ms = sorted(plain)[int(0.95 * len(plain)) - 1] * 1000
    overhead = statistics.median(sandboxed_onnx) / statistics.median(plain_onnx)
    return {
        "grade_latency_p50_ms": {
            "value": round(p50, 1),
            "unit": "ms",
            "baseline": round(plain_ms, 1),
            "baseline_what": "same tests in a plain warm process, median",
            "target": "< 300 ms",
            "jobs": LATENCY_JOBS,
        },
        "grade_latency_p95_ms": {
            "value": round(p95, 1),
            "unit": "ms",
            "baseline": round(plain_p95_ms, 1),
            "jobs": LATENCY_JOBS,
        },
        "grade_throughput_jobs_per_s": {
            "value": round(throughput, 2),
            "unit": "jobs/s",
            "baseline": round(1000 / plain_ms, 1),
            "baseline_what": "plain in-process rate of the same tests, one core",
            "target": ">= 8 jobs/s",
            "jobs": THROUGHPUT_JOBS,
            "workers": 2,
        },
        "sandbox_overhead_ratio": {
            "value": round(overhead, 3),
            "unit": "ratio",
            "baseline": round(statistics.median(plain_onnx), 3),
            "baseline_unit": "s (plain run)",
            "sandboxed_s": round(statistics.median(sandboxed_onnx), 3),
            "target": "< 1.2",
            "rounds": OVERHEAD_ROUNDS,
        },
        "clean_check_step_ms": {
            "value": round(statistics.median(sandboxed_check) * 1000, 1),
            "unit": "ms",
            "baseline": round(statistics.median(plain_check) * 1000, 1),
            "baseline_what": "the same check code in this process, without sandbox",
            "share_of_grade": round(
                statistics.median(sandboxed_check) / statistics.median(sandboxed_onnx), 3
            ),
            "lab": "dl-10-mlops-onnx-pipeline",
            "rounds": OVERHEAD_ROUNDS,
        },
        "sandbox_vs_fresh_process_ratio": {
            "value": round(statistics.median(sandboxed_onnx) / statistics.median(fresh_onnx), 3),
            "unit": "ratio",
            "baseline": round(statistics.median(fresh_onnx), 3),
            "baseline_unit": "s (the same job files run by a new plain python, no sandbox)",
            "sandboxed_s": round(statistics.median(sandboxed_onnx), 3),
        },
    }
