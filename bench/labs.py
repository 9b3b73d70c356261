"""Every lab's reference solution graded through the sandbox, against the same checks run in
this warm process without sandbox, in the same run:

- lab_graded_s_<slug>: the median time of ``grade_source`` (run step, clean check step, judge)
  on the reference, through the warm zygote as a worker grades it; baseline: the median of
  ``bench.grading.plain_run`` (the probe, check and judge on the reference in this process).
  ``ratio`` is graded over plain: the cost of isolation for that lab.
- lab_fixed_cost_ms: an empty sandboxed job (the cost every lab pays once per step), against a
  plain fork of this process; the lightest labs are dominated by it.

`BENCH_LABS=dl-01-cifar-cnn,dl-07-iou` measures some labs only; `BENCH_LAB_ROUNDS` (default 3)
sets the rounds per lab. Labs that read datasets get the generated sets (the real reading code).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from bench.grading import plain_run

ROUNDS = int(os.environ.get("BENCH_LAB_ROUNDS", "3"))


def _fixed_cost() -> dict:
    from grading.sandbox import Limits, SandboxJob, default_zygote, run_job

    zygote = default_zygote()
    job = SandboxJob(files={"main.py": b"pass\n"}, entry="main.py", limits=Limits())
    run_job(job, zygote)  # warm-up
    sandboxed, forked = [], []
    for _ in range(15):
        started = time.perf_counter()
        run_job(job, zygote)
        sandboxed.append(time.perf_counter() - started)
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        forked.append(time.perf_counter() - started)
    return {
        "value": round(statistics.median(sandboxed) * 1000, 1),
        "unit": "ms",
        "baseline": round(statistics.median(forked) * 1000, 2),
        "baseline_what": "a plain fork and wait of this process, median",
        "rounds": 15,
    }


def _labs_to_measure() -> list:
    from labs.catalog import load_catalog

    wanted = [name for name in os.environ.get("BENCH_LABS", "").split(",") if name]
    labs = [lab for lab in load_catalog() if not wanted or lab.slug in wanted]
    missing = set(wanted) - {lab.slug for lab in labs}
    if missing:
        raise SystemExit(f"BENCH_LABS names labs that do not exist: {sorted(missing)}")
    return labs


def run() -> dict:
    from grading.engine import grade_source
    from grading.sandbox import default_zygote
    from labs.dataset_store import generate

    figures: dict = {"lab_fixed_cost_ms": _fixed_cost()}
    with tempfile.TemporaryDirectory() as store:
        generate(Path(store), seed=0)
        settings.DATASET_DIR = Path(store)
        for lab in _labs_to_measure():
            zygote = default_zygote(lab.environment)
            reference = (lab.folder / "reference.py").read_text(encoding="utf-8")
            # The plain baseline runs in a warm interpreter of its own per lab: probes patch
            # what their lab forbids (dl-02 wraps torch.optim), which must not reach the next.
            plain = _plain_rounds(lab.slug, store)
            grade_source(lab, reference, seed=0, zygote=zygote)  # warm-up
            graded, scores = [], []
            for seed in range(1, ROUNDS + 1):
                started = time.perf_counter()
                result = grade_source(lab, reference, seed=seed, zygote=zygote)
                graded.append(time.perf_counter() - started)
                scores.append(result.score)
            if min(scores) < 1.0:
                raise SystemExit(f"{lab.slug}: the reference scored {scores}, not 1.0")
            graded_s, plain_s = statistics.median(graded), statistics.median(plain)
            figures[f"lab_graded_s_{lab.slug}"] = {
                "value": round(graded_s, 3),
                "unit": "s",
                "baseline": round(plain_s, 3),
                "baseline_what": "the same checks on the reference in a plain warm process",
                "ratio": round(graded_s / plain_s, 2) if plain_s else None,
                "wall_limit_s": lab.limits.get("wall_s"),
                "rounds": ROUNDS,
            }
            print(f"  {lab.slug}: graded {graded_s:.3f} s, plain {plain_s:.3f} s", flush=True)
    return figures


def _plain_rounds(slug: str, store: str) -> list[float]:
    """Seconds of ``plain_run`` for seeds 1..ROUNDS, after a warm-up with seed 0, in a fresh
    interpreter (``python -m bench.labs SLUG``) that reads the datasets from ``store``."""
    environment = {
        **os.environ,
        "LABKIT_DATASET_DIR": store,
        "DATASET_DIR": store,
        "OMP_NUM_THREADS": "1",  # as in a job
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.labs", slug],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"plain run of {slug} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _plain_main(slug: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import torch

    from labs.catalog import load_lab

    torch.set_num_threads(1)  # as in a job: the comparison is of isolation, not of threads
    # plain_run reads datasets in this process: labkit importable, pointed at the store.
    sys.path.insert(0, str(Path(settings.BASE_DIR) / "labs"))
    lab = load_lab(slug)
    plain_run(lab, 0)  # warm-up: imports, first-use costs
    print(json.dumps([plain_run(lab, seed) for seed in range(1, ROUNDS + 1)]))


if __name__ == "__main__":
    _plain_main(sys.argv[1])
