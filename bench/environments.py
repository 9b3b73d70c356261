"""How a worker serves two lab environments (settings.LAB_ENVIRONMENTS): the figures behind the
choice, measured in one run on this machine.

For each candidate warm interpreter (a zygote preloading the torch environment, the ML-engineering
one, or both at once):

- env_zygote_start_s_<name>: the zygote's start, from exec to ready (imports and warm-up);
- env_zygote_anon_mb_<name>: its private anonymous memory (RssAnon: what each such interpreter
  costs the machine; file-backed pages of the libraries are shared through the page cache), with
  its RSS and PSS beside it;
- env_job_ms_<name>_<job>: the median wall time of one sandboxed job through it: an empty job
  (the fork and isolation cost, which grows with the zygote's memory), a small torch training
  and a small scikit-learn/LightGBM/XGBoost fit. A job whose packages the zygote did not
  preload pays their import inside the job: that is the cost of serving the other environment
  from the wrong interpreter.

Usage: python -m bench.environments   (or `make bench BENCH=environments`)
"""

from __future__ import annotations

import json
import statistics
import time

ROUNDS = 7

JOBS = {
    "empty": "pass\n",
    "torch": """
import torch
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
x, y = torch.randn(256, 20), torch.randint(0, 2, (256,))
for _ in range(30):
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
""",
    "mle": """
import numpy as np, pandas as pd, lightgbm, xgboost
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
rng = np.random.default_rng(0)
df = pd.DataFrame({"a": rng.normal(size=300), "b": rng.choice(["x", "y", "z"], 300)})
y = (df["a"] > 0).astype(int)
pre = ColumnTransformer([("num", StandardScaler(), ["a"]), ("cat", OneHotEncoder(), ["b"])])
Pipeline([("pre", pre), ("clf", LogisticRegression())]).fit(df, y)
lightgbm.LGBMClassifier(n_estimators=20, verbose=-1).fit(df[["a"]], y)
xgboost.XGBRegressor(n_estimators=20).fit(df[["a"]], y)
""",
}


def _memory(pid: int) -> dict:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0]) / 1024
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key == "Pss":
                fields["Pss"] = int(value.split()[0]) / 1024
    return {k: round(v, 1) for k, v in fields.items()}


def _job(source: str):
    from grading.sandbox import Limits, SandboxJob

    return SandboxJob(
        files={"main.py": source.encode()},
        entry="main.py",
        limits=Limits(wall_s=60, cpu_s=60, memory_mb=2048),
    )


def _time_ms(zygote, job) -> float:
    from grading.sandbox import run_job

    started = time.perf_counter()
    outcome = run_job(job, zygote)
    elapsed = time.perf_counter() - started
    assert outcome.exit_code == 0, outcome.stderr[-2000:]
    return elapsed * 1000


def candidates() -> dict[str, tuple[str, ...]]:
    from django.conf import settings

    environments = {name: tuple(mods) for name, mods in settings.LAB_ENVIRONMENTS.items()}
    union = tuple(dict.fromkeys(m for mods in environments.values() for m in mods))
    return {**environments, "all": union}


def run() -> dict:
    """Each zygote is started alone (its start time and memory), then all of them serve the
    same jobs in turn, round after round, so that a change of load on the machine reaches
    every candidate alike."""
    from grading.sandbox import Zygote

    figures: dict = {}
    measured: dict = {}
    zygotes: dict = {}
    jobs = {name: _job(source) for name, source in JOBS.items()}
    try:
        for name, preload in candidates().items():
            zygote = zygotes[name] = Zygote(preload=preload)
            started = time.perf_counter()
            zygote.start()
            measured[name] = {"start_s": round(time.perf_counter() - started, 2)}
            measured[name].update(_memory(zygote.pid))
        times: dict = {name: {job: [] for job in jobs} for name in zygotes}
        for zygote in zygotes.values():  # first runs: the file cache
            for job in jobs.values():
                _time_ms(zygote, job)
        for _ in range(ROUNDS):
            for name, zygote in zygotes.items():
                for job_name, job in jobs.items():
                    times[name][job_name].append(_time_ms(zygote, job))
    finally:
        for zygote in zygotes.values():
            zygote.stop()
    for name in measured:
        measured[name]["jobs_ms"] = {
            job: round(statistics.median(values), 1) for job, values in times[name].items()
        }
        print(f"  {name}: {json.dumps(measured[name])}", flush=True)
    torch_only = measured["torch"]
    for name, figure in measured.items():
        figures[f"env_zygote_start_s_{name}"] = {
            "value": figure["start_s"],
            "unit": "s",
            "baseline": torch_only["start_s"],
            "baseline_what": "the torch environment's zygote (the only one before)",
        }
        figures[f"env_zygote_anon_mb_{name}"] = {
            "value": figure["RssAnon"],
            "unit": "MB",
            "baseline": torch_only["RssAnon"],
            "baseline_what": "the torch environment's zygote",
            "rss_mb": figure["VmRSS"],
            "pss_mb": figure["Pss"],
            "file_mb": figure["RssFile"],
        }
        for job, ms in figure["jobs_ms"].items():
            figures[f"env_job_ms_{name}_{job}"] = {
                "value": ms,
                "unit": "ms",
                "baseline": torch_only["jobs_ms"][job],
                "baseline_what": "the same job through the torch environment's zygote",
                "rounds": ROUNDS,
            }
    return figures


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(run(), indent=2))
