"""One resource budget for the whole job: memory (memfd and tmpfs pages included), processes
and threads, CPU time; and the list of every process to kill at the end.

Threat model for this part: per-process rlimits do not bound a job that spreads memory over
several processes, memfds or tmpfs files, nor CPU over several processes, and a process that
double-forks leaves its parent's tree. A per-job control group accounts for all of them at
once, whatever their parentage (the group is made, and the job's init moved into it, before
the job arrives, since moving a process costs ~11 ms; the job's limits are written before the
init gets the job): the kernel OOM-kills inside the group at ``memory_mb`` and
refuses a fork at ``processes``; the supervisor reads the group's CPU time and, at the end,
kills every pid listed in the group until it is empty. The job cannot leave its group: moving
a process needs write access to root-owned cgroup files, and the job has a cgroup namespace
and no /sys. cgroup v2 is used where the machine mounts it with the memory and pids
controllers; otherwise the v1 ``memory``, ``pids`` and ``cpuacct`` hierarchies (this
project's machines: v1 controllers, an empty v2 at /sys/fs/cgroup/unified). Without either,
``open_job_cgroup`` returns None and the supervisor falls back to per-uid accounting (see
supervisor.py).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_DIR = "grading-sandbox"


def _own_v1_paths() -> dict[str, str]:
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            if controller:
                paths[controller] = path
    return paths


def _read_int(path: Path, default: int = 0) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return default


def _read_keyed(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


@dataclass
class JobCgroup:
    """The control group(s) of one job. ``dirs`` maps a role to its directory."""

    version: int
    dirs: dict[str, Path]

    # --- set up -------------------------------------------------------------------------
    def set_limits(self, memory_bytes: int, processes: int) -> None:
        if self.version == 2:
            base = self.dirs["all"]
            _write(base / "memory.max", str(memory_bytes))
            if (base / "memory.swap.max").exists():
                _write(base / "memory.swap.max", "0")
            _write(base / "pids.max", str(processes))
            return
        _write(self.dirs["memory"] / "memory.limit_in_bytes", str(memory_bytes))
        memsw = self.dirs["memory"] / "memory.memsw.limit_in_bytes"
        if memsw.exists():
            # No swap for jobs, where the kernel accounts it (swapaccount).
            with contextlib.suppress(OSError):
                _write(memsw, str(memory_bytes))
        _write(self.dirs["pids"] / "pids.max", str(processes))

    def join(self) -> None:
        """Move the calling process (and so all its future children) into the group."""
        for directory in set(self.dirs.values()):
            _write(directory / "cgroup.procs", "0")

    # --- read ---------------------------------------------------------------------------
    def cpu_seconds(self) -> float:
        if self.version == 2:
            return _read_keyed(self.dirs["all"] / "cpu.stat", "usage_usec") / 1e6
        return _read_int(self.dirs["cpuacct"] / "cpuacct.usage") / 1e9

    def oom_killed(self) -> bool:
        if self.version == 2:
            return _read_keyed(self.dirs["all"] / "memory.events", "oom_kill") > 0
        return _read_keyed(self.dirs["memory"] / "memory.oom_control", "oom_kill") > 0

    def pids_limit_hit(self) -> bool:
        key = "all" if self.version == 2 else "pids"
        return _read_keyed(self.dirs[key] / "pids.events", "max") > 0

    def memory_peak_bytes(self) -> int:
        if self.version == 2:
            return _read_int(self.dirs["all"] / "memory.peak")
        return _read_int(self.dirs["memory"] / "memory.max_usage_in_bytes")

    def pids(self) -> list[int]:
        key = "all" if self.version == 2 else "pids"
        try:
            return [int(p) for p in (self.dirs[key] / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    # --- tear down ----------------------------------------------------------------------
    def kill_all(self, timeout_s: float = 5.0) -> bool:
        """SIGKILL every process in the group until it is empty; True when it is."""
        if self.version == 2 and (self.dirs["all"] / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                _write(self.dirs["all"] / "cgroup.kill", "1")
        deadline = time.monotonic() + timeout_s
        while True:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                _kill_if_member(pid, self)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)

    def remove(self, timeout_s: float = 5.0) -> None:
        # EBUSY lasts until the last killed process has been reaped, not just until the group
        # lists none: on a busy machine that was seen to take more than half a second.
        deadline = time.monotonic() + timeout_s
        for directory in set(self.dirs.values()):
            while True:
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                        break
                    time.sleep(0.01)


def _kill_if_member(pid: int, group: JobCgroup) -> None:
    """Kill ``pid`` through a pidfd, after checking that the pidfd's process is in the group.

    The check after pidfd_open closes the window in which the pid could be reused by an
    unrelated process between reading cgroup.procs and sending the signal.
    """
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return
    try:
        marker = "/" + next(iter(group.dirs.values())).name
        try:
            own = Path(f"/proc/{pid}/cgroup").read_text()
        except OSError:
            return
        if marker + "\n" in own or own.rstrip().endswith(marker):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except OSError:
        pass
    finally:
        os.close(pidfd)


def cgroup_version() -> int | None:
    """2 or 1 where the memory and pids controllers can be used, else None."""
    if os.geteuid() != 0:
        return None
    controllers = CGROUP_ROOT / "cgroup.controllers"
    if controllers.exists():
        names = controllers.read_text().split()
        if "memory" in names and "pids" in names:
            return 2
    if all((CGROUP_ROOT / c / "cgroup.procs").exists() for c in ("memory", "pids", "cpuacct")):
        return 1
    return None


def open_job_cgroup(name: str) -> JobCgroup | None:
    """Create the job's group(s) under the calling process's own groups."""
    version = cgroup_version()
    if version is None:
        return None
    own = _own_v1_paths()
    if version == 2:
        base = CGROUP_ROOT / own.get("", "/").lstrip("/") / GROUP_DIR
        base.mkdir(exist_ok=True)
        try:
            _write(base / "cgroup.subtree_control", "+memory +pids +cpu")
        except OSError:
            _write(base / "cgroup.subtree_control", "+memory +pids")
        job = base / name
        job.mkdir()
        return JobCgroup(2, {"all": job})
    dirs = {}
    try:
        for controller in ("memory", "pids", "cpuacct"):
            base = CGROUP_ROOT / controller / own.get(controller, "/").lstrip("/") / GROUP_DIR
            base.mkdir(exist_ok=True)
            dirs[controller] = base / name
            dirs[controller].mkdir()
    except OSError:
        JobCgroup(1, dirs).remove()
        raise
    return JobCgroup(1, dirs)
