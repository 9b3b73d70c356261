"""The two processes inside a job: its init (pid 1) and the learner's process.

Threat model for this part: the init process is trusted code sitting next to hostile code.
It is forked before its job is known, joins the job's cgroup, and waits for the job's memfd;
until then it holds nothing of any job (and with no job, it exits). No job process can drive
it, by these layers, each enough on its own for the attacks named:

* Signals. It keeps no Python signal handler and no handler of its own at all (every
  disposition is SIG_DFL, SIGPIPE SIG_IGN): the kernel delivers a signal sent from inside a
  pid namespace to the namespace's init only if the init installed a handler for it, so
  SIGINT, SIGTERM, even SIGKILL from a job process are dropped (a KeyboardInterrupt raised by
  a learner daemon's ``kill(1, SIGINT)`` once ran zygote code in the init). The learner's
  process runs in a session and process group of its own, so ``kill(0, ...)`` stays inside.
* Credentials. It stays root on the host for as long as any job process lives, and job
  processes run as the job's uid in a user namespace of their own without capabilities, so
  the kernel refuses them every call that needs the init's credentials or a capability over
  it: signals, ``prlimit`` (an RLIMIT_AS set through it once made the init fail with
  MemoryError), ptrace, /proc/1/mem, process_vm_writev, setpriority, sched_setaffinity...
  It is also not dumpable, so /proc/1/* stays root's.
* Seccomp. The learner's filter kills a process that aims a signal, prlimit, ptrace,
  process_vm_* or pidfd_open at pid 1 (see seccomp.py); the init reports each SIGSYS death it
  reaps (the learner's process, and every orphan) as a violation. A process that the job's
  own code reaps is not seen by the init: the attack failed all the same, only unreported.
* Nothing left to attack. When the learner's process ends, the init kills every other
  process of the namespace (``kill(-1, SIGKILL)``) and reaps them all before it touches
  anything the job wrote; then it raises the job's memory limit by a margin of its own (files
  the job left in its tmpfs stay charged to the group, and must not starve the init while it
  reports), and only then drops to the job's uid to read the job's files, opening nothing
  through a symlink (O_NOFOLLOW on every component) and reading only regular files,
  size-capped.
* Exit. Every path out of a forked process of the sandbox (init, learner, spare,
  supervisor) ends in ``os._exit``, so no exception can ever run the zygote's code in it.

A failure of the init after learner code ran is reported as a violation (the job may have
caused it), never as a failure of the sandbox; a failure before that is the worker's
(``setup_error``). When the init exits the kernel kills every process left in the namespace,
so a daemon cannot outlive its job.

The learner's process is a fresh fork of the warm zygote: before learner code runs it closes
every inherited descriptor, becomes the job's uid with no capability, sets rlimits, replaces
the environment with a short explicit one, installs the seccomp filter and re-seeds
``random``, NumPy and torch so no RNG state is shared with other jobs forked from the same
zygote. The zygote's hash secret cannot be changed in a live interpreter (every cached str
hash would go stale), so it is shared by the jobs of one zygote; it protects nothing secret
here (the zygote never held a secret) and rotates whenever the zygote is restarted
(``Zygote(max_jobs=...)``); ``PYTHONHASHSEED`` is set afresh for any interpreter the job
starts itself. Nothing the learner's process writes reaches the supervisor except through
stdout, stderr and the channel (fds 1-3); limits are never taken from what it writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import resource
import signal
import socket
import stat
import sys
import traceback
from dataclasses import dataclass
from typing import NoReturn

from . import cgroups, gpuwatch, isolation, seccomp, syscalls
from .cgroups import JobCgroup
from .limits import SandboxJob

CHANNEL_FD = 3
# A spare supervisor (see supervisor.prepare) and its init carry this process name until a
# job arrives, so that the spare's cgroup can be told from a job's (tests, operators).
SPARE_NAME = "sbx-spare"
SETUP_FD = 4  # the learner's set-up report; closed before learner code runs
SETUP_FAILED_EXIT = 120
# First byte on the result pipe once the learner's set-up succeeded: from then on learner
# code has run, and a failure of the init may be the job's doing (a violation).
LEARNER_STARTED = b"L"
# Room the init gets above the job's memory limit once every job process is dead, for its
# own copy-on-write pages and the artifacts it reads and frames (twice their size at most).
INIT_MEMORY_MARGIN_MB = 64
MAX_ARTIFACT_FILES = 64
MAX_ARTIFACT_DEPTH = 4
MB = 1024 * 1024
OWN_MODULES = [__package__] + [
    f"{__package__}.{name}"
    for name in (
        "limits",
        "syscalls",
        "seccomp",
        "cgroups",
        "isolation",
        "gpuwatch",
        "child",
        "protocol",
        "supervisor",
        "zygote",
    )
]


@dataclass
class JobFds:
    """Write ends of the supervisor's pipes, as seen in the job's init process."""

    stdout: int
    stderr: int
    channel: int
    result: int


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _set_oom_score_adj(value: int) -> None:
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write(str(value))
    except OSError:
        pass


# --- the job's init process ---------------------------------------------------------------


def run_init(
    job_source: socket.socket,
    uid: int,
    base: isolation.RootPlan,
    cgroup: JobCgroup | None,
    fds: JobFds,
    name: bytes | None = None,
) -> NoReturn:
    """Pid 1 of the job: get ready, wait for the job, build the sandbox, run the learner's
    process, end every job process, report, exit. Forked before the job is known (see
    supervisor.prepare): until the job's memfd arrives on ``job_source`` it holds nothing of
    any job, and without one (the spare was not needed) it just exits. ``name``: the process
    name to take with the job. Always ends in ``os._exit``."""
    try:
        _init_main(job_source, uid, base, cgroup, fds, name)
    finally:
        os._exit(0)


def _init_main(
    job_source: socket.socket,
    uid: int,
    base: isolation.RootPlan,
    cgroup: JobCgroup | None,
    fds: JobFds,
    name: bytes | None,
) -> None:
    from .protocol import _frame, job_from_fd

    result: dict = {"setup_error": None}
    blobs: list[bytes] = []
    learner_started = False
    try:
        _shield_init()
        limit_fds: list[int] = []
        if cgroup is not None:
            cgroup.join()  # before any fork, so every later process is counted
            limit_fds = cgroup.open_memory_limit()
        _set_oom_score_adj(-1000)  # the OOM killer takes the learner's processes, not init
        _, received, _, _ = socket.recv_fds(job_source, 16, 1)
        job_source.close()
        if not received:
            return
        if name is not None:
            set_process_name(name)
        job = job_from_fd(received[0])
        os.close(received[0])
        plan = isolation.plan_for(job, uid, base)
        isolation.build_root(plan)
        _write_job_files(job, plan)
        setup_r, setup_w = os.pipe()
        learner = os.fork()
        if learner == 0:
            try:
                os.close(setup_r)
                run_learner(job, plan, fds, setup_w)
            finally:
                os._exit(SETUP_FAILED_EXIT)
        os.close(setup_w)
        for fd in (fds.stdout, fds.stderr, fds.channel):
            os.close(fd)
        setup_report = _read_to_eof(setup_r, 64 * 1024)
        if setup_report == b"ok":
            learner_started = True
            _write_all(fds.result, LEARNER_STARTED)
        reaped = _Reaped()
        status = _wait_for(learner, reaped)
        _end_job_processes(reaped)
        # No job process is left from here on: nothing can signal, trace or starve the init.
        margin = INIT_MEMORY_MARGIN_MB * MB + 2 * job.limits.artifact_bytes
        cgroups.raise_memory_limit(limit_fds, job.limits.memory_mb * MB + margin)
        # What the job left is read with the job's own rights (nothing of the host beyond).
        os.setgroups([])
        os.setresgid(plan.gid, plan.gid, plan.gid)
        os.setresuid(plan.uid, plan.uid, plan.uid)
        if not learner_started:
            result["setup_error"] = setup_report.decode(errors="replace") or "learner setup died"
        result["status"] = status
        result["sigsys"] = reaped.sigsys
        result["disk_full"] = _disk_full()
        result["file_at_size_limit"] = _file_at_size_limit(job.limits.file_size_mb * MB)
        artifacts = _collect_artifacts(job.limits.artifact_bytes)
        result["artifacts"] = [[name, len(data)] for name, data in artifacts.items()]
        blobs = list(artifacts.values())
    except BaseException:
        detail = traceback.format_exc()
        # After learner code ran the job may be the cause (a violation); before, the worker.
        result = {"violation": detail} if learner_started else {"setup_error": detail}
        blobs = []
    _write_all(fds.result, _frame(result, blobs))


def _shield_init() -> None:
    """Put the init out of the job's reach (see the module docstring): the supervisor's death
    kills it, every signal disposition is the default (SIGPIPE ignored, so a broken pipe is an
    error, as Python expects), and it is not dumpable."""
    syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)  # supervisor gone -> job gone
    for number in signal.valid_signals():
        if number in (signal.SIGKILL, signal.SIGSTOP):
            continue
        disposition = signal.SIG_IGN if number == signal.SIGPIPE else signal.SIG_DFL
        with contextlib.suppress(OSError, ValueError):
            signal.signal(number, disposition)
    syscalls.prctl(syscalls.PR_SET_DUMPABLE, 0)


class _Reaped:
    """What the init saw of the job's processes as it reaped them."""

    def __init__(self) -> None:
        self.sigsys = 0

    def note(self, status: int) -> None:
        # SIGSYS is how the seccomp filter kills a process that aimed a call at the init or
        # used a foreign system call ABI.
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGSYS:
            self.sigsys += 1


def process_name() -> bytes:
    with open("/proc/self/comm", "rb") as f:
        return f.read().strip()


def set_process_name(name: bytes) -> None:
    """Set /proc/self/comm (what ps shows; 15 bytes at most)."""
    with contextlib.suppress(OSError), open("/proc/self/comm", "wb") as f:
        f.write(name[:15])


def _write_job_files(job: SandboxJob, plan: isolation.RootPlan) -> None:
    for name, data in job.files.items():
        path = os.path.join(isolation.JOB_DIR, name)
        parent = os.path.dirname(path)
        if parent != isolation.JOB_DIR:
            os.makedirs(parent, exist_ok=True)
            os.chown(parent, plan.uid, plan.gid)
        with open(path, "wb") as f:
            f.write(data)
        os.chown(path, plan.uid, plan.gid)
    out = os.path.join(isolation.JOB_DIR, "out")
    os.mkdir(out)
    os.chown(out, plan.uid, plan.gid)


def _read_to_eof(fd: int, cap: int) -> bytes:
    chunks, size = [], 0
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        if size < cap:
            chunks.append(chunk)
        size += len(chunk)
    os.close(fd)
    return b"".join(chunks)[:cap]


def _wait_for(learner: int, reaped: _Reaped) -> int | None:
    """Reap children (orphans reparent to init) until the learner's process has ended."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return None
        reaped.note(status)
        if pid == learner:
            return status


def _end_job_processes(reaped: _Reaped) -> None:
    """SIGKILL every other process of the job's pid namespace and reap them all.

    ``kill(-1)`` from a namespace's init reaches every process of the namespace but itself;
    it is repeated after each reaped child, so that a process caught in a fork comes out dead
    too. Returns when the init has no child left (ECHILD).
    """
    while True:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        try:
            _, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return
        reaped.note(status)


def _disk_full() -> bool:
    for path in (isolation.JOB_DIR, "/dev/shm"):  # noqa: S108 -- the job's own tmpfs
        try:
            st = os.statvfs(path)
        except OSError:
            continue
        if st.f_bavail == 0 or st.f_favail == 0:
            return True
    return False


def _file_at_size_limit(limit: int) -> bool:
    """Whether a regular file of at least ``limit`` bytes is left in the job's tmpfs: the
    kernel's evidence that RLIMIT_FSIZE stopped a write (files cannot grow past it), so that a
    job killing itself with SIGXFSZ is not reported as having hit the limit. Symlinks are not
    followed, nor other file systems (a read-only bind below /tmp); the walk is bounded (the
    tmpfs has at most a few thousand inodes)."""
    budget = [4096]

    def walk(path: str, device: int, depth: int) -> bool:
        try:
            entries = list(os.scandir(path))
        except OSError:
            return False
        for entry in entries:
            budget[0] -= 1
            if budget[0] < 0:
                return False
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if st.st_dev != device:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_size >= limit:
                return True
            if stat.S_ISDIR(st.st_mode) and depth < 8 and walk(entry.path, device, depth + 1):
                return True
        return False

    for top in (isolation.JOB_DIR, "/dev/shm"):  # noqa: S108 -- the job's own tmpfs
        try:
            if walk(top, os.stat(top).st_dev, 0):
                return True
        except OSError:
            continue
    return False


def _collect_artifacts(budget: int) -> dict[str, bytes]:
    """Regular files under ./out, never through a symlink, at most ``budget`` bytes in all."""
    found: dict[str, bytes] = {}
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        top = os.open("out", flags | os.O_DIRECTORY)
    except OSError:
        return found
    remaining = [budget]

    def walk(dir_fd: int, prefix: str, depth: int) -> None:
        try:
            names = sorted(os.listdir(dir_fd))
        except OSError:
            return
        for name in names:
            if len(found) >= MAX_ARTIFACT_FILES or remaining[0] <= 0:
                return
            try:
                fd = os.open(name, flags, dir_fd=dir_fd)
            except OSError:
                continue  # a symlink (ELOOP), a vanished file, a FIFO without writer...
            try:
                st = os.fstat(fd)
                if stat.S_ISDIR(st.st_mode) and depth < MAX_ARTIFACT_DEPTH:
                    walk(fd, f"{prefix}{name}/", depth + 1)
                elif stat.S_ISREG(st.st_mode) and st.st_size <= remaining[0]:
                    data = os.read(fd, st.st_size + 1)[: remaining[0]]
                    remaining[0] -= len(data)
                    found[prefix + name] = data
            finally:
                os.close(fd)

    walk(top, "", 0)
    os.close(top)
    return found


# --- the learner's process ----------------------------------------------------------------


def run_learner(job: SandboxJob, plan: isolation.RootPlan, fds: JobFds, setup_w: int) -> NoReturn:
    """Isolate this process further, then run the job's entry file as ``__main__``."""
    code = SETUP_FAILED_EXIT
    try:
        _set_oom_score_adj(1000)
        setup_w = _arrange_fds(fds, setup_w)
        _restore_python_signals()
        os.setsid()  # out of the init's session and process group: kill(0, ...) stays here
        isolation.become_job_user(plan.uid, plan.gid)
        _set_environment(job, plan)
        _set_rlimits(job)
        seccomp.install()
        _reseed()
        _cap_gpu_memory(job)
        _prepare_interpreter(job)
        _write_all(setup_w, b"ok")
        os.close(setup_w)
    except BaseException:
        try:
            _write_all(setup_w, traceback.format_exc().encode())
        finally:
            os._exit(SETUP_FAILED_EXIT)
    try:
        code = _run_entry(job.entry)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(code)


def _restore_python_signals() -> None:
    """What a fresh interpreter has (the init reset everything to SIG_DFL): Ctrl-C raises
    KeyboardInterrupt, SIGPIPE is ignored; SIGXFSZ keeps its default, which kills, because
    the file size limit is meant to stop the job (Python would ignore it)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)


def _arrange_fds(fds: JobFds, setup_w: int) -> int:
    """Leave exactly 0-3 (stdin=/dev/null, stdout, stderr, channel) and the set-up report at
    SETUP_FD (close-on-exec; closed before learner code runs)."""
    devnull = os.open("/dev/null", os.O_RDONLY)
    wanted = [devnull, fds.stdout, fds.stderr, fds.channel]
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in [*wanted, setup_w]]
    for target, fd in enumerate(high[:4]):
        os.dup2(fd, target, inheritable=True)
    setup = os.dup2(high[4], SETUP_FD, inheritable=False)
    os.closerange(SETUP_FD + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    return setup


def _set_environment(job: SandboxJob, plan: isolation.RootPlan) -> None:
    cuda_devices = os.environ.get("CUDA_VISIBLE_DEVICES", "0") if job.device == "cuda" else ""
    os.environ.clear()
    os.environ.update(
        {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": isolation.JOB_DIR,
            "TMPDIR": isolation.JOB_DIR,
            "USER": "sandbox",
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "PYTHONHASHSEED": str(int.from_bytes(os.urandom(4), "little")),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLCONFIGDIR": isolation.JOB_DIR,
            "CUDA_VISIBLE_DEVICES": cuda_devices,
            "SANDBOX_CHANNEL_FD": str(CHANNEL_FD),
        }
    )


def _set_rlimits(job: SandboxJob) -> None:
    limits = job.limits
    # A backstop only: the supervisor stops the job when the cgroup's exact count reaches
    # cpu_s, and that is the CPU limit it reports. The kernel's per-process tick count, which
    # RLIMIT_CPU uses, ran ~10% ahead of it on a loaded VM, so the rlimit sits above.
    cpu = math.ceil(limits.cpu_s * 1.25) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    size = limits.file_size_mb * MB
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    # The uid is the job's own, so this counts the job's processes and threads only; the
    # cgroup's pids.max (one lower, counting init) trips first and is what gets reported.
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes + 1, limits.processes + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if job.device != "cuda":
        # Address space is not memory (the cgroup bounds that); this only turns an absurd
        # single allocation into a quick MemoryError. The CUDA build of torch maps ~4 GiB
        # just to import, and far more on CUDA init, hence the slack and no cap on GPU jobs.
        with open("/proc/self/status") as f:
            vm_kb = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
        cap = vm_kb * 1024 + (limits.memory_mb + 8192) * MB
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _reseed() -> None:
    import random

    random.seed(os.urandom(32))
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(int.from_bytes(os.urandom(4), "little"))
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        # The CPU generator only: torch.manual_seed also queues every accelerator's (~4 ms).
        torch.default_generator.manual_seed(int.from_bytes(os.urandom(8), "little") >> 1)
        torch.set_num_threads(1)


def _cap_gpu_memory(job: SandboxJob) -> None:
    """Cap torch's CUDA allocator a little below ``gpu_memory_mb`` once CUDA initialises in
    the job: a first, friendly line only (a clear ``OutOfMemoryError`` inside torch).

    The cap itself is the supervisor's NVML watchdog (gpuwatch.py): the job can undo this
    setting, and memory that CUDA libraries take outside torch's allocator (context,
    cuDNN/cuBLAS workspaces, raw cudaMalloc through ctypes) is not counted by it. CUDA cannot
    be initialised here (the zygote never did, and initialising costs ~0.5 s that a job not
    using the GPU should not pay), so the cap is queued for torch's lazy init.
    """
    torch = sys.modules.get("torch")
    if job.device != "cuda" or torch is None:
        return
    limit = gpuwatch.allocator_cap_bytes(job.limits.gpu_memory_mb)

    def cap() -> None:
        for index in range(torch.cuda.device_count()):
            total = torch.cuda.get_device_properties(index).total_memory
            torch.cuda.set_per_process_memory_fraction(min(1.0, limit / total), index)

    torch.cuda._lazy_call(cap)


def _prepare_interpreter(job: SandboxJob) -> None:
    import faulthandler
    import io

    project, prefix = str(isolation.project_root()), os.path.realpath(sys.prefix)
    base = [p for p in sys.path if p and (not p.startswith(project) or p.startswith(prefix))]
    extra = [
        os.path.join(isolation.JOB_DIR, p) if not p.startswith("/") else p for p in job.pythonpath
    ]
    entry_dir = os.path.dirname(os.path.join(isolation.JOB_DIR, job.entry))
    sys.path[:] = [entry_dir] + [p for p in extra if p != entry_dir] + base
    # sys.path_importer_cache is kept: clearing it frees thousands of zygote objects, which
    # costs ~10 ms of copy-on-write faults, and a stale finder of a path no longer on
    # sys.path is never consulted.
    sys.argv[:] = [job.entry]
    for name in OWN_MODULES:
        sys.modules.pop(name, None)  # the sandbox's own modules are not the job's business
    for fd, attr in ((1, "stdout"), (2, "stderr")):
        stream = io.TextIOWrapper(
            io.FileIO(fd, "w", closefd=False),
            encoding="utf-8",
            errors="backslashreplace",
            line_buffering=True,
        )
        setattr(sys, attr, stream)
        setattr(sys, f"__{attr}__", stream)
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    faulthandler.enable(file=sys.stderr)
    # The zygote's exit handlers (torch, onnxruntime...) clean up the zygote's state and
    # cost ~40 ms; the job runs only the handlers registered after the fork, plus logging's
    # flush, as a fresh interpreter would for its own state.
    import atexit

    atexit._clear()
    if "logging" in sys.modules:
        atexit.register(sys.modules["logging"].shutdown)


def _run_entry(entry: str) -> int:
    import runpy
    import threading

    code = 0
    try:
        runpy.run_path(os.path.join(isolation.JOB_DIR, entry), run_name="__main__")
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException as exc:
        _print_learner_traceback(exc)
        code = 1
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # wait for non-daemon threads
        import atexit

        atexit._run_exitfuncs()
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:
        traceback.print_exc()
    return code


def _print_learner_traceback(exc: BaseException) -> None:
    """Print the traceback without the sandbox's and runpy's own frames on top."""
    tb = exc.__traceback__
    while tb is not None and (
        tb.tb_frame.f_code.co_filename in (__file__, "<frozen runpy>")
        or tb.tb_frame.f_code.co_filename.endswith("runpy.py")
    ):
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def describe_status(status: int | None) -> tuple[int | None, int | None]:
    """(exit_code, signal) from a wait status."""
    if status is None:
        return None, signal.SIGKILL
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None


def decode_result(data: bytes) -> tuple[dict, dict[str, bytes]]:
    from .protocol import _split, _unframe

    if not data:
        return {}, {}
    header, body = _unframe(data)
    return header, _split(body, header.get("artifacts", []))


__all__ = ["JobFds", "decode_result", "describe_status", "json", "run_init"]
