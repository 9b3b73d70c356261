"""dataset_read_<set>_<split>_ms: reading a full-size set through labkit inside the sandbox.

Files: generated in a temporary store at the real sizes and in the real layouts (MNIST's idx
files, 60000/10000 rows; CIFAR-10's pickled batches, 50000/10000 rows), so the bytes read are
those of the real sets. Value: the caller's wall time of ``run_job`` for a job that does
``labkit.datasets.load(name, split)`` from /datasets (the store mounted read-only, as lab jobs
see it) and nothing else. Baseline, in the same run: the same ``load`` of the same files in
this process (one thread, warm page cache, like the job). ``in_job_ms`` is the load timed
inside the job; ``in_job_ratio`` compares it with the baseline (the fixed cost of a job is in
bench/sandbox_overhead.py). Needs root and a cgroup, like the sandbox itself.

Usage: python -m bench.dataset_read   (or through bench/run.py)
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROUNDS = 5
CASES = [("mnist", "train"), ("mnist", "test"), ("cifar10", "train"), ("cifar10", "test")]
JOB = """
import json, time
from labkit import datasets
started = time.perf_counter()
x, y = datasets.load({name!r}, {split!r})
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "shape": list(x.shape), "dtype": str(x.dtype)}}))
"""


def _make_store(directory: Path) -> Path:
    from labs.dataset_store import generate
    from labs.synthetic_datasets import FULL_SIZES

    store = directory / "datasets"
    generate(store, names=["mnist", "cifar10"], sizes=FULL_SIZES)
    return store


def _job(store: Path, name: str, split: str):
    from grading.lab_mounts import LABKIT_PARENT, lab_pythonpath, labkit_source
    from grading.sandbox import Limits, SandboxJob
    from labs.labkit.datasets import STORE_PATH

    return SandboxJob(
        files={"main.py": JOB.format(name=name, split=split).encode()},
        entry="main.py",
        # CIFAR-10's train split is 614 MB of float32, read through 153 MB of bytes.
        limits=Limits(wall_s=120, cpu_s=120, memory_mb=2048),
        readonly_mounts=(
            (str(labkit_source()), f"{LABKIT_PARENT}/labkit"),
            (str(store), STORE_PATH),
        ),
        pythonpath=(".", *lab_pythonpath()),
    )


def _sandboxed(zygote, job) -> tuple[float, float, list[int]]:
    from grading.sandbox import run_job

    started = time.perf_counter()
    outcome = run_job(job, zygote)
    elapsed = time.perf_counter() - started
    assert outcome.ok, outcome.stderr[-2000:]
    report = json.loads(outcome.stdout.strip().splitlines()[-1])
    assert report["dtype"] == "torch.float32", report
    return elapsed, report["seconds"], report["shape"]


def _in_process(store: Path, name: str, split: str) -> tuple[float, list[int]]:
    from labs.labkit import datasets

    started = time.perf_counter()
    x, _ = datasets.load(name, split, root=store)
    elapsed = time.perf_counter() - started
    shape = list(x.shape)
    del x
    return elapsed, shape


def run() -> dict:
    import torch

    from grading.sandbox import Zygote

    torch.set_num_threads(1)  # as in a job
    directory = Path(tempfile.mkdtemp(prefix="bench-datasets-"))
    figures = {}
    try:
        started = time.perf_counter()
        store = _make_store(directory)
        print(f"full-size files generated in {time.perf_counter() - started:.1f} s", flush=True)
        with Zygote() as zygote:
            for name, split in CASES:
                job = _job(store, name, split)
                _sandboxed(zygote, job)  # first reads warm the page cache on both sides
                _in_process(store, name, split)
                sandbox, inside, plain = [], [], []
                for _ in range(ROUNDS):
                    wall, in_job, shape = _sandboxed(zygote, job)
                    seconds, plain_shape = _in_process(store, name, split)
                    assert shape == plain_shape, (shape, plain_shape)
                    sandbox.append(wall)
                    inside.append(in_job)
                    plain.append(seconds)
                value, baseline = statistics.median(sandbox), statistics.median(plain)
                figures[f"dataset_read_{name}_{split}_ms"] = {
                    "value": round(value * 1000, 1),
                    "unit": "ms",
                    "baseline": round(baseline * 1000, 1),
                    "ratio": round(value / baseline, 2),
                    "in_job_ms": round(statistics.median(inside) * 1000, 1),
                    "in_job_ratio": round(statistics.median(inside) / baseline, 2),
                    "rows": shape[0],
                    "target": "in_job_ratio < 1.3 (same reading code, same files)",
                    "rounds": ROUNDS,
                }
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return figures


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    print(json.dumps(run(), indent=2))
