"""Helpers shared by the sandbox tests (no tests here).

Every test goes through the real sandbox: the process's default warm zygote (started once,
stopped at exit) unless a test needs a zygote of its own.
"""

from __future__ import annotations

import json
import os
import textwrap
import uuid
from pathlib import Path

import pytest

from grading.sandbox import Limits, SandboxJob, SandboxOutcome, run_job
from grading.sandbox.cgroups import cgroup_version, job_group_parents
from grading.sandbox.child import SPARE_NAME

requires_root = pytest.mark.skipif(
    os.geteuid() != 0 or cgroup_version() is None,
    reason="the sandbox needs root and a memory+pids cgroup",
)


def run(source: str, limits: Limits | None = None, **job_fields) -> SandboxOutcome:
    """Run ``source`` (dedented) as the job's main.py; ``zygote`` and ``on_channel`` go to
    ``run_job``, other keywords to ``SandboxJob``."""
    files = {"main.py": textwrap.dedent(source).encode(), **job_fields.pop("files", {})}
    zygote, on_channel = job_fields.pop("zygote", None), job_fields.pop("on_channel", None)
    job = SandboxJob(files=files, entry="main.py", limits=limits or Limits(), **job_fields)
    return run_job(job, zygote, on_channel=on_channel)


def last_json(outcome: SandboxOutcome) -> dict:
    """The last stdout line of a job, parsed as JSON (jobs print one result line)."""
    lines = [line for line in outcome.stdout.splitlines() if line.strip()]
    assert lines, f"no output; stderr: {outcome.stderr}"
    return json.loads(lines[-1])


def marker() -> str:
    return "sbx" + uuid.uuid4().hex[:12]


def processes_with(marker_text: str) -> list[int]:
    """Host pids whose command line contains ``marker_text`` (psutil-free)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
        except OSError:
            continue
        if marker_text.encode() in cmdline:
            found.append(int(name))
    return found


def job_cgroups_left() -> list[Path]:
    """Job cgroups of this test process's zygotes still present, except those of a waiting
    spare supervisor (made ahead for its next job; named ``job-<its pid>-...``).

    Other processes on the machine may run sandbox jobs at the same time, and on cgroup v1 the
    pids and cpuacct groups of every sandbox may share one directory, so only names that also
    exist under the first parent (this process's own memory group on v1, its own group on
    v2) count.
    """
    parents = job_group_parents()
    if not parents:
        return []
    names = {p.name for p in parents[0].glob("job-*")}
    return [
        group
        for parent in parents
        for group in parent.glob("job-*")
        if group.is_dir() and group.name in names and not _is_spare_group(group)
    ]


def _is_spare_group(group: Path) -> bool:
    pid = group.name.split("-")[1]
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == SPARE_NAME
    except OSError:
        return False


def spare_cgroups() -> list[Path]:
    """Cgroups of waiting spares (see job_cgroups_left)."""
    return [g for parent in job_group_parents() for g in parent.glob("job-*") if _is_spare_group(g)]


def tmp_entries_of_readonly_binds() -> list[str]:
    """Names that read-only binds add to a job's own /tmp: the first folder of the project's
    path when the checkout (and so its venv) lives under /tmp, as a CI clone may."""
    from grading.sandbox.isolation import project_root

    parts = project_root().parts
    return [parts[2]] if len(parts) > 2 and parts[1] == "tmp" else []
