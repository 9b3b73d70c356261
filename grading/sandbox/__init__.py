"""Isolated execution of untrusted learner Python code (no Django imports anywhere here).

``run_job(SandboxJob(...))`` runs a job in a fresh, isolated child of a warm zygote and
returns a ``SandboxOutcome``; ``run_job(job, on_channel=callback)`` also hands the job's
observation channel to ``callback`` line by line while the job runs. See each module's
docstring for its part of the threat model:
zygote.py (warm interpreter, clean environment), supervisor.py (limits from outside, kill),
child.py (init and learner process), isolation.py (namespaces, file system, job user),
cgroups.py (whole-job budget), seccomp.py (syscall filter), protocol.py (no job data in the
zygote).
"""

from .limits import LimitHit, Limits, SandboxJob, SandboxOutcome
from .supervisor import SandboxError
from .zygote import (
    DEFAULT_ENVIRONMENT,
    Zygote,
    configure,
    default_zygote,
    environments,
    run_job,
    run_job_fresh,
    stop_default_zygote,
)

__all__ = [
    "DEFAULT_ENVIRONMENT",
    "LimitHit",
    "Limits",
    "SandboxError",
    "SandboxJob",
    "SandboxOutcome",
    "Zygote",
    "configure",
    "default_zygote",
    "environments",
    "run_job",
    "run_job_fresh",
    "stop_default_zygote",
]
