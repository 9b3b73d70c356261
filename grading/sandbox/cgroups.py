"""One resource budget for the whole job: memory (memfd and tmpfs pages included), processes
and threads, CPU time; and the list of every process to kill at the end.

Threat model for this part: per-process rlimits do not bound a job that spreads memory over
several processes, memfds or tmpfs files, nor CPU over several processes, and a process that
double-forks leaves its parent's tree. A per-job control group accounts for all of them at
once, whatever their parentage (the group is made, and the job's init moved into it, before
the job arrives, since moving a process costs ~11 ms; the job's limits are written before the
init gets the job): the kernel OOM-kills inside the group at ``memory_mb`` and refuses a fork
at ``processes``; the supervisor reads the group's CPU time and, at the end, kills every pid
listed in the group until it is empty. The job cannot leave its group: moving a process needs
write access to root-owned cgroup files, and the job has a cgroup namespace and no /sys.

Where the groups live. Every job group is made below the worker's OWN cgroup, never at a
hierarchy's root: on a container that is the container's cgroup (its limits then also bound
every job), on a systemd host the worker's service. Own groups are found from
``/proc/self/cgroup`` and ``/proc/self/mountinfo`` (the mount's root tells which cgroup a
mount shows, so bind-mounted and namespaced hierarchies resolve correctly):

* cgroup v2 (preferred where the memory and pids controllers are available to the worker's
  own group): cgroup v2 lets a group hand controllers to its children only while it holds no
  process itself (the "no internal processes" rule), so ``prepare_layout`` moves every process
  of the own group into a leaf ``<own>/grading-worker`` (the worker and its zygotes live
  there from then on; a worker started later finds itself in that leaf and uses its parent),
  enables memory, pids (and cpu where it can) in ``<own>/cgroup.subtree_control`` and in
  ``<own>/grading-sandbox``, under which each job gets ``job-<pid>-<random>``. The host's root
  group is exempt from that rule and is never emptied. The own group must be writable by the
  worker (a delegated subtree): in Docker, ``cgroup: private`` (a cgroup namespace whose root is
  the container's group; Docker's default on v2 hosts) and a read-write cgroup2 mount (Docker
  mounts it read-only unless the container is privileged: the worker service remounts it,
  see docker-compose.yml); under systemd, ``Delegate=yes`` on the worker's unit.
* cgroup v1 (this project's development machines: v1 memory, pids and cpuacct hierarchies
  next to a v2 hierarchy that has no memory controller): ``<own>/grading-sandbox/job-...`` in
  each of the three hierarchies.

Without a usable cgroup the sandbox REFUSES to grade (``CgroupUnavailable``), because its
fallback (per-uid accounting polled from /proc, see supervisor.py) lets memfd and tmpfs pages
escape the memory limit and a burst of processes escape the CPU limit between two polls. A
development machine without cgroups may allow the fallback explicitly (``allow_missing``,
from the SANDBOX_ALLOW_NO_CGROUP setting); the zygote then says so at start.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_DIR = "grading-sandbox"
WORKER_LEAF = "grading-worker"
V1_CONTROLLERS = ("memory", "pids", "cpuacct")
V2_REQUIRED = ("memory", "pids")
PROC_SELF_CGROUP = Path("/proc/self/cgroup")
PROC_SELF_MOUNTINFO = Path("/proc/self/mountinfo")


class CgroupUnavailable(OSError):
    """No cgroup can bound the job (and the fallback was not allowed): refuse to grade."""


# --- where this process's groups are (pure parsing, tested on real shapes) --------------------


@dataclass(frozen=True)
class Membership:
    """This process's groups as ``/proc/<pid>/cgroup`` names them."""

    v1: dict[str, str]  # controller (or "name=systemd") -> path in that hierarchy
    v2: str | None  # path in the unified hierarchy (the "0::" line), if any


def parse_proc_cgroup(text: str) -> Membership:
    """Parse ``/proc/<pid>/cgroup``: ``hierarchy-id:controllers:path`` per line, where the
    unified (v2) hierarchy is the line with id 0 and no controllers."""
    v1: dict[str, str] = {}
    v2: str | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        hierarchy, controllers, path = line.split(":", 2)
        if hierarchy == "0" and controllers == "":
            v2 = path
            continue
        for controller in controllers.split(","):
            if controller:
                v1[controller] = path
    return Membership(v1=v1, v2=v2)


@dataclass(frozen=True)
class CgroupMount:
    """One cgroup file system mount, from ``/proc/<pid>/mountinfo``."""

    mountpoint: Path
    root: str  # the cgroup path this mount shows at its mount point
    version: int
    options: frozenset[str]  # super options: v1 controllers ("memory", "cpu"...), "rw"...
    writable: bool


def _unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal (\\040)."""
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), field)


def parse_mountinfo(text: str) -> list[CgroupMount]:
    """The cgroup and cgroup2 mounts listed in ``/proc/<pid>/mountinfo``."""
    mounts = []
    for line in text.splitlines():
        left, separator, right = line.partition(" - ")
        if not separator:
            continue
        fields, tail = left.split(), right.split()
        if len(fields) < 6 or len(tail) < 2 or tail[0] not in ("cgroup", "cgroup2"):
            continue
        super_options = frozenset(tail[2].split(",")) if len(tail) > 2 else frozenset()
        mount_options = set(fields[5].split(","))
        mounts.append(
            CgroupMount(
                mountpoint=Path(_unescape(fields[4])),
                root=_unescape(fields[3]),
                version=2 if tail[0] == "cgroup2" else 1,
                options=super_options,
                writable="rw" in mount_options and "ro" not in super_options,
            )
        )
    return mounts


def cgroup_dir(mount: CgroupMount, path: str) -> Path | None:
    """Where the group ``path`` (as /proc/self/cgroup names it) appears under ``mount``, or
    None if the mount does not show it (a mount of another subtree, or a path outside this
    process's cgroup namespace, which the kernel writes as ``/..``)."""
    if ".." in PurePosixPath(path).parts:
        return None
    root = mount.root.rstrip("/")
    if path.rstrip("/") == root:
        relative = ""
    elif path.startswith(root + "/"):
        relative = path[len(root) + 1 :]
    else:
        return None
    relative = relative.strip("/")
    return mount.mountpoint / relative if relative else mount.mountpoint


@dataclass(frozen=True)
class OwnGroups:
    """The directories of this process's own groups that the sandbox could use; ``read_only``
    names those ("v2", or a v1 controller) that only a read-only mount shows."""

    v2: Path | None
    v1: dict[str, Path] = field(default_factory=dict)
    read_only: frozenset[str] = frozenset()


def find_own_groups(membership: Membership, mounts: list[CgroupMount]) -> OwnGroups:
    """Resolve this process's own groups to directories, preferring writable mounts.

    A process already moved into the worker leaf (by ``prepare_layout`` in an earlier zygote
    of the same worker) counts the leaf's parent as its own group, so that restarts do not
    nest leaves.
    """
    ordered = sorted(mounts, key=lambda mount: not mount.writable)
    read_only = set()
    v2 = None
    if membership.v2 is not None:
        for mount in ordered:
            if mount.version == 2:
                v2 = cgroup_dir(mount, membership.v2)
                if v2 is not None:
                    if not mount.writable:
                        read_only.add("v2")
                    break
        if v2 is not None and v2.name == WORKER_LEAF:
            v2 = v2.parent
    v1 = {}
    for controller in V1_CONTROLLERS:
        path = membership.v1.get(controller)
        if path is None:
            continue
        for mount in ordered:
            if mount.version == 1 and controller in mount.options:
                directory = cgroup_dir(mount, path)
                if directory is not None:
                    v1[controller] = directory
                    if not mount.writable:
                        read_only.add(controller)
                    break
    return OwnGroups(v2=v2, v1=v1, read_only=frozenset(read_only))


# --- the layout: where job groups are made ---------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where job groups are made: ``parents`` maps a role ("all" on v2, a controller on v1)
    to the directory under which each job gets a group of its own."""

    version: int
    parents: dict[str, Path]
    own: dict[str, Path]  # the worker's own group(s) the parents sit in

    def make_job_group(self, name: str) -> JobCgroup:
        dirs: dict[str, Path] = {}
        try:
            for role, parent in self.parents.items():
                dirs[role] = parent / name
                dirs[role].mkdir()
        except OSError:
            JobCgroup(self.version, dirs).remove()
            raise
        return JobCgroup(self.version, dirs)


def _read_words(path: Path) -> set[str]:
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def _v2_problem(own: OwnGroups) -> str | None:
    """None if the worker's own v2 group can host job groups, else why not."""
    if own.v2 is None:
        return "this process is in no cgroup v2 group that a mount shows"
    if "v2" in own.read_only:
        return f"the cgroup2 mount showing {own.v2} is read-only"
    missing = set(V2_REQUIRED) - _read_words(own.v2 / "cgroup.controllers")
    if missing:
        return f"controllers {', '.join(sorted(missing))} are not available in {own.v2}"
    return None


def _v1_problem(own: OwnGroups) -> str | None:
    """None if the worker's own v1 groups can host job groups, else why not."""
    missing = [c for c in V1_CONTROLLERS if c not in own.v1]
    if missing:
        return f"no {', '.join(missing)} hierarchy shows this process's group"
    read_only = [c for c in V1_CONTROLLERS if c in own.read_only]
    if read_only:
        return f"the {', '.join(read_only)} hierarchies are mounted read-only"
    absent = [str(d) for d in own.v1.values() if not d.is_dir()]
    if absent:
        return f"{', '.join(absent)} do not exist"
    return None


def find_layout(
    membership: Membership | None = None, mounts: list[CgroupMount] | None = None
) -> tuple[Layout | None, str]:
    """The layout this process would use (or the one ``membership`` and ``mounts`` describe),
    and why not where there is none. Changes nothing."""
    if membership is None or mounts is None:
        if os.geteuid() != 0:
            return None, "the sandbox must run as root to make cgroups; this process is not"
        try:
            membership = membership or parse_proc_cgroup(PROC_SELF_CGROUP.read_text())
            if mounts is None:
                mounts = parse_mountinfo(PROC_SELF_MOUNTINFO.read_text())
        except OSError as error:
            return None, f"cannot read this process's cgroups: {error}"
    own = find_own_groups(membership, mounts)
    v2_problem = _v2_problem(own)
    if v2_problem is None and own.v2 is not None:
        return Layout(2, {"all": own.v2 / GROUP_DIR}, {"all": own.v2}), ""
    v1_problem = _v1_problem(own)
    if v1_problem is None:
        parents = {c: own.v1[c] / GROUP_DIR for c in V1_CONTROLLERS}
        return Layout(1, parents, dict(own.v1)), ""
    return None, f"no usable cgroup (v2: {v2_problem}; v1: {v1_problem})"


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _enable_controllers(
    group: Path, required: tuple[str, ...] = V2_REQUIRED, optional: tuple[str, ...] = ("cpu",)
) -> None:
    """Hand ``required`` (and ``optional`` where possible) controllers to ``group``'s
    children."""
    _write(group / "cgroup.subtree_control", " ".join(f"+{c}" for c in required))
    available = _read_words(group / "cgroup.controllers")
    for controller in optional:
        if controller in available:
            # cpu is refused while a real-time task is in the subtree; usage is read from
            # cpu.stat, which every v2 group has, so jobs lose nothing that is measured.
            with contextlib.suppress(OSError):
                _write(group / "cgroup.subtree_control", f"+{controller}")


def _delegate_v2(own: Path, required: tuple[str, ...] = V2_REQUIRED, attempts: int = 50) -> None:
    """Make ``own`` able to give controllers to children: move its processes into the worker
    leaf (the v2 "no internal processes" rule), then enable the controllers. The root group
    (no ``cgroup.type`` file) is exempt from the rule and keeps its processes."""
    if set(required) <= _read_words(own / "cgroup.subtree_control"):
        return  # done before (another zygote of this worker, or the operator)
    if not (own / "cgroup.type").exists():
        _enable_controllers(own, required)
        return
    leaf = own / WORKER_LEAF
    leaf.mkdir(exist_ok=True)
    for _ in range(attempts):
        for pid in _read_words(own / "cgroup.procs"):
            # A process may exit, or fork a child into ``own``, meanwhile: the loop goes on
            # until the group is empty and the controllers are on.
            with contextlib.suppress(ProcessLookupError, OSError):
                _write(leaf / "cgroup.procs", pid)
        try:
            _enable_controllers(own, required)
            return
        except OSError as error:
            if error.errno != errno.EBUSY:
                raise
        time.sleep(0.01)
    raise CgroupUnavailable(errno.EBUSY, f"cannot empty {own} to delegate controllers")


def prepare_layout(layout: Layout) -> None:
    """Create the parent groups of job groups (idempotent; safe from several zygotes)."""
    if layout.version == 2:
        own = layout.own["all"]
        _delegate_v2(own)
        parent = layout.parents["all"]
        parent.mkdir(exist_ok=True)
        if not set(V2_REQUIRED) <= _read_words(parent / "cgroup.subtree_control"):
            _enable_controllers(parent)
        return
    for parent in layout.parents.values():
        parent.mkdir(exist_ok=True)


# --- this process's choice (made once, in the zygote) ----------------------------------------

_layout: Layout | None = None
_reason = ""
_allow_missing = False
_ready = False


def setup(allow_missing: bool) -> tuple[Layout | None, str]:
    """Choose and prepare the layout for this process and the supervisors it forks.

    Returns (layout, "") where cgroups work; (None, why) where they do not and
    ``allow_missing`` lets jobs run on the weaker per-uid fallback. Raises CgroupUnavailable
    where they do not and the fallback is not allowed.
    """
    global _layout, _reason, _allow_missing, _ready
    layout, reason = find_layout()
    if layout is not None:
        try:
            prepare_layout(layout)
        except OSError as error:
            layout, reason = None, f"cannot prepare cgroups under {layout.own}: {error}"
    _layout, _reason, _allow_missing, _ready = layout, reason, allow_missing, True
    if layout is None and not allow_missing:
        raise CgroupUnavailable(errno.ENOTSUP, refusal_message(reason))
    return layout, reason


def refusal_message(reason: str) -> str:
    return (
        f"the sandbox refuses to grade without a cgroup ({reason}): without one a job's memfd "
        "and tmpfs pages escape its memory limit and its processes its CPU limit. Give the "
        "worker a delegated cgroup (see grading/sandbox/cgroups.py), or, on a development "
        "machine only, set SANDBOX_ALLOW_NO_CGROUP=true."
    )


def open_job_cgroup(name: str) -> JobCgroup | None:
    """Create the job's group(s) under the worker's own groups; None only where the fallback
    was explicitly allowed (``setup``). Raises CgroupUnavailable otherwise."""
    if not _ready:
        setup(_allow_missing)
    if _layout is None:
        if _allow_missing:
            return None
        raise CgroupUnavailable(errno.ENOTSUP, refusal_message(_reason))
    return _layout.make_job_group(name)


def cgroup_version() -> int | None:
    """2 or 1 where this process could make job groups, else None (changes nothing)."""
    layout, _ = find_layout()
    return layout.version if layout is not None else None


def job_group_parents() -> list[Path]:
    """The directories under which this process's zygotes make job groups (for tests and
    operators; changes nothing)."""
    layout, _ = find_layout()
    return list(layout.parents.values()) if layout is not None else []


# --- one job's group -------------------------------------------------------------------------


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

    def open_memory_limit(self) -> list[int]:
        """Descriptors (close-on-exec) through which the job's init raises the memory limit
        once no job process is left (``raise_memory_limit``), in the order to write them:
        v1 needs memory+swap raised before memory alone. Opened while /sys is still in view."""
        if self.version == 2:
            paths = [self.dirs["all"] / "memory.max"]
        else:
            memsw = self.dirs["memory"] / "memory.memsw.limit_in_bytes"
            paths = [memsw] if memsw.exists() else []
            paths.append(self.dirs["memory"] / "memory.limit_in_bytes")
        fds = []
        for path in paths:
            with contextlib.suppress(OSError):
                fds.append(os.open(path, os.O_WRONLY | os.O_CLOEXEC))
        return fds

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


def raise_memory_limit(fds: list[int], value: int) -> None:
    """Write ``value`` through the descriptors of ``JobCgroup.open_memory_limit``, then close
    them. Failures are ignored: the limit simply stays where it was."""
    for fd in fds:
        with contextlib.suppress(OSError):
            os.write(fd, str(value).encode())
        with contextlib.suppress(OSError):
            os.close(fd)


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
