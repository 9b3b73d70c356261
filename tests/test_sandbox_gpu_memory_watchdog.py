"""A CUDA job's GPU memory is capped by its supervisor (grading/sandbox/gpuwatch.py), from the
whole device's used memory read through NVML against its level before the job started, not by
a setting inside the job. This machine has no GPU: NVML is replaced by a fake reader here (the
real one is exercised by tests/test_sandbox_gpu.py on a GPU node)."""

from __future__ import annotations

import os
import pickle
import signal
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import translation

from grading.engine import limit_message
from grading.sandbox import Limits, SandboxError, SandboxJob, gpuwatch, protocol, supervisor
from tests.manage_subprocess import run_manage
from tests.test_sandbox_support import requires_root

GIB = 1024**3
OTHERS = 10 * GIB  # what the device already holds before the job (other processes, context)


class FakeReader:
    """Used bytes of the whole device: ``readings`` in turn, then the last one forever."""

    def __init__(self, *readings: int, fail_after: int | None = None) -> None:
        self.readings = list(readings)
        self.reads = 0
        self.fail_after = fail_after
        self.closed = False

    def used_bytes(self) -> int:
        self.reads += 1
        if self.fail_after is not None and self.reads > self.fail_after:
            raise RuntimeError("NVML: GPU is lost")
        return self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]

    def close(self) -> None:
        self.closed = True


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def watchdog(reader: FakeReader, limit_mb: int = 4096) -> tuple[gpuwatch.GpuWatchdog, FakeClock]:
    clock = FakeClock()
    return gpuwatch.GpuWatchdog(reader, limit_mb, interval_s=0.05, clock=clock), clock


# --- the watchdog's arithmetic ----------------------------------------------------------------


def test_memory_past_the_cap_above_the_baseline_is_exceeded():
    dog, _ = watchdog(FakeReader(OTHERS, OTHERS + 5 * GIB))
    assert dog.baseline == OTHERS
    assert dog.exceeded() is True
    assert dog.peak == 5 * GIB


def test_memory_under_the_cap_is_not_exceeded():
    dog, clock = watchdog(FakeReader(OTHERS, OTHERS + GIB, OTHERS + 4 * GIB))
    assert dog.exceeded() is False
    clock.now += 0.05
    assert dog.exceeded() is False  # exactly at the cap is still within it
    assert dog.peak == 4 * GIB


def test_what_the_device_held_before_the_job_is_not_counted_against_it():
    # 13 GiB used on the device, of which 10 before the job: the job holds 3 of its 4 GiB.
    dog, _ = watchdog(FakeReader(OTHERS, OTHERS + 3 * GIB))
    assert dog.exceeded() is False
    # The same 13 GiB on a device that was empty before the job: past its cap.
    dog, _ = watchdog(FakeReader(0, OTHERS + 3 * GIB))
    assert dog.exceeded() is True


def test_nvml_is_read_at_most_once_per_interval():
    reader = FakeReader(0, GIB)
    dog, clock = watchdog(reader)
    for _ in range(10):
        dog.exceeded()
    assert reader.reads == 2  # the baseline and one sample
    clock.now += 0.05
    dog.exceeded()
    assert reader.reads == 3


def test_torchs_own_cap_is_below_the_watchdogs():
    assert gpuwatch.allocator_cap_bytes(4096) == 3072 * 1024**2
    assert gpuwatch.allocator_cap_bytes(1024) == 768 * 1024**2
    assert gpuwatch.allocator_cap_bytes(1) == 1024**2


# --- NVML that cannot be used: refuse, unless a development setting allows it -----------------


def broken_nvml():
    raise OSError("NVML Shared Library Not Found")


@pytest.fixture
def nvml(monkeypatch):
    """Set what gpuwatch opens and whether its absence is allowed, for this test only."""

    def use(factory, allow: bool = False) -> None:
        monkeypatch.setattr(gpuwatch, "reader_factory", factory)
        monkeypatch.setattr(gpuwatch, "_allow_missing", allow)

    return use


def cuda_job(source: str = "print('hi')", **limits) -> SandboxJob:
    files = {"main.py": textwrap.dedent(source).encode()}
    return SandboxJob(files=files, entry="main.py", device="cuda", limits=Limits(**limits))


GPU_PLAN = SimpleNamespace(gpu_nodes=["/dev/nvidia0", "/dev/nvidiactl"])


def test_a_cuda_job_is_refused_where_nvml_cannot_be_used(nvml, capfd):
    nvml(broken_nvml)
    with pytest.raises(SandboxError) as refused:
        supervisor._gpu_watchdog(cuda_job(), GPU_PLAN)
    message = str(refused.value)
    assert "refuses to grade a CUDA job" in message and "NVML Shared Library Not Found" in message
    assert "SANDBOX_ALLOW_NO_GPU_WATCHDOG" in message
    assert "REFUSES TO GRADE" in capfd.readouterr().err  # said in the worker's log too


def test_the_development_setting_lets_it_run_unwatched_and_says_so(nvml, capfd):
    nvml(broken_nvml, allow=True)
    assert supervisor._gpu_watchdog(cuda_job(), GPU_PLAN) is None
    assert "GPU MEMORY NOT CAPPED" in capfd.readouterr().err


def test_a_cuda_job_on_a_machine_without_gpu_nodes_has_nothing_to_cap(nvml):
    nvml(broken_nvml)
    assert supervisor._gpu_watchdog(cuda_job(), SimpleNamespace(gpu_nodes=[])) is None


def test_a_cpu_job_never_opens_nvml(nvml):
    def must_not_open():
        raise AssertionError("NVML opened for a CPU job")

    nvml(must_not_open)
    job = SandboxJob(files={"main.py": b""}, entry="main.py", device="cpu")
    assert supervisor._gpu_watchdog(job, GPU_PLAN) is None


def test_the_baseline_is_read_when_the_watchdog_opens(nvml):
    reader = FakeReader(OTHERS)
    nvml(lambda: reader)
    dog = supervisor._gpu_watchdog(cuda_job(gpu_memory_mb=2048), GPU_PLAN)
    assert dog.baseline == OTHERS and dog.limit == 2048 * 1024**2 and reader.reads == 1


def test_production_refuses_the_development_setting():
    env = {
        "PLATFORM_ENV": "production",
        "SECRET_KEY": "x" * 64,
        "ALLOWED_HOSTS": "courses.example.com",
        "DEBUG": "false",
        "CACHE_URL": "redis://127.0.0.1:6379/14",
        "SANDBOX_ALLOW_NO_GPU_WATCHDOG": "true",
    }
    result = run_manage("check", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("Configuration error: SANDBOX_ALLOW_NO_GPU_WATCHDOG:")


def test_the_learner_reads_which_limit_it_was_in_russian():
    with translation.override("ru"):
        text = limit_message("gpu_memory", Limits(gpu_memory_mb=2048)).render()
    assert text == "Превышен лимит памяти GPU (2048 МБ)."


# --- the supervisor acts on it: a real sandboxed job, NVML faked -----------------------------


def supervise_with(reader_factory, job: SandboxJob):
    """``supervisor.supervise(job)`` in a forked child of this process (it enters a pid
    namespace of its own), with gpuwatch reading ``reader_factory()``; the outcome, or the
    exception it raised."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            gpuwatch.reader_factory = reader_factory
            try:
                result = ("outcome", protocol.outcome_to_bytes(supervisor.supervise(job)))
            except BaseException as error:
                result = ("error", f"{type(error).__name__}: {error}")
            with os.fdopen(write_end, "wb") as out:
                out.write(pickle.dumps(result))
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as source:
        data = source.read()
    os.waitpid(pid, 0)
    kind, value = pickle.loads(data)  # noqa: S301 - written by this test's own child
    return protocol.outcome_from_bytes(value) if kind == "outcome" else value


SLEEPER = """
import time
print("started", flush=True)
time.sleep(20)
print("not killed")
"""


@requires_root
def test_a_job_past_its_gpu_memory_is_killed_with_the_gpu_memory_verdict():
    # The device: 10 GiB before the job, then the job holds 1, 2, then 5 GiB (cap: 4 GiB).
    def reader():
        return FakeReader(OTHERS, OTHERS + GIB, OTHERS + 2 * GIB, OTHERS + 5 * GIB)

    started = time.monotonic()
    outcome = supervise_with(reader, cuda_job(SLEEPER, gpu_memory_mb=4096, wall_s=30))
    assert not isinstance(outcome, str), outcome
    assert outcome.limit_hit == "gpu_memory", outcome
    assert outcome.signal == signal.SIGKILL and outcome.exit_code is None
    assert "not killed" not in outcome.stdout
    assert time.monotonic() - started < 10


@requires_root
def test_a_job_within_its_gpu_memory_runs_to_its_end():
    def reader():
        return FakeReader(OTHERS, OTHERS + 3 * GIB)

    source = "import time\ntime.sleep(0.5)\nprint('done')\n"
    outcome = supervise_with(reader, cuda_job(source, gpu_memory_mb=4096))
    assert not isinstance(outcome, str), outcome
    assert outcome.ok and outcome.stdout == "done\n", outcome


@requires_root
def test_nvml_failing_while_the_job_runs_stops_it_as_the_workers_fault():
    def reader():
        return FakeReader(OTHERS, fail_after=3)

    started = time.monotonic()
    outcome = supervise_with(reader, cuda_job(SLEEPER, wall_s=30))
    assert isinstance(outcome, str) and outcome.startswith("SandboxError: "), outcome
    assert "the GPU memory watchdog failed" in outcome and "GPU is lost" in outcome
    assert time.monotonic() - started < 10


@requires_root
def test_the_development_setting_reaches_the_zygote_that_forks_the_supervisors():
    from grading.sandbox import zygote as zygote_module

    before = (zygote_module._allow_no_cgroup_default, zygote_module._allow_no_gpu_watchdog_default)
    try:
        for allowed, flag in ((False, b"0"), (True, b"1")):
            zygote_module.configure(allow_no_cgroup=before[0], allow_no_gpu_watchdog=allowed)
            with zygote_module.Zygote(preload=()) as sandbox:
                cmdline = Path(f"/proc/{sandbox.pid}/cmdline").read_bytes()
                assert cmdline.rstrip(b"\0").split(b"\0")[-1] == flag
    finally:
        zygote_module.configure(allow_no_cgroup=before[0], allow_no_gpu_watchdog=before[1])
