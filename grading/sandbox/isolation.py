"""Namespaces, the job's file system view, and the drop to an unprivileged job user.

Threat model for this part: learner code must see no network, no host process, none of the
project's files (settings, other submissions, graders), nothing writable but its own temp dir,
and must hold no privilege. The job's init process (root on the host, but already pid 1 of a
fresh pid namespace) unshares mount, network, IPC, UTS and cgroup namespaces and builds a new
root on a small tmpfs: read-only binds of /usr (with the merged-/usr symlinks), of the Python
installation and of the virtualenv only (never the project directory that contains it), of
the extra read-only paths the job names, a few /dev nodes, a synthetic /etc, a fresh /proc of
its own pid namespace with the host-revealing files masked, and a private tmpfs at /tmp sized
and inode-capped by the job's limits (its pages are charged to the job's memory cgroup). It
then pivots into it, detaches the old root and makes the root read-only. The network namespace
has no interface up, so even 127.0.0.1 (PostgreSQL, Redis) is unreachable. The learner process
then switches to a uid of its own (unique per job, so keys, signals, RLIMIT_NPROC and file
ownership never meet another job's), enters a user namespace of its own and drops every
capability. Bind sources are opened with O_PATH before the staging tmpfs is mounted, so a
source below /tmp is still reachable. A job's read-only mounts (``SandboxJob.readonly_mounts``)
are binds of a host directory at a fixed path of the job's own, e.g. the dataset store at
/datasets, outside every path the sandbox builds itself.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import syscalls as sc

if TYPE_CHECKING:
    from .limits import SandboxJob

STAGING = "/tmp"  # noqa: S108 --  covered by the staging tmpfs in the job's own mount namespace only
JOB_DIR = "/tmp"  # noqa: S108 --  the job's private, writable directory inside the sandbox
JOB_UID_BASE = 2_000_000_000  # + the supervisor's pid: unique among running jobs
DEVICE_NODES = ("null", "zero", "full", "random", "urandom")
MASKED_PROC_FILES = (
    "kcore",
    "keys",
    "key-users",
    "sched_debug",
    "timer_list",
    "sysrq-trigger",
    "latency_stats",
    "kallsyms",
    "kmsg",
)
TOP_LEVEL_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
RO_FLAGS = sc.MS_REMOUNT | sc.MS_BIND | sc.MS_RDONLY | sc.MS_NOSUID | sc.MS_NODEV


def project_root() -> Path:
    """The directory holding the ``grading`` package: never visible inside a sandbox."""
    return Path(__file__).resolve().parents[2]


@dataclass
class RootPlan:
    """What the job's file system will contain; computed by the supervisor."""

    readonly_dirs: list[str]
    uid: int
    gid: int
    tmp_mb: int
    gpu_nodes: list[str] = field(default_factory=list)
    etc_files: dict[str, bytes] = field(default_factory=dict)
    mounts: list[tuple[str, str]] = field(default_factory=list)  # (host dir, path in the job)


def base_plan(uid: int) -> RootPlan:
    """The part of a job's plan that does not depend on the job (computed ahead of it)."""
    return RootPlan(
        readonly_dirs=python_dirs(), uid=uid, gid=uid, tmp_mb=1, etc_files=etc_files(uid, uid)
    )


def plan_for(job: SandboxJob, uid: int, base: RootPlan | None = None) -> RootPlan:
    """The job's file system plan; raises ValueError for a read-only path it may not have."""
    base = base if base is not None else base_plan(uid)
    readonly = list(base.readonly_dirs)
    for path in job.readonly_paths:
        real = check_readonly_path(path)
        if real not in readonly:
            readonly.append(real)
    mounts = []
    for source, target in job.readonly_mounts:
        for path in readonly:
            if f"{target}/".startswith(f"{path}/") or f"{path}/".startswith(f"{target}/"):
                raise ValueError(f"mount target {target!r} overlaps the read-only path {path!r}")
        mounts.append((check_readonly_path(source), target))
    return replace(
        base,
        readonly_dirs=readonly,
        mounts=mounts,
        tmp_mb=job.limits.tmp_mb,
        gpu_nodes=gpu_device_nodes() if job.device == "cuda" else [],
    )


def python_dirs() -> list[str]:
    """The interpreter's installation and the virtualenv (site-packages included)."""
    dirs = []
    for prefix in (sys.base_prefix, sys.prefix):
        real = os.path.realpath(prefix)
        if real not in dirs:
            dirs.append(real)
    exe_dir = os.path.dirname(os.path.realpath(sys.executable))
    if not any(exe_dir == d or exe_dir.startswith(d + "/") for d in dirs):
        dirs.append(exe_dir)
    return dirs


def check_readonly_path(path: str) -> str:
    """Refuse a bind that would reveal the project (its settings, graders, submissions)."""
    real = os.path.realpath(path)
    root = str(project_root())
    if real == "/" or root == real or root.startswith(real.rstrip("/") + "/"):
        raise ValueError(f"{path!r} would expose the project directory {root}")
    for forbidden in ("/proc", "/sys", "/dev"):
        if real == forbidden or real.startswith(forbidden + "/"):
            raise ValueError(f"{path!r} may not be bound into the sandbox")
    if not os.path.isdir(real):
        raise ValueError(f"readonly path {path!r} is not a directory")
    return real


def gpu_device_nodes() -> list[str]:
    try:
        names = os.listdir("/dev")
    except OSError:
        return []
    return sorted(f"/dev/{n}" for n in names if n.startswith("nvidia"))


def etc_files(uid: int, gid: int) -> dict[str, bytes]:
    files = {
        "passwd": f"root:x:0:0::/:/usr/sbin/nologin\nsandbox:x:{uid}:{gid}::{JOB_DIR}:/bin/sh\n"
        "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n".encode(),
        "group": f"root:x:0:\nsandbox:x:{gid}:\nnogroup:x:65534:\n".encode(),
        "hosts": b"127.0.0.1 localhost sandbox\n::1 localhost\n",
        "nsswitch.conf": b"passwd: files\ngroup: files\nhosts: files\n",
        "hostname": b"sandbox\n",
    }
    with contextlib.suppress(OSError):
        files["ld.so.cache"] = Path("/etc/ld.so.cache").read_bytes()
    return files


# --- run in the job's init process (host root, pid 1 of the job's pid namespace) -------------


def _mkdirs(path: str) -> None:
    os.makedirs(path, mode=0o755, exist_ok=True)


def _bind(source_fd: int, target: str, flags: int) -> None:
    sc.mount(f"/proc/self/fd/{source_fd}", target, None, sc.MS_BIND, None)
    sc.mount(None, target, None, flags, None)


def build_root(plan: RootPlan) -> None:
    """Unshare the namespaces and pivot into the job's root; the cwd ends at JOB_DIR."""
    sc.unshare(sc.CLONE_NEWNS | sc.CLONE_NEWNET | sc.CLONE_NEWIPC | sc.CLONE_NEWUTS)
    # Nothing we mount may propagate back to the host.
    sc.mount(None, "/", None, sc.MS_REC | sc.MS_PRIVATE, None)

    binds = (
        ["/usr"]
        + [
            f"/{n}"
            for n in TOP_LEVEL_LINKS
            if os.path.isdir(f"/{n}") and not os.path.islink(f"/{n}")
        ]
        + plan.readonly_dirs
    )
    sources = {}
    mount_sources = [source for source, _ in plan.mounts]
    for path in binds + mount_sources + plan.gpu_nodes + [f"/dev/{n}" for n in DEVICE_NODES]:
        if path not in sources and os.path.exists(path):
            sources[path] = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        _populate(plan, binds, sources)
    finally:
        for fd in sources.values():
            os.close(fd)

    os.chdir(STAGING)
    sc.pivot_root(".", ".")
    sc.umount2(".", sc.MNT_DETACH)
    os.chdir("/")
    sc.mount(None, "/", None, sc.MS_REMOUNT | sc.MS_RDONLY | sc.MS_NOSUID | sc.MS_NODEV, None)
    sc.unshare(sc.CLONE_NEWCGROUP)
    sc.sethostname("sandbox")
    os.chdir(JOB_DIR)


def _populate(plan: RootPlan, binds: list[str], sources: dict[str, int]) -> None:
    new = STAGING
    sc.mount("sandbox-root", new, "tmpfs", sc.MS_NOSUID | sc.MS_NODEV, "mode=0755,size=4m")
    for name in TOP_LEVEL_LINKS:
        if os.path.islink(f"/{name}"):
            os.symlink(os.readlink(f"/{name}"), f"{new}/{name}")
    inodes = max(1024, plan.tmp_mb * 64)
    owner = f"uid={plan.uid},gid={plan.gid}"
    shm = f"{new}/dev/shm"  # noqa: S108 -- a tmpfs of the job's own
    _mkdirs(shm)
    sc.mount(
        "shm",
        shm,
        "tmpfs",
        sc.MS_NOSUID | sc.MS_NODEV,
        f"mode=0700,{owner},size={plan.tmp_mb}m,nr_inodes={inodes}",
    )
    _mkdirs(new + JOB_DIR)
    sc.mount(
        "sandbox-tmp",
        new + JOB_DIR,
        "tmpfs",
        sc.MS_NOSUID | sc.MS_NODEV,
        f"mode=0700,{owner},size={plan.tmp_mb}m,nr_inodes={inodes}",
    )

    # After the job's /tmp, so that a read-only path below /tmp is not hidden by it.
    for path in binds:
        if path in sources:
            _mkdirs(new + path)
            _bind(sources[path], new + path, RO_FLAGS)
    for source, target in plan.mounts:
        if source in sources:  # a source gone since the plan is simply absent in the job
            _mkdirs(new + target)
            _bind(sources[source], new + target, RO_FLAGS)

    _mkdirs(f"{new}/etc")
    for name, data in plan.etc_files.items():
        with open(f"{new}/etc/{name}", "wb") as f:
            f.write(data)

    _mkdirs(f"{new}/dev")
    for name in DEVICE_NODES:
        if f"/dev/{name}" in sources:
            open(f"{new}/dev/{name}", "w").close()
            _bind(
                sources[f"/dev/{name}"],
                f"{new}/dev/{name}",
                sc.MS_REMOUNT | sc.MS_BIND | sc.MS_NOSUID | sc.MS_NOEXEC,
            )
    for node in plan.gpu_nodes:
        if node in sources:
            target = new + node
            if stat.S_ISDIR(os.stat(node).st_mode):
                _mkdirs(target)
            else:
                _mkdirs(os.path.dirname(target))
                open(target, "w").close()
            _bind(sources[node], target, sc.MS_REMOUNT | sc.MS_BIND | sc.MS_NOSUID)
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{new}/dev/{name}")
    # A proc of the job's own pid namespace: only the job's processes are listed.
    _mkdirs(f"{new}/proc")
    sc.mount("proc", f"{new}/proc", "proc", sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC, None)
    for name in MASKED_PROC_FILES:
        target = f"{new}/proc/{name}"
        if os.path.isfile(target):
            sc.mount(f"{new}/dev/null", target, None, sc.MS_BIND, None)
    sc.mount(f"{new}/proc/sys", f"{new}/proc/sys", None, sc.MS_BIND | sc.MS_REC, None)
    sc.mount(None, f"{new}/proc/sys", None, RO_FLAGS, None)


# --- run in the learner's process, after the root is built -----------------------------


def become_job_user(uid: int, gid: int) -> None:
    """Switch to the job's own uid, enter a user namespace of its own, drop every capability.

    Order matters: the bounding set can only be emptied while still privileged; after
    setresuid the process is not dumpable, and it must be to write its own uid_map.
    """
    sc.drop_bounding_set()
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    sc.prctl(sc.PR_SET_DUMPABLE, 1)
    sc.unshare(sc.CLONE_NEWUSER)
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")
    # A new user namespace starts with every capability in it: drop them all again.
    sc.drop_all_capabilities()
