"""GPU jobs: the device nodes are bound in only for device="cuda", and torch's allocator is
capped; on a CPU-only machine a cuda job still runs (and finds no GPU)."""

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
    assert outcome.exit_code == 0, outcome.stderr
    assert last_json(outcome) == {"grad": True, "6GiB": "refused"}
