"""The per-job supervisor: starts the job, enforces its limits from outside, reports.

Threat model for this part: the job may try to outlast its limits (sleep, spin, fork, write
gigabytes, stop reading its input), so nothing here waits on the job without a deadline. The
supervisor is a process of its own per job, forked from the zygote and never forking another
job, so one job's files and outputs never sit in memory that a later job inherits. It is
normally forked as a spare before its job exists and prepares all that does not depend on the
job (``prepare``: the cgroup, the pid namespace, the init moved into the cgroup and waiting for
the job); the job's limits are written to the cgroup before the init gets the job, so no
learner code ever runs without them. It reads the job's stdout, stderr and observation channel
with caps (and stops the job past a hard ceiling), enforces wall time itself and the whole
job's CPU time through the cgroup, a CUDA job's GPU memory through NVML (gpuwatch.py: the whole
device's used memory, sampled every ~50 ms against its level before the job started; the job's
own torch cap is only a friendly first line that it could undo), and at the end kills the job's
init (which makes the kernel kill its whole pid namespace) and then every pid still listed in
the job's cgroup until none is left, before it removes the group. If the caller goes away, the
job is killed; if the supervisor dies, the job's init gets SIGKILL through PDEATHSIG. Channel
bytes that it keeps are also forwarded to the caller while the job runs (progress frames, see
protocol.py), never more than ``limits.channel_bytes`` in all; the socket is written without
blocking and the unsent rest waits in a buffer bounded by that same cap, so a caller that reads
slowly (or not at all) cannot stall the enforcement of the job's limits.

Verdicts come from the kernel and the supervisor only: ``limit_hit`` is decided from the
cgroup's counters (OOM kills, refused forks, CPU time), the supervisor's own clock, byte counts
and NVML readings, the init's wait statuses and what the init saw of the job's tmpfs after
every job process was dead; nothing the job writes (stdout, stderr, channel, files) decides it.
A job that interfered with the trusted side ends with a normal outcome whose ``limit_hit`` is
"violation" (details go to the worker's stderr, never to the job's outcome); SandboxError is
raised only where the sandbox failed before any learner code ran (a CUDA job whose GPU memory
NVML cannot watch included: refused, see gpuwatch.py), or the supervisor itself failed. Without
a usable cgroup the sandbox refuses to run jobs unless the fallback was allowed for development
(see cgroups.py): the job's unique uid then gives a per-job RLIMIT_NPROC, and memory and CPU
are polled from /proc for that uid (weaker: memfds that no process maps escape it, and CPU
spent between two polls by processes that exit is missed).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass, field

from . import cgroups, child, gpuwatch, isolation, protocol, syscalls
from .limits import TRUNCATED_MARKER, LimitHit, SandboxJob, SandboxOutcome

POLL_INTERVAL_S = 0.05
DRAIN_TIMEOUT_S = 2.0
# Sending what is left after the job ended: bounded, so that a caller that stopped reading
# without closing its socket cannot keep a supervisor alive forever.
FINAL_SEND_TIMEOUT_S = 300.0
MB = 1024 * 1024


class _Forwarder:
    """Streams kept channel bytes to the caller as progress frames, never blocking.

    ``pending`` holds framed bytes the socket did not take yet; it never exceeds the channel
    cap plus five bytes per frame, because only kept channel bytes are ever framed.
    """

    def __init__(self, caller: socket.socket) -> None:
        self.caller = caller
        self.pending = bytearray()
        self.broken = False
        caller.setblocking(False)

    def push(self, data: bytes) -> None:
        if data and not self.broken:
            self.pending += protocol.progress_frame(data)
            self.flush_some()

    def flush_some(self) -> None:
        """Send what the socket takes now; mark the caller gone on a broken connection."""
        while self.pending and not self.broken:
            try:
                sent = self.caller.send(self.pending)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.broken = True
                self.pending.clear()
                return
            del self.pending[:sent]

    def finish(self) -> None:
        """Send the rest, blocking (the job has ended), within FINAL_SEND_TIMEOUT_S."""
        self.caller.settimeout(FINAL_SEND_TIMEOUT_S)
        if self.pending and not self.broken:
            try:
                self.caller.sendall(self.pending)
            except OSError:
                self.broken = True
        self.pending.clear()


@dataclass
class _Stream:
    fd: int
    keep: int
    data: bytearray = field(default_factory=bytearray)
    total: int = 0
    open: bool = True
    forward: _Forwarder | None = None

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.keep - len(self.data)
        if room > 0:
            kept = chunk[:room]
            self.data += kept
            if self.forward is not None:
                self.forward.push(kept)

    @property
    def truncated(self) -> bool:
        return self.total > self.keep

    def text(self) -> str:
        text = bytes(self.data).decode("utf-8", errors="replace")
        return text + TRUNCATED_MARKER if self.truncated else text


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the job): the outcome is unknown, retry elsewhere."""


plan_for = isolation.plan_for  # kept here too: it used to live in this module
PIPES = ("stdout", "stderr", "channel", "result")


@dataclass
class Prepared:
    """What a supervisor sets up before it knows its job (see ``prepare``)."""

    uid: int
    base: isolation.RootPlan
    group: cgroups.JobCgroup | None
    init: int
    pidfd: int
    pipes: dict[str, int]  # read ends, by name
    to_init: socket.socket  # the job's memfd goes to the waiting init through this
    reaped: bool = False

    def discard(self) -> None:
        """Unused after all (the zygote stopped): end the init, remove the group."""
        self.to_init.close()
        _end_init(self)
        if self.group is not None:
            self.group.kill_all()
            self.group.remove()
        for fd in self.pipes.values():
            os.close(fd)
        os.close(self.pidfd)


def prepare(
    not_for_init: tuple[socket.socket, ...] = (), init_name: bytes | None = None
) -> Prepared:
    """Do every job-independent step ahead of the job: the per-job cgroup, the pid namespace,
    and the job's init, forked and moved into the cgroup, then waiting for the job.

    Moving a process into a cgroup costs ~11 ms (the kernel waits for an RCU grace period)
    and each fork of the warm interpreter several more; a spare supervisor forked by the
    zygote while it is idle does all of it before its job arrives. Nothing job-specific
    exists yet, so nothing of one job can be in a spare prepared for the next. Must be called
    once per process (it enters a new pid namespace for its children). ``not_for_init``: this
    process's sockets that the init must not keep (it closes them at once); ``init_name``: the
    process name the init takes when its job arrives.
    """
    uid = isolation.JOB_UID_BASE + os.getpid()
    base = isolation.base_plan(uid)
    group = cgroups.open_job_cgroup(f"job-{os.getpid()}-{os.urandom(4).hex()}")
    pipes = {name: os.pipe() for name in PIPES}
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        syscalls.unshare(syscalls.CLONE_NEWPID)
        init = os.fork()
    except BaseException:
        for pair in pipes.values():
            os.close(pair[0])
            os.close(pair[1])
        ours.close()
        theirs.close()
        if group is not None:
            group.remove()
        raise
    if init == 0:
        try:  # the forked init must never return into the supervisor's (or zygote's) code
            for read_end, _ in pipes.values():
                os.close(read_end)
            ours.close()
            for sock in not_for_init:
                sock.close()
            fds = child.JobFds(*(pipes[n][1] for n in PIPES))
            child.run_init(theirs, uid, base, group, fds, init_name)
        finally:
            os._exit(1)
    theirs.close()
    for _, write_end in pipes.values():
        os.close(write_end)
    return Prepared(
        uid=uid,
        base=base,
        group=group,
        init=init,
        pidfd=os.pidfd_open(init),
        pipes={name: pair[0] for name, pair in pipes.items()},
        to_init=ours,
    )


def _end_init(prepared: Prepared) -> int | None:
    """SIGKILL the init (the kernel then kills its whole pid namespace); its wait status."""
    if prepared.reaped:
        return None
    with contextlib.suppress(ProcessLookupError):
        signal.pidfd_send_signal(prepared.pidfd, signal.SIGKILL)
    _, status = os.waitpid(prepared.init, 0)
    prepared.reaped = True
    return status


def supervise(
    job: SandboxJob,
    caller: socket.socket | None = None,
    prepared: Prepared | None = None,
    job_fd: int | None = None,
) -> SandboxOutcome:
    """Run ``job`` in a fresh sandbox and return its outcome. Must run as root, in a process
    that is not needed afterwards (it enters a new pid namespace for its children).

    ``prepared``: this process's own ``prepare()``, done ahead of the job (else done here);
    ``job_fd``: the memfd ``job`` was read from, passed on to the init as it is (else made).
    With a ``caller`` socket, the job is killed when the caller closes it, and the channel is
    streamed on it as progress frames; they are all sent before this returns, so the caller
    gets them ahead of the final message that follows on the same socket.
    """
    limits = job.limits
    forwarder = _Forwarder(caller) if caller is not None else None
    try:
        if prepared is None:
            isolation.plan_for(job, 0)  # a bad read-only path is refused before any set-up
            prepared = prepare()
        group = prepared.group
        try:
            plan = isolation.plan_for(job, prepared.uid, prepared.base)
            if group is not None:
                group.set_limits(limits.memory_mb * MB, limits.processes + 1)  # +1: init
            watchdog = _gpu_watchdog(job, plan)
            try:
                return _run(job, plan, prepared, caller, forwarder, job_fd, watchdog)
            finally:
                if watchdog is not None:
                    watchdog.close()
        finally:
            _end_init(prepared)
            prepared.to_init.close()
            os.close(prepared.pidfd)
            if group is not None:
                group.kill_all()
                group.remove()
    finally:
        if forwarder is not None:
            forwarder.finish()


def _gpu_watchdog(job: SandboxJob, plan: isolation.RootPlan) -> gpuwatch.GpuWatchdog | None:
    """The GPU memory watchdog of a CUDA job (gpuwatch.py), its baseline read now, before
    the job is sent; None for a CPU job or where gpuwatch lets a CUDA job run unwatched.
    Opened after the job's init was forked, so no NVML descriptor is ever in the job."""
    if job.device != "cuda":
        return None
    try:  # no learner code ran yet: a failure here is the worker's side
        reader = gpuwatch.open_reader(plan.gpu_nodes)
    except gpuwatch.GpuWatchUnavailable as error:
        raise SandboxError(str(error)) from error
    if reader is None:
        return None
    try:
        return gpuwatch.GpuWatchdog(reader, job.limits.gpu_memory_mb)
    except Exception as error:
        reader.close()
        raise SandboxError(f"the GPU memory watchdog could not start: {error}") from error


def _run(
    job: SandboxJob,
    plan: isolation.RootPlan,
    prepared: Prepared,
    caller: socket.socket | None,
    forwarder: _Forwarder | None,
    job_fd: int | None,
    watchdog: gpuwatch.GpuWatchdog | None = None,
) -> SandboxOutcome:
    limits = job.limits
    group = prepared.group
    pipes = prepared.pipes
    own_fd = job_fd is None
    fd = protocol.job_to_memfd(job) if own_fd else job_fd
    started = time.monotonic()
    try:
        socket.send_fds(prepared.to_init, [b"job"], [fd])
    except OSError:
        pass  # an init that died early reports why (or its silence is reported below)
    finally:
        if own_fd:
            os.close(fd)
    streams = {
        "stdout": _Stream(pipes["stdout"], limits.output_bytes),
        "stderr": _Stream(pipes["stderr"], limits.output_bytes),
        "channel": _Stream(pipes["channel"], limits.channel_bytes, forward=forwarder),
        "result": _Stream(pipes["result"], limits.artifact_bytes + MB),
    }
    pidfd = prepared.pidfd
    killed_for: LimitHit | None = None
    accounting = None if group is not None else _UidAccounting(plan.uid)

    poller = select.poll()
    by_fd = {}
    for stream in streams.values():
        os.set_blocking(stream.fd, False)
        poller.register(stream.fd, select.POLLIN)
        by_fd[stream.fd] = stream
    poller.register(pidfd, select.POLLIN)
    caller_fd = caller.fileno() if caller is not None else -1
    caller_mask = select.POLLIN  # the caller never writes: readable means it closed its end
    if caller is not None:
        poller.register(caller_fd, caller_mask)

    deadline = started + limits.wall_s
    init_done = False
    while not init_done:
        now = time.monotonic()
        if now >= deadline:
            killed_for = "wall"
            break
        for fd, events in poller.poll(min(POLL_INTERVAL_S, deadline - now) * 1000):
            if fd == pidfd:
                init_done = True
            elif fd == caller_fd:
                if events & select.POLLOUT:
                    forwarder.flush_some()
                if events & (select.POLLIN | select.POLLHUP | select.POLLERR):
                    forwarder.broken = True
            else:
                _read_some(by_fd[fd], poller)
        if forwarder is not None:
            if forwarder.broken:
                killed_for = killed_for or "wall"  # caller gone: stop at once
                break
            wanted = select.POLLIN | (select.POLLOUT if forwarder.pending else 0)
            if wanted != caller_mask:
                caller_mask = wanted
                poller.modify(caller_fd, caller_mask)
        out_total = streams["stdout"].total + streams["stderr"].total
        if out_total > limits.output_kill_bytes or streams["channel"].truncated:
            killed_for = "output"
            break
        cpu = group.cpu_seconds() if group is not None else accounting.cpu_seconds()
        if cpu > limits.cpu_s:
            killed_for = "cpu"
            break
        if accounting is not None and accounting.memory_bytes() > limits.memory_mb * MB:
            killed_for = "memory"
            break
        if watchdog is not None and _gpu_exceeded(watchdog):
            killed_for = "gpu_memory"
            break

    # Tear down: the init first (the kernel then kills its whole pid namespace), then
    # whatever the cgroup still lists.
    init_status = _end_init(prepared)
    duration = time.monotonic() - started
    if group is not None:
        group.kill_all()
    poller.unregister(pidfd)  # from here on only the pipes are drained
    if caller is not None:
        poller.unregister(caller_fd)
    _drain(streams, poller, by_fd)
    for stream in streams.values():
        os.close(stream.fd)

    learner_started, header, artifacts = _read_result(bytes(streams["result"].data))
    if header.get("setup_error"):
        # No learner code ran: the sandbox itself failed (the worker's fault, not the job's).
        raise SandboxError("sandbox setup failed:\n" + header["setup_error"])
    exit_code, sig = child.describe_status(header.get("status"))
    violation = header.get("violation")
    if not header and killed_for is None:
        if not learner_started:
            raise SandboxError(f"the job's init died without a report (status {init_status})")
        violation = f"the job's init ended without a report (status {init_status})"
    if not violation and header.get("sigsys"):
        violation = f"{header['sigsys']} job process(es) killed by the seccomp filter (SIGSYS)"
    if violation:
        # For the operators; the learner's outcome says only "violation".
        print(f"sandbox: the job interfered with the trusted side: {violation}", file=sys.stderr)
    if killed_for is not None:
        exit_code, sig = None, signal.SIGKILL

    cpu_s = group.cpu_seconds() if group is not None else accounting.cpu_seconds()
    limit_hit = _limit_hit(job, killed_for, header, sig, cpu_s, group, streams, bool(violation))
    peak = group.memory_peak_bytes() / MB if group is not None else None
    return SandboxOutcome(
        exit_code=exit_code,
        signal=sig,
        limit_hit=limit_hit,
        stdout=streams["stdout"].text(),
        stderr=streams["stderr"].text(),
        duration_s=duration,
        channel=bytes(streams["channel"].data),
        artifacts=artifacts,
        cpu_s=cpu_s,
        memory_peak_mb=peak,
    )


def _gpu_exceeded(watchdog: gpuwatch.GpuWatchdog) -> bool:
    """The watchdog's verdict; an NVML failure while the job runs raises SandboxError (the
    ``finally`` of ``supervise`` kills the job first), or, where the development setting
    allows CUDA jobs without the watchdog, is said on stderr and ends the watch."""
    try:
        return watchdog.exceeded()
    except Exception as error:
        if not gpuwatch.allow_missing():
            raise SandboxError(f"the GPU memory watchdog failed: {error}") from error
        print(f"sandbox: GPU memory no longer watched for this job: {error}", file=sys.stderr)
        watchdog.active = False
        return False


def _read_result(data: bytes) -> tuple[bool, dict, dict[str, bytes]]:
    """(learner code started, the init's report, artifacts) from the result pipe's bytes.

    A report cut short (the init was killed while writing it, at the wall limit) reads as
    no report at all rather than as an error of the sandbox.
    """
    started = data[:1] == child.LEARNER_STARTED
    if started:
        data = data[1:]
    try:
        header, artifacts = child.decode_result(data)
        sizes = [size for _, size in header.get("artifacts", [])]
        if sizes != [len(blob) for blob in artifacts.values()]:
            raise ValueError("the report was cut short")
    except (ValueError, KeyError, TypeError, IndexError, struct.error):
        header, artifacts = {}, {}
    return started, header, artifacts


def _limit_hit(
    job: SandboxJob,
    killed_for: LimitHit | None,
    header: dict,
    sig: int | None,
    cpu_s: float,
    group: cgroups.JobCgroup | None,
    streams: dict[str, _Stream],
    violation: bool,
) -> LimitHit | None:
    """The limit that best explains the end of the job, from trusted evidence only.

    A violation outranks everything (it is what the job did). An OOM kill or a refused fork
    outranks the wall clock: a job whose worker process was OOM-killed and that then waited
    for it forever ran out of memory, not of time. A job that killed itself with SIGXCPU or
    SIGXFSZ is not credited with a limit it did not reach: CPU needs the cgroup's own count,
    file size a file left at the limit.
    """
    if violation:
        return "violation"
    if group is not None and group.oom_killed():
        return "memory"
    if group is not None and group.pids_limit_hit():
        return "processes"
    if killed_for is not None:
        return killed_for
    if sig in (signal.SIGXCPU, signal.SIGKILL) and cpu_s >= job.limits.cpu_s:
        return "cpu"
    if sig == signal.SIGXFSZ and header.get("file_at_size_limit"):
        return "file_size"
    if streams["stdout"].truncated or streams["stderr"].truncated:
        return "output"
    if header.get("disk_full"):
        return "disk"
    return None


def _read_some(stream: _Stream, poller: select.poll) -> None:
    try:
        chunk = os.read(stream.fd, 1 << 16)
    except BlockingIOError:
        return
    if chunk:
        stream.feed(chunk)
    else:
        stream.open = False
        poller.unregister(stream.fd)


def _drain(streams: dict[str, _Stream], poller: select.poll, by_fd: dict) -> None:
    """Read what is left; every writer is dead by now, so each pipe reaches EOF quickly."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while any(s.open for s in streams.values()) and time.monotonic() < deadline:
        for fd, _ in poller.poll(50):
            if fd in by_fd and by_fd[fd].open:
                _read_some(by_fd[fd], poller)


class _UidAccounting:
    """Fallback when no cgroup is usable: sum memory and CPU over the job uid's processes."""

    def __init__(self, uid: int) -> None:
        self.uid = uid
        self._cpu = 0.0
        self._tick = os.sysconf("SC_CLK_TCK")

    def _procs(self):
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    if os.stat(f"/proc/{name}").st_uid == self.uid:
                        yield name
                except OSError:
                    continue

    def memory_bytes(self) -> int:
        total = 0
        for pid in self._procs():
            try:
                with open(f"/proc/{pid}/statm") as f:
                    total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, ValueError, IndexError):
                continue
        return total

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self._procs():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
            except (OSError, ValueError, IndexError):
                continue
        self._cpu = max(self._cpu, total / self._tick)
        return self._cpu
