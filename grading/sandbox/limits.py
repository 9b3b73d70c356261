"""The data that crosses the sandbox boundary: limits, the job, and its outcome.

Threat model for this part: everything here is plain, immutable data built by trusted code
(the grader) and read back by trusted code. A job's outcome carries bytes written by hostile
code, so every field that holds them is size-capped before it leaves the supervisor, and text
is decoded with ``errors="replace"`` so that no byte sequence can break the caller. File names
in a job are checked here, once, so that no later step can be steered outside the job's
private directory by ``..`` or an absolute path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

LimitHit = Literal[
    "wall", "cpu", "memory", "gpu_memory", "processes", "file_size", "output", "disk", "violation"
]
"""Why a job was stopped, as seen from the kernel and the supervisor (never from what the job
wrote): ``wall`` its wall time ran out (or its caller went away); ``cpu`` the CPU time of all
its processes reached ``cpu_s``; ``memory`` the kernel OOM-killed one of its processes at
``memory_mb``; ``gpu_memory`` a CUDA job's GPU memory, sampled by the supervisor through NVML
(gpuwatch.py), went past ``gpu_memory_mb``; ``processes`` the kernel refused a fork or thread
at ``processes``; ``file_size`` a process was killed by SIGXFSZ with a file at ``file_size_mb``
left behind; ``output`` stdout+stderr or the channel went past their caps; ``disk`` its private
tmpfs was full at the end; ``violation`` the job interfered with the sandbox's trusted side (a
call aimed at the job's init, which the seccomp filter answers by killing the caller with
SIGSYS, a foreign system call ABI, or a failure of the init after learner code ran). A
``MemoryError`` or any other exception raised inside the job is the job's own error, not a
limit."""
TRUNCATED_MARKER = "\n[truncated]\n"


@dataclass(frozen=True)
class Limits:
    """Per-job limits; the defaults are the platform's defaults."""

    wall_s: float = 30
    cpu_s: float = 30
    memory_mb: int = 1024
    processes: int = 64
    file_size_mb: int = 16
    open_files: int = 256
    output_bytes: int = 64 * 1024
    tmp_mb: int = 64
    # Not in the first sketch of the interface; added because each needs a bound too.
    channel_bytes: int = 1024 * 1024
    artifact_bytes: int = 8 * 1024 * 1024
    gpu_memory_mb: int = 4096

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if getattr(self, name) <= 0:
                raise ValueError(f"limit {name} must be positive")

    @property
    def output_kill_bytes(self) -> int:
        """Past this much stdout+stderr the job is stopped, not just truncated.

        Learners print progress in training loops, so a little over the kept size must not
        cost them the grade; a gigabyte of output must not cost the worker minutes either.
        """
        return max(16 * self.output_bytes, 1024 * 1024)


def check_relative_name(name: str) -> str:
    """Return ``name`` if it is a plain relative path inside the job directory."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\x00" in name:
        raise ValueError(f"bad file name in job: {name!r}")
    if path.parts[0] in ("out",) and len(path.parts) == 1:
        raise ValueError("'out' is reserved for artifacts")
    return str(path)


# What the sandbox itself builds or binds at the top of a job's root (isolation.py): a mount
# of the job's may not hide or change any of it.
RESERVED_TOP_DIRS = frozenset(
    {"tmp", "proc", "sys", "dev", "etc", "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"}
)


def check_mount_target(target: str) -> str:
    """Return ``target`` if it is a plain absolute path outside what the sandbox builds."""
    path = PurePosixPath(target)
    if (
        not path.is_absolute()
        or str(path) != target
        or ".." in path.parts
        or len(path.parts) < 2
        or path.parts[1] in RESERVED_TOP_DIRS
        or "\x00" in target
    ):
        raise ValueError(f"bad mount target in job: {target!r}")
    return target


@dataclass(frozen=True)
class SandboxJob:
    files: dict[str, bytes]
    entry: str
    limits: Limits = field(default_factory=Limits)
    device: str = "cpu"
    readonly_paths: tuple[str, ...] = ()
    pythonpath: tuple[str, ...] = ()
    # (host directory, absolute path inside the job): a read-only bind at a fixed place, so
    # that a job sees e.g. the dataset store at /datasets wherever the worker keeps it.
    readonly_mounts: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name, data in self.files.items():
            check_relative_name(name)
            if not isinstance(data, bytes):
                raise TypeError(f"file {name!r} must be bytes")
        if self.entry not in self.files:
            raise ValueError(f"entry {self.entry!r} is not among the job's files")
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', not {self.device!r}")
        for path in self.readonly_paths:
            if not PurePosixPath(path).is_absolute() or path.rstrip("/") == "":
                raise ValueError(f"readonly path must be absolute and not '/': {path!r}")
        targets = [check_mount_target(target) for _, target in self.readonly_mounts]
        for source, _ in self.readonly_mounts:
            if not PurePosixPath(source).is_absolute():
                raise ValueError(f"mount source must be absolute: {source!r}")
        for index, target in enumerate(targets):
            for other in targets[index + 1 :]:
                if f"{target}/".startswith(f"{other}/") or f"{other}/".startswith(f"{target}/"):
                    raise ValueError(f"mount targets may not coincide or nest: {target!r}")


@dataclass(frozen=True)
class SandboxOutcome:
    exit_code: int | None
    signal: int | None
    limit_hit: LimitHit | None
    stdout: str
    stderr: str
    duration_s: float
    channel: bytes = b""
    artifacts: dict[str, bytes] = field(default_factory=dict)
    cpu_s: float | None = None
    memory_peak_mb: float | None = None

    @property
    def ok(self) -> bool:
        """The job ran to the end by itself, with exit code 0 and no limit hit."""
        return self.exit_code == 0 and self.limit_hit is None
