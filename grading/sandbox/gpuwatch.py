"""The GPU memory cap of a CUDA job, enforced from the supervisor through NVML.

Threat model for this part: the learner's process can undo anything set inside it, and much of
what a CUDA job allocates never passes torch's allocator. ``torch.cuda.
set_per_process_memory_fraction`` (child.py) is therefore only a first, friendly line (an
allocation past it fails inside torch with a clear ``OutOfMemoryError``): the job may call it
again with 1.0, and the CUDA context, cuDNN/cuBLAS workspaces and raw ``cudaMalloc`` through
ctypes are not counted by it at all. The cap is this watchdog, in the supervisor (trusted,
outside the job's namespaces; the job never sees its NVML handles, opened after the job's init
was forked): every ``SAMPLE_INTERVAL_S`` it reads the used memory of every GPU of the machine
through NVML, subtracts what was used before the job started, and when the difference passes
``limits.gpu_memory_mb`` the supervisor kills the whole job as for its other limits and reports
``gpu_memory``. Whole-device readings, summed over all devices (the job could address any GPU
whose device node it has, whatever CUDA_VISIBLE_DEVICES says): NVML's per-process readings do
not map the job's pids across its pid namespace reliably. This is exact only because a GPU
worker runs one job at a time (docker-compose's ``worker-gpu``: ``--concurrency 1``): another
process's allocations on the same GPU would be counted against the job.

What it does not do: it samples, so a spike shorter than the interval between two samples
(allocate, use and free within ~50 ms) goes unseen; such a job still has the GPU to itself, so
it takes memory from nobody. Memory the driver has not yet released when the next job starts
raises that job's baseline; the supervisor frees the previous job's processes (its cgroup is
empty) before the next job is sent, and the driver releases a process's memory as it exits.

Where NVML cannot be used on a CUDA job whose machine has GPU device nodes (no driver library,
no ``pynvml``, an NVML error), the sandbox refuses to grade the job (``GpuWatchUnavailable``,
a worker-side error, logged) rather than run it without a cap, unless the
SANDBOX_ALLOW_NO_GPU_WATCHDOG setting allows it (development machines only; ``configure``). A
CUDA job on a machine without GPU device nodes has no GPU to allocate on and runs unwatched.
``pynvml`` is imported only when a CUDA job starts, never in the zygote.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from typing import Protocol

MB = 1024 * 1024
SAMPLE_INTERVAL_S = 0.05
# The share of a CUDA job's GPU memory left outside torch's allocator cap (child.py): the CUDA
# context and the libraries' workspaces take it, so that a job growing its tensors meets
# torch's OutOfMemoryError before the watchdog. Not measured on this project's machines yet.
CONTEXT_RESERVE_MB = 1024


class GpuWatchUnavailable(RuntimeError):
    """The GPU memory of a CUDA job cannot be watched (and that was not allowed): refuse."""


class MemoryReader(Protocol):
    """The used memory of every GPU of the machine, summed, in bytes."""

    def used_bytes(self) -> int: ...

    def close(self) -> None: ...


class NvmlReader:
    """``MemoryReader`` through NVML (``pynvml``, imported here, on a CUDA job only)."""

    def __init__(self) -> None:
        import pynvml

        self._nvml = pynvml
        pynvml.nvmlInit()
        try:
            count = pynvml.nvmlDeviceGetCount()
            if count < 1:
                raise RuntimeError("NVML sees no GPU")
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            self.used_bytes()
        except BaseException:
            self.close()
            raise

    def used_bytes(self) -> int:
        return sum(self._nvml.nvmlDeviceGetMemoryInfo(h).used for h in self._handles)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # ending anyway
            self._nvml.nvmlShutdown()


# What the supervisor opens on a CUDA job (tests replace it with a fake reader).
reader_factory: Callable[[], MemoryReader] = NvmlReader
_allow_missing = False


def configure(allow_missing: bool) -> None:
    """Whether a CUDA job may run without the watchdog where NVML is unusable (the
    SANDBOX_ALLOW_NO_GPU_WATCHDOG setting; set in the zygote, inherited by its supervisors)."""
    global _allow_missing
    _allow_missing = allow_missing


def allow_missing() -> bool:
    return _allow_missing


def refusal_message(error: BaseException) -> str:
    return (
        "the sandbox refuses to grade a CUDA job whose GPU memory it cannot watch (NVML: "
        f"{type(error).__name__}: {error}): without the watchdog the job's GPU memory has no "
        "cap that the job cannot undo. Install the worker extra (nvidia-ml-py) and give the "
        "worker the NVIDIA driver's libnvidia-ml, or, on a development machine only, set "
        "SANDBOX_ALLOW_NO_GPU_WATCHDOG=true."
    )


def open_reader(gpu_nodes: list[str]) -> MemoryReader | None:
    """The reader for a CUDA job, or None where it runs unwatched: no GPU device node (nothing
    to allocate on), or NVML unusable and SANDBOX_ALLOW_NO_GPU_WATCHDOG on (said on stderr).
    Raises GpuWatchUnavailable where NVML is unusable and that is not allowed."""
    try:
        reader = reader_factory()
    except Exception as error:
        if not gpu_nodes:
            return None
        if _allow_missing:
            print(
                "sandbox: GPU MEMORY NOT CAPPED (SANDBOX_ALLOW_NO_GPU_WATCHDOG is on; "
                f"development only): NVML: {type(error).__name__}: {error}",
                file=sys.stderr,
            )
            return None
        print(f"sandbox: REFUSES TO GRADE: {refusal_message(error)}", file=sys.stderr)
        raise GpuWatchUnavailable(refusal_message(error)) from error
    return reader


class GpuWatchdog:
    """Samples the job's GPU memory (used now minus used at start) against its cap."""

    def __init__(
        self,
        reader: MemoryReader,
        limit_mb: int,
        interval_s: float = SAMPLE_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reader = reader
        self.limit = limit_mb * MB
        self.interval_s = interval_s
        self.clock = clock
        self.baseline = reader.used_bytes()  # before the job gets any learner code
        self.peak = 0
        self.active = True  # False: no longer read (see supervisor._gpu_exceeded)
        self._next = clock()

    def exceeded(self) -> bool:
        """Whether the job is past its cap now; reads NVML at most once per interval. An
        NVML error propagates (the supervisor then stops the job: it can no longer cap it)."""
        now = self.clock()
        if not self.active or now < self._next:
            return False
        self._next = now + self.interval_s
        used = self.reader.used_bytes() - self.baseline
        self.peak = max(self.peak, used)
        return used > self.limit

    def close(self) -> None:
        self.reader.close()


def allocator_cap_bytes(limit_mb: int) -> int:
    """torch's allocator cap for a job with ``gpu_memory_mb=limit_mb``: below the watchdog's
    cap by CONTEXT_RESERVE_MB (at most a quarter of it), so that torch refuses first."""
    reserve = min(CONTEXT_RESERVE_MB, limit_mb // 4)
    return (limit_mb - reserve) * MB
