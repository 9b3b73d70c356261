"""The warm interpreter that forks one isolated child per job, and the caller's handle on it.

Threat model for this part: a fresh interpreter per job would cost ~2 s of ``import torch``;
a warm one shares its memory with every job it forks. So the zygote is started by ``exec``
with an empty, explicit environment (no secret key, database or broker URL ever enters its
memory or its ``/proc/<pid>/environ``, which is what a job's init shows as /proc/1/environ),
never touches a job's data (jobs arrive as sealed memfds, passed on unread to a per-job
supervisor forked for that job alone), and never initialises CUDA (a forked child could not use
it). It imports torch with one intra-op and one inter-op thread before any op, warms it up,
imports numpy, onnx, onnxruntime and torchvision, freezes the GC (fewer copy-on-write pages
per child), backs its large private regions with 2 MB pages (forks and exits of its children
then copy and drop far fewer page table entries), then serves. It keeps one spare supervisor
forked ahead of the next job (it prepares the job's cgroup, pid namespace and init before
the job exists, so it holds nothing of any job); a job's descriptors go to the spare unread.
Before its imports it chooses where job cgroups go (cgroups.setup) and refuses to start,
with the reason, where none can bound a job and the fallback was not allowed
(``allow_no_cgroup``, from the SANDBOX_ALLOW_NO_CGROUP setting through ``configure``); where
it was allowed, the caller logs a warning at every start. It compiles the seccomp program once
before serving. Every process it forks (spare, supervisor) ends in ``os._exit``, so an
exception in one can never return into the zygote's loop.
It exits when its caller closes the control socket (its spare then undoes its preparation),
so it cannot outlive its worker; the caller restarts it when it has died, and after
``max_jobs`` jobs so that address layout and hash secret rotate. On ``device="cuda"`` the
same fork path is used: CUDA is first initialised in the job's own process; the job's GPU
memory is capped by its supervisor, which samples the device through NVML (gpuwatch.py; torch's
allocator is also capped in the job, a friendly first line only). The zygote never imports
pynvml.

Streaming: ``run(job, on_channel=...)`` calls ``on_channel`` in the caller's thread with each
complete line of the job's observation channel as the supervisor forwards it. The frames travel
on the job's own reply socket, which the zygote passed to the supervisor unread and closed: the
zygote process never sees a streamed byte. The caller's side buffers at most one partial line,
and the supervisor never frames more than ``limits.channel_bytes`` in all. A callback that
raises is logged once and not called again for that job; the job and its outcome go on.
"""

from __future__ import annotations

import array
import atexit
import ctypes
import gc
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from . import cgroups, child, gpuwatch, protocol, seccomp
from .limits import SandboxJob, SandboxOutcome
from .supervisor import Prepared, SandboxError, prepare, supervise

DEFAULT_PRELOAD = ("numpy", "torch", "onnx", "onnxruntime", "torchvision")
ZYGOTE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    # torch.cuda.is_available() through NVML: the plain check initialises the CUDA driver
    # (torch.optim's step calls it), after which no forked child can use the GPU.
    "PYTORCH_NVML_BASED_CUDA_CHECK": "1",
}
PASSED_THROUGH_ENV = ("CUDA_VISIBLE_DEVICES",)  # needed by GPU jobs, not secret
START_TIMEOUT_S = 180
SPARE_RETIRE_TIMEOUT_S = 5
# The supervisor enforces the job's wall time itself; this only catches a hung supervisor.
REPLY_GRACE_S = 60
ChannelCallback = Callable[[bytes], None]
logger = logging.getLogger(__name__)
PACKAGE_NAME = "_grading_sandbox"

# Runs in the fresh interpreter: load this package under a private name straight from its
# directory, so that neither the project's ``grading`` package nor Django is imported.
_BOOTSTRAP = f"""
import importlib.util, sys
fd, directory, preload, allow_no_cgroup, allow_no_gpu_watchdog = sys.argv[1:6]
spec = importlib.util.spec_from_file_location(
    "{PACKAGE_NAME}", directory + "/__init__.py", submodule_search_locations=[directory])
module = importlib.util.module_from_spec(spec)
sys.modules["{PACKAGE_NAME}"] = module
spec.loader.exec_module(module)
from {PACKAGE_NAME}.zygote import serve
serve(int(fd), [m for m in preload.split(",") if m], allow_no_cgroup == "1",
      allow_no_gpu_watchdog == "1")
"""
READY = b"ready"
READY_WITHOUT_CGROUP = b"ready-without-cgroup:"
REFUSED = b"refused:"

# Whether zygotes made without an explicit ``allow_no_cgroup`` may run jobs without a cgroup
# (development machines only); set from the SANDBOX_ALLOW_NO_CGROUP setting by ``configure``.
_allow_no_cgroup_default = False
# Whether CUDA jobs may run where NVML cannot watch their GPU memory (gpuwatch.py; development
# machines only); set from the SANDBOX_ALLOW_NO_GPU_WATCHDOG setting by ``configure``.
_allow_no_gpu_watchdog_default = False
# The lab environments this process serves: name -> what its warm interpreter preloads (the
# LAB_ENVIRONMENTS setting through ``configure``). Each gets a zygote of its own.
DEFAULT_ENVIRONMENT = "torch"
_environments: dict[str, tuple[str, ...]] = {DEFAULT_ENVIRONMENT: DEFAULT_PRELOAD}


def configure(
    *,
    allow_no_cgroup: bool,
    environments: dict[str, list[str] | tuple[str, ...]] | None = None,
    allow_no_gpu_watchdog: bool = False,
) -> None:
    """Set this process's sandbox defaults from the project's settings (called by the grading
    app at start; the sandbox itself never imports Django)."""
    global _allow_no_cgroup_default, _allow_no_gpu_watchdog_default, _environments
    _allow_no_cgroup_default = allow_no_cgroup
    _allow_no_gpu_watchdog_default = allow_no_gpu_watchdog
    if environments is not None:
        _environments = {name: tuple(modules) for name, modules in environments.items()}


def environments() -> tuple[str, ...]:
    """The names of the lab environments this process can serve."""
    return tuple(_environments)


class Zygote:
    """A warm interpreter serving jobs; thread-safe; start() is implicit on first run()."""

    def __init__(
        self,
        preload: tuple[str, ...] = DEFAULT_PRELOAD,
        python: str | None = None,
        max_jobs: int = 2000,
        extra_env: dict[str, str] | None = None,
        allow_no_cgroup: bool | None = None,
    ) -> None:
        self.preload = preload
        self.python = python or sys.executable
        self.max_jobs = max_jobs
        self.extra_env = dict(extra_env or {})
        # None: the process default (``configure``), read at each start.
        self.allow_no_cgroup = allow_no_cgroup
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._jobs = 0
        self._owner_pid = os.getpid()

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        self._stop_locked()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(ZYGOTE_ENV)
        env.update({k: os.environ[k] for k in PASSED_THROUGH_ENV if k in os.environ})
        env.update(self.extra_env)
        allow = self.allow_no_cgroup
        allow = _allow_no_cgroup_default if allow is None else allow
        try:
            self._process = subprocess.Popen(
                [
                    self.python,
                    "-I",
                    "-c",
                    _BOOTSTRAP,
                    str(theirs.fileno()),
                    str(Path(__file__).resolve().parent),
                    ",".join(self.preload),
                    "1" if allow else "0",
                    "1" if _allow_no_gpu_watchdog_default else "0",
                ],
                env=env,
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        finally:
            theirs.close()
        ours.settimeout(START_TIMEOUT_S)
        try:
            ready = ours.recv(8192)
        except OSError as exc:
            ready = b"" if not isinstance(exc, TimeoutError) else b"timeout"
        if ready != READY and not ready.startswith(READY_WITHOUT_CGROUP):
            ours.close()
            self._process.kill()
            self._process.wait()
            self._process = None
            if ready.startswith(REFUSED):
                message = ready[len(REFUSED) :].decode(errors="replace")
                logger.error("SANDBOX REFUSES TO GRADE: %s", message)
                raise SandboxError(message)
            raise SandboxError(f"the zygote did not start ({ready!r})")
        if ready.startswith(READY_WITHOUT_CGROUP):
            logger.warning(
                "SANDBOX WITHOUT CGROUPS (SANDBOX_ALLOW_NO_CGROUP is on; development only): "
                "%s. A job's memfd and tmpfs pages escape its memory limit and short-lived "
                "processes its CPU limit.",
                ready[len(READY_WITHOUT_CGROUP) :].decode(errors="replace"),
            )
        ours.settimeout(None)
        self._control = ours
        self._jobs = 0
        self._owner_pid = os.getpid()

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._control is not None:
            self._control.close()  # EOF: the zygote's loop ends and it exits
            self._control = None
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> Zygote:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- jobs ---------------------------------------------------------------------------
    def run(self, job: SandboxJob, on_channel: ChannelCallback | None = None) -> SandboxOutcome:
        """Run ``job`` in a fresh isolated child; thread-safe (jobs run concurrently).

        ``on_channel``, if given, is called in this thread with each complete line (ending in
        b"\n") of the job's observation channel, in order, while the job runs; a last partial
        line, if the channel did not end with a newline, comes in one final call before this
        returns. ``outcome.channel`` still holds all of it (at most ``limits.channel_bytes``).
        If the callback raises, the exception is logged, the callback is not called again for
        this job, and the job runs on to its normal outcome.
        """
        memfd = protocol.job_to_memfd(job)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with self._lock:
                if os.getpid() != self._owner_pid:
                    # A forked worker process must not share its parent's zygote socket.
                    self._control, self._process = None, None
                if not self.alive() or self._jobs >= self.max_jobs:
                    self._start_locked()
                fds = array.array("i", [theirs.fileno(), memfd])
                try:
                    self._control.sendmsg([b"job"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
                except OSError as exc:
                    raise SandboxError(f"the zygote is gone: {exc}") from exc
                self._jobs += 1
            theirs.close()
            os.close(memfd)
            memfd = -1
            lines = _LineSplitter(on_channel)
            deadline = time.monotonic() + job.limits.wall_s + REPLY_GRACE_S
            try:
                data = protocol.recv_reply(
                    ours, lines.feed, deadline, max_progress_bytes=job.limits.channel_bytes
                )
            except TimeoutError as exc:
                raise SandboxError("no answer from the sandbox supervisor") from exc
            lines.finish()
        finally:
            ours.close()
            if memfd >= 0:
                os.close(memfd)
                theirs.close()
        if data[:1] == b"O":
            return protocol.outcome_from_bytes(data[1:])
        if data[:1] == b"V":
            raise ValueError(data[1:].decode(errors="replace"))
        raise SandboxError(data[1:].decode(errors="replace") or "the supervisor died")


class _LineSplitter:
    """Turns streamed channel bytes into calls of the caller's callback, one line each.

    Holds at most one partial line (itself bounded by the channel cap). A callback that
    raises is dropped for the rest of the job: a broken consumer would most likely fail on
    every line, and the job's outcome matters more than its progress display.
    """

    def __init__(self, callback: ChannelCallback | None) -> None:
        self.callback = callback
        self.partial = bytearray()

    def feed(self, data: bytes) -> None:
        if self.callback is None:
            return
        self.partial += data
        start = 0
        while self.callback is not None:
            end = self.partial.find(b"\n", start)
            if end < 0:
                break
            self._call(bytes(self.partial[start : end + 1]))
            start = end + 1
        del self.partial[:start]

    def finish(self) -> None:
        if self.callback is not None and self.partial:
            self._call(bytes(self.partial))
        self.partial.clear()

    def _call(self, line: bytes) -> None:
        try:
            self.callback(line)
        except Exception:
            logger.exception("sandbox: the on_channel callback raised; not calling it again")
            self.callback = None
            self.partial.clear()


# --- the zygote process ----------------------------------------------------------------------


def _preload(modules: list[str]) -> None:
    for name in modules:
        try:
            __import__(name)
        except Exception:  # a missing optional module must not stop the zygote
            print(f"sandbox zygote: could not preload {name}", file=sys.stderr)
    if "torch" in sys.modules:
        import torch

        # Before any op: a forked child of a process whose intra-op pool has threads hangs
        # in its first op (PyTorch issues 41197, 58962).
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        model = torch.nn.Sequential(
            torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8, 2)
        )
        loss = torch.nn.functional.cross_entropy(
            model(torch.ones(3, 1, 4, 4)), torch.tensor([0, 1, 0])
        )
        if not os.path.exists("/dev/nvidiactl"):
            # On a GPU node a backward pass starts autograd's per-device threads, which
            # initialise CUDA: measured on an H100 node, every forked child then failed with
            # "CUDA error: initialization error". Forward-only warm-up there.
            loss.backward()
            torch.optim.Adam(model.parameters()).step()
        _warm_up_onnx_export(torch)


def _warm_up_onnx_export(torch) -> None:
    """Trace and export a tiny model once, so that each forked job does not pay the first
    export's set-up again (~40 ms of a ~65 ms ONNX lab, measured). The TorchScript-based
    exporter runs on this thread only (torch has one intra-op and one inter-op thread here),
    so no thread exists at fork time. onnxruntime is not warmed: a session starts threads."""
    if "onnx" not in sys.modules:
        return
    import io
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                torch.nn.Linear(2, 1).eval(),
                (torch.ones(1, 2),),
                io.BytesIO(),
                input_names=["input"],
                dynamic_axes={"input": {0: "batch"}},
                dynamo=False,
            )
    except Exception as error:  # a warm-up only: never stop the zygote for it
        print(f"sandbox zygote: ONNX export warm-up skipped: {error}", file=sys.stderr)


MADV_COLLAPSE = 25  # linux/mman.h, Linux 6.1+
HUGE_PAGE = 2 << 20


def _collapse_to_huge_pages() -> int:
    """Back the zygote's large anonymous regions (the malloc heap, torch's and Python's
    arenas: ~330 of its ~400 MB of private memory) with 2 MB pages; return how many MB.

    Why: each job costs three forks of this process and two exits of such forks, and each of
    those walks every 4 KB page table entry of private memory (~10 ms apiece, measured). With
    huge pages a fork copies one entry per 2 MB and an exit drops one: ~2-3 ms each. A page
    that a child then writes is split and copied 4 KB at a time, as before. This changes page
    size only, not what any process can see. Where the kernel refuses (no THP support, no
    free 2 MB blocks) the regions simply stay as they are.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        madvise = libc.madvise
        madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        with open("/proc/self/maps") as f:
            maps = f.read().splitlines()
    except (OSError, AttributeError):
        return 0
    collapsed = 0
    for line in maps:
        fields = line.split()
        if fields[1] != "rw-p" or (len(fields) > 5 and fields[5] != "[heap]"):
            continue  # private anonymous memory only (file mappings are not copied by fork)
        low, high = (int(x, 16) for x in fields[0].split("-"))
        start = (low + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)
        end = high & ~(HUGE_PAGE - 1)
        if end - start >= 2 * HUGE_PAGE and madvise(start, end - start, MADV_COLLAPSE) == 0:
            collapsed += (end - start) >> 20
    return collapsed


def serve(
    control_fd: int,
    preload: list[str],
    allow_no_cgroup: bool = False,
    allow_no_gpu_watchdog: bool = False,
) -> None:
    """The zygote's loop: hand each job to a spare supervisor; exit on EOF.

    A spare is a supervisor forked while the zygote waits for the next job; it prepares
    everything that does not depend on the job (supervisor.prepare) and then waits on a socket
    of its own. Each job message's descriptors go to the spare unread and the zygote forks
    the next spare at once. If the spare is gone, a supervisor is forked for the job directly.
    """
    control = socket.socket(fileno=control_fd)
    gpuwatch.configure(allow_no_gpu_watchdog)  # inherited by every supervisor forked below
    # Refuse before the long imports where no job could be bounded or filtered.
    try:
        _, no_cgroup_reason = cgroups.setup(allow_no_cgroup)
        seccomp.program()
    except Exception as error:
        control.send(REFUSED + str(error).encode()[:8000])
        return
    _preload(preload)
    gc.collect()
    gc.freeze()  # objects moved to the permanent generation are never scanned, so not copied
    _collapse_to_huge_pages()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    if no_cgroup_reason:
        control.send(READY_WITHOUT_CGROUP + no_cgroup_reason.encode()[:8000])
    else:
        control.send(READY)
    spare: tuple[int, socket.socket] | None = None
    try:
        while True:
            if spare is None:
                spare = _fork_spare(control)
            try:
                message, ancdata, _, _ = control.recvmsg(16, socket.CMSG_SPACE(2 * 4))
            except InterruptedError:
                continue
            if not message:
                return
            fds = array.array("i")
            for level, kind, data in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
            if message != b"job" or len(fds) != 2:
                for fd in fds:
                    os.close(fd)
                continue
            _, spare_socket = spare
            spare = None
            try:
                spare_socket.sendmsg([b"job"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
            except OSError:  # the spare died: serve this job with a supervisor of its own
                _fork_supervisor(control, fds[0], fds[1])
            finally:
                spare_socket.close()
            for fd in fds:
                os.close(fd)
    finally:
        if spare is not None:
            _retire_spare(*spare)


def _fork_spare(control: socket.socket) -> tuple[int, socket.socket]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:  # a forked child must never return into the zygote's loop
            control.close()
            ours.close()
            _spare_main(theirs)
        finally:
            os._exit(1)
    theirs.close()
    return pid, ours


def _retire_spare(pid: int, spare_socket: socket.socket) -> None:
    """EOF tells the spare to undo its preparation; wait (bounded) until it has."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        pidfd = -1
    spare_socket.close()
    if pidfd >= 0:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        poller.poll(SPARE_RETIRE_TIMEOUT_S * 1000)
        os.close(pidfd)


def _fork_supervisor(control: socket.socket, reply_fd: int, job_fd: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    if os.fork() == 0:
        try:  # a forked child must never return into the zygote's loop
            control.close()
            _supervisor_main(reply_fd, job_fd, None)
        finally:
            os._exit(1)


def _spare_main(jobs: socket.socket) -> None:
    """A spare supervisor: prepare, then wait for one job (or EOF: undo and exit)."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    name = child.process_name()
    child.set_process_name(child.SPARE_NAME.encode())  # until a job comes (see child.py)
    prepared = None
    try:
        prepared = prepare(not_for_init=(jobs,), init_name=name)
    except BaseException:
        # Not fatal here: supervise() prepares again and reports the failure to the caller.
        prepared = None
    try:
        _, fds, _, _ = socket.recv_fds(jobs, 16, 2)
    except OSError:
        fds = []
    jobs.close()
    child.set_process_name(name)
    if len(fds) != 2:
        for fd in fds:
            os.close(fd)
        try:
            if prepared is not None:
                prepared.discard()
        finally:
            os._exit(0)
    _supervisor_main(fds[0], fds[1], prepared)


def _supervisor_main(reply_fd: int, job_fd: int, prepared: Prepared | None) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    reply = socket.socket(fileno=reply_fd)
    code = 0
    try:
        try:
            job = protocol.job_from_fd(job_fd)
            outcome = supervise(job, reply, prepared, job_fd)
            message = b"O" + protocol.outcome_to_bytes(outcome)
        except ValueError as exc:
            message = b"V" + str(exc).encode()
        except BaseException:
            message = b"E" + traceback.format_exc().encode()
            code = 1
        protocol.send_all_and_close(reply, message)
    finally:
        os._exit(code)


# --- the warm zygotes of this process, one per lab environment ------------------------------

_default: dict[str, Zygote] = {}
_default_lock = threading.Lock()


def default_zygote(environment: str = DEFAULT_ENVIRONMENT) -> Zygote:
    """This process's warm zygote of ``environment``, created on first use (a forked worker
    gets its own). ValueError for an environment that ``configure`` did not name."""
    if environment not in _environments:
        raise ValueError(f"unknown lab environment {environment!r}; known: {environments()}")
    with _default_lock:
        zygote = _default.get(environment)
        if zygote is None or zygote._owner_pid != os.getpid():
            zygote = _default[environment] = Zygote(preload=_environments[environment])
        return zygote


def stop_default_zygote() -> None:
    """Stop every warm zygote of this process."""
    with _default_lock:
        zygotes = list(_default.values())
        _default.clear()
    for zygote in zygotes:
        if zygote._owner_pid == os.getpid():
            zygote.stop()


atexit.register(stop_default_zygote)


def run_job(
    job: SandboxJob, zygote: Zygote | None = None, on_channel: ChannelCallback | None = None
) -> SandboxOutcome:
    """Run ``job`` in a fresh isolated child of ``zygote`` (default: this process's own).

    ``on_channel``: see ``Zygote.run`` (called in this thread, one channel line per call)."""
    return (zygote or default_zygote()).run(job, on_channel)


def run_job_fresh(job: SandboxJob, on_channel: ChannelCallback | None = None) -> SandboxOutcome:
    """Same isolation, but in a fresh interpreter with nothing preloaded (slow; a baseline)."""
    with Zygote(preload=()) as zygote:
        return zygote.run(job, on_channel)


__all__ = [
    "DEFAULT_ENVIRONMENT",
    "Zygote",
    "configure",
    "default_zygote",
    "environments",
    "run_job",
    "run_job_fresh",
    "stop_default_zygote",
    "time",
]
