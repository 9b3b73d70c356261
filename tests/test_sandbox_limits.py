"""Every limit holds, for the whole job, and is reported precisely."""

import signal

import pytest

from grading.sandbox import Limits
from tests.test_sandbox_support import job_cgroups_left, last_json, requires_root, run

pytestmark = requires_root


def test_an_infinite_loop_hits_the_wall_limit():
    outcome = run("while True:\n    pass\n", limits=Limits(wall_s=1))
    assert outcome.limit_hit == "wall"
    assert outcome.exit_code is None and outcome.signal == signal.SIGKILL
    assert 1.0 <= outcome.duration_s < 3


def test_sleeping_forever_hits_the_wall_limit():
    outcome = run(
        "import time\nprint('sleeping', flush=True)\ntime.sleep(10**6)\n", limits=Limits(wall_s=1)
    )
    assert outcome.limit_hit == "wall" and outcome.stdout == "sleeping\n"
    assert outcome.duration_s < 3


def test_cpu_time_spread_over_processes_hits_the_cpu_limit():
    outcome = run(
        """
        import os
        for _ in range(3):
            if os.fork() == 0:
                break
        while True:
            pass
        """,
        limits=Limits(cpu_s=1, wall_s=20),
    )
    assert outcome.limit_hit == "cpu"
    assert outcome.duration_s < 5  # three spinners on two cores: ~1 s of CPU in < 1 s


def test_a_single_spinning_process_hits_the_cpu_limit():
    outcome = run("while True:\n    pass\n", limits=Limits(cpu_s=1, wall_s=20))
    assert outcome.limit_hit == "cpu"
    assert outcome.duration_s < 5


def test_a_fork_bomb_hits_the_process_limit():
    outcome = run(
        """
        import os, time
        children = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                children += 1
        except OSError as exc:
            print(children, exc.errno, flush=True)
        """,
        limits=Limits(processes=20, wall_s=10),
    )
    assert outcome.limit_hit == "processes"
    assert outcome.stdout.split() == ["19", "11"]  # 19 children + the job = 20; EAGAIN
    assert outcome.duration_s < 5  # the job's end killed the sleeping children at once
    assert not job_cgroups_left()


def test_a_recursive_fork_bomb_is_contained():
    outcome = run(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
        limits=Limits(processes=32, wall_s=2),
    )
    assert outcome.limit_hit in ("processes", "wall")
    assert outcome.duration_s < 4


def test_thousands_of_threads_hit_the_process_limit():
    outcome = run(
        """
        import threading, time
        started = 0
        try:
            for _ in range(5000):
                threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
                started += 1
        except RuntimeError:
            pass
        print(started)
        """,
        limits=Limits(processes=64, wall_s=10),
    )
    assert outcome.limit_hit == "processes"
    assert int(outcome.stdout) == 63  # 64 tasks: the main thread and 63 more
    assert outcome.exit_code == 0


def test_a_memory_bomb_hits_the_memory_limit():
    outcome = run(
        "chunks = []\nwhile True:\n    chunks.append(bytearray(8 * 1024 * 1024))\n",
        limits=Limits(memory_mb=200, wall_s=20),
    )
    assert outcome.limit_hit == "memory"
    assert outcome.exit_code != 0


def test_one_huge_allocation_fails_with_memory_error():
    # The allocation is refused up front (RLIMIT_AS, overcommit): the job's own MemoryError,
    # shown in its traceback, not a memory limit that the kernel enforced (no OOM kill).
    outcome = run("x = bytearray(64 * 1024**3)\n", limits=Limits(memory_mb=200))
    assert outcome.limit_hit is None
    assert outcome.exit_code == 1 and "MemoryError" in outcome.stderr


def test_memory_spread_over_processes_memfds_and_tmpfs_hits_one_budget():
    # Each part is under the limit; per-process rlimits would pass all of them.
    outcome = run(
        """
        import os, time
        mb = bytes(1024 * 1024)
        # Many files of 15 MB each: every one stays under the 16 MB file size rlimit.
        if os.fork() == 0:
            fds = [os.memfd_create(f"spread{i}") for i in range(8)]
            for fd in fds:
                for _ in range(15):
                    os.write(fd, mb)
            time.sleep(30)
        if os.fork() == 0:
            for i in range(8):
                with open(f"/dev/shm/spread{i}", "wb") as f:
                    for _ in range(15):
                        f.write(mb)
            time.sleep(30)
        keep = [bytearray(1024 * 1024) for _ in range(120)]
        time.sleep(30)
        """,
        limits=Limits(memory_mb=256, tmp_mb=200, wall_s=3),
    )
    assert outcome.limit_hit == "memory"


def test_one_gigabyte_of_output_is_cut_off():
    outcome = run(
        "import sys\nline = 'x' * 1023 + '\\n'\nfor _ in range(1024 * 1024):\n"
        "    sys.stdout.write(line)\n",
        limits=Limits(wall_s=20),
    )
    assert outcome.limit_hit == "output"
    assert outcome.stdout.endswith("[truncated]\n")
    assert len(outcome.stdout) < 65 * 1024
    assert outcome.duration_s < 5


def test_output_a_little_over_the_cap_is_truncated_but_the_job_finishes():
    outcome = run("print('y' * 100_000)\nprint('done', flush=True)\n")
    assert outcome.exit_code == 0 and outcome.limit_hit == "output"
    assert outcome.stdout.endswith("[truncated]\n") and len(outcome.stdout) < 65 * 1024


def test_a_big_file_hits_the_file_size_limit():
    outcome = run(
        "with open('big', 'wb') as f:\n    while True:\n        f.write(bytes(1 << 20))\n",
        limits=Limits(file_size_mb=4),
    )
    assert outcome.limit_hit == "file_size" and outcome.signal == signal.SIGXFSZ


def test_filling_the_disk_is_contained_to_the_jobs_tmpfs():
    outcome = run(
        """
        import errno
        n = 0
        try:
            while True:
                with open(f"part{n}", "wb") as f:
                    f.write(bytes(1 << 20))
                n += 1
        except OSError as exc:
            print(n, exc.errno)
        """,
        limits=Limits(tmp_mb=16),
    )
    assert outcome.limit_hit == "disk"
    written, err = outcome.stdout.split()
    assert err == "28" and 10 <= int(written) <= 16  # ENOSPC near 16 MB


def test_tmpfs_inode_exhaustion_is_contained():
    outcome = run(
        """
        n = 0
        try:
            while True:
                open(f"f{n}", "w").close()
                n += 1
        except OSError as exc:
            print(n, exc.errno)
        """,
        limits=Limits(tmp_mb=16),
    )
    count, err = outcome.stdout.split()
    assert err == "28" and int(count) < 1100  # nr_inodes = max(1024, 64 per MB)
    assert outcome.limit_hit == "disk"


def test_the_open_files_limit_holds():
    outcome = run(
        """
        files = []
        try:
            while True:
                files.append(open("/dev/null"))
        except OSError as exc:
            print(len(files), exc.errno)
        """,
        limits=Limits(open_files=64),
    )
    count, err = outcome.stdout.split()
    assert err == "24" and 50 <= int(count) < 64  # EMFILE


@pytest.mark.parametrize("limit", ["wall_s", "memory_mb", "processes"])
def test_limits_must_be_positive(limit):
    with pytest.raises(ValueError):
        Limits(**{limit: 0})


def test_memory_and_cpu_used_are_reported():
    outcome = run("x = bytearray(50 * 1024 * 1024)\nfor i in range(10**6):\n    pass\n")
    assert outcome.ok
    assert outcome.memory_peak_mb > 50 and outcome.cpu_s > 0.01
    assert last_json(run("import json\nprint(json.dumps(1))")) == 1
