"""GPU jobs: the device nodes are bound in only for device="cuda"; their GPU memory is capped by
the supervisor's NVML watchdog (gpuwatch.py), which the job cannot undo, with torch's allocator
capped below it as a friendly first line; on a CPU-only machine a cuda job still runs (and
finds no GPU). The watchdog's logic is tested without a GPU in
test_sandbox_gpu_memory_watchdog.py."""

import os

import pytest

from grading.sandbox import Limits
from tests.test_sandbox_support import last_json, requires_root, run

pytestmark = requires_root
has_gpu = os.path.exists("/dev/nvidiactl")

PROBE = """
import json, os, torch
print(json.dumps({"available": torch.cuda.is_available(),
                  "nodes": sorted(n for n in os.listdir("/dev") if n.startswith("nvidia"))}))
"""


@pytest.mark.skipif(has_gpu, reason="for CPU-only machines")
def test_a_cuda_job_on_a_cpu_only_machine_runs_and_finds_no_gpu():
    outcome = run(PROBE, device="cuda")
    assert outcome.exit_code == 0, outcome.stderr
    assert last_json(outcome) == {"available": False, "nodes": []}


def test_a_cpu_job_never_sees_gpu_device_nodes():
    outcome = run(PROBE, device="cpu")
    assert outcome.exit_code == 0, outcome.stderr
    assert last_json(outcome) == {"available": False, "nodes": []}


@pytest.mark.skipif(not has_gpu, reason="needs a GPU node")
def test_a_cuda_job_trains_on_the_gpu_within_its_memory_cap():
    outcome = run(
        """
        import json, torch
        x = torch.randn(512, 512, device="cuda", requires_grad=True)
        (x @ x).sum().backward()
        try:
            torch.empty(6 * 2**30, dtype=torch.uint8, device="cuda")
            big = "allocated"
        except torch.OutOfMemoryError:
            big = "refused"
        print(json.dumps({"grad": float(x.grad.abs().sum()) > 0, "6GiB": big}))
        """,
        device="cuda",
        limits=Limits(gpu_memory_mb=4096, memory_mb=8192, wall_s=120),
    )
    assert outcome.exit_code == 0 and outcome.limit_hit is None, outcome.stderr
    assert last_json(outcome) == {"grad": True, "6GiB": "refused"}


@pytest.mark.skipif(not has_gpu, reason="needs a GPU node")
def test_a_job_that_undoes_torchs_cap_is_stopped_at_its_gpu_memory_limit():
    outcome = run(
        """
        import time, torch
        torch.cuda.set_per_process_memory_fraction(1.0)
        held = torch.empty(6 * 2**30, dtype=torch.uint8, device="cuda")
        held.fill_(1)
        torch.cuda.synchronize()
        print("allocated", flush=True)
        time.sleep(20)
        print("not stopped")
        """,
        device="cuda",
        limits=Limits(gpu_memory_mb=4096, memory_mb=8192, wall_s=60),
    )
    assert outcome.limit_hit == "gpu_memory", (outcome.limit_hit, outcome.stderr)
    assert "not stopped" not in outcome.stdout
    assert outcome.duration_s < 30


@pytest.mark.skipif(not has_gpu, reason="needs a GPU node")
def test_memory_taken_past_torch_through_ctypes_cudamalloc_is_capped_too():
    outcome = run(
        """
        import ctypes, time, torch
        torch.zeros(1, device="cuda")  # the CUDA runtime is loaded and its context current
        with open("/proc/self/maps") as maps:
            path = next(line.split()[-1] for line in maps if "libcudart.so" in line)
        cudart = ctypes.CDLL(path)
        pointer = ctypes.c_void_p()
        for _ in range(6):
            status = cudart.cudaMalloc(ctypes.byref(pointer), ctypes.c_size_t(2**30))
            assert status == 0, f"cudaMalloc failed: {status}"
        print("allocated", flush=True)
        time.sleep(20)
        print("not stopped")
        """,
        device="cuda",
        limits=Limits(gpu_memory_mb=4096, memory_mb=8192, wall_s=60),
    )
    assert outcome.limit_hit == "gpu_memory", (outcome.limit_hit, outcome.stderr)
    assert "not stopped" not in outcome.stdout
    assert outcome.duration_s < 30
