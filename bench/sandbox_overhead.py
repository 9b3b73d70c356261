"""sandbox_empty_job_p50_ms / sandbox_torch_lab_p50_ms: what the sandbox adds per job.

Value: the caller's wall time of ``run_job`` on a warm zygote. Baseline, in the same run: a
plain ``fork()`` of an interpreter warmed exactly like the zygote (same preload, GC freeze and
huge pages), the child running the same file and exiting, timed from fork to reap; no
isolation at all. The lab is a small torch+ONNX exercise: 60 Adam steps on a tiny CNN, an
ONNX export, 20 onnxruntime runs. Needs root and a cgroup, like the sandbox itself.

Usage: python -m bench.sandbox_overhead   (or through bench/run.py once registered)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

EMPTY_ROUNDS = 30
LAB_ROUNDS = 5
PROJECT = Path(__file__).resolve().parent.parent

EMPTY_JOB = "pass\n"
LAB_JOB = """
import numpy as np, onnxruntime as ort, torch
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * 14 * 14, 10)
)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x, y = torch.rand(32, 1, 16, 16), torch.randint(0, 10, (32,))
for _ in range(60):
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
model.eval()
torch.onnx.export(model, (x[:1],), "model.onnx", input_names=["x"],
                  dynamic_axes={"x": {0: "batch"}}, dynamo=False)
session = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
for _ in range(20):
    session.run(None, {"x": x.numpy()})
"""

# Runs in a fresh interpreter started like the zygote (isolated mode, one thread), warmed by
# the zygote's own code; then, for each job name read from stdin, times one plain fork running
# that job's file: the cost of the job without any sandbox.
_PLAIN_FORK = """
import gc, json, os, runpy, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
from grading.sandbox import zygote
zygote._preload(list(zygote.DEFAULT_PRELOAD))
gc.collect()
gc.freeze()
getattr(zygote, "_collapse_to_huge_pages", lambda: 0)()
directories = {}
for name, source in json.loads(sys.argv[2]).items():
    directories[name] = tempfile.mkdtemp()
    with open(os.path.join(directories[name], "main.py"), "w") as f:
        f.write(source)
print("ready", flush=True)
for line in sys.stdin:
    directory = directories[line.strip()]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.chdir(directory)
        try:
            runpy.run_path("main.py", run_name="__main__")
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    print(json.dumps([status, time.perf_counter() - started]), flush=True)
"""


class _PlainFork:
    """The no-sandbox baseline, run in turn with the sandbox so both see the same load."""

    def __init__(self, jobs: dict[str, str]) -> None:
        from grading.sandbox.zygote import ZYGOTE_ENV

        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", _PLAIN_FORK, str(PROJECT), json.dumps(jobs)],
            env=dict(ZYGOTE_ENV),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # the lab's own warnings; failures show in the status
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def time(self, name: str) -> float:
        self.process.stdin.write(name + "\n")
        self.process.stdin.flush()
        status, seconds = json.loads(self.process.stdout.readline())
        assert status == 0, f"the plain fork of {name} failed ({status})"
        return seconds

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _sandbox_time(zygote, job) -> float:
    from grading.sandbox import run_job

    started = time.perf_counter()
    outcome = run_job(job, zygote)
    elapsed = time.perf_counter() - started
    assert outcome.ok, outcome.stderr
    return elapsed


def _figure(sandbox: list[float], plain: list[float], target: str) -> dict:
    value, baseline = statistics.median(sandbox) * 1000, statistics.median(plain) * 1000
    return {
        "value": round(value, 1),
        "unit": "ms",
        "baseline": round(baseline, 1),
        "ratio": round(value / baseline, 2),
        "overhead_ms": round(value - baseline, 1),
        "target": target,
        "rounds": len(sandbox),
    }


def run() -> dict:
    from grading.sandbox import Limits, SandboxJob, Zygote

    sources = {"empty": EMPTY_JOB, "lab": LAB_JOB}
    jobs = {
        name: SandboxJob(files={"main.py": source.encode()}, entry="main.py", limits=Limits())
        for name, source in sources.items()
    }
    rounds = {"empty": EMPTY_ROUNDS, "lab": LAB_ROUNDS}
    sandbox: dict[str, list[float]] = {name: [] for name in jobs}
    plain: dict[str, list[float]] = {name: [] for name in jobs}
    baseline = _PlainFork(sources)
    try:
        with Zygote() as zygote:
            for name, job in jobs.items():
                _sandbox_time(zygote, job)  # first runs warm the file cache on both sides
                baseline.time(name)
                for _ in range(rounds[name]):
                    sandbox[name].append(_sandbox_time(zygote, job))
                    plain[name].append(baseline.time(name))
    finally:
        baseline.close()
    return {
        "sandbox_empty_job_p50_ms": _figure(
            sandbox["empty"], plain["empty"], "as low as isolation allows"
        ),
        "sandbox_torch_lab_p50_ms": _figure(sandbox["lab"], plain["lab"], "ratio < 1.2"),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
