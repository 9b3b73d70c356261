"""Learner code cannot drive the job's trusted init (pid 1): signals, prlimit, tracing and a
starved memory budget end in an honest outcome ("violation" where the job attacked the init),
never a SandboxError (which the worker would retry forever), and within the wall limit plus
a few seconds. Each attack goes through the real sandbox."""

import signal
import textwrap
import time

import pytest

from grading.sandbox import Limits
from tests.test_sandbox_support import last_json, requires_root, run

pytestmark = requires_root

WALL_S = 10
BOUND_S = WALL_S + 5

# A daemon (double fork, so that it is re-parented to the init) that repeats ``action``
# until it is killed; the learner meanwhile writes a few artifacts, which keeps the init busy
# reading them (the moment the old init switched to the job's uid and became reachable).
DAEMON_THEN_EXIT = """
import os, signal, resource, ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
if os.fork() == 0:
    if os.fork() == 0:
        while True:
            try:
                {action}
            except OSError:
                pass
    os._exit(0)
os.wait()
time.sleep({linger})
for i in range(8):
    with open(f"out/part{{i}}", "wb") as f:
        f.write(bytes(1 << 20))
print("learner done", flush=True)
"""


@pytest.fixture(scope="module", autouse=True)
def _warm_zygote():
    """Start the default zygote before any attack is timed (its imports take seconds)."""
    assert run("pass").exit_code == 0


def attack(source: str, **limits) -> tuple:
    started = time.monotonic()
    outcome = run(source, limits=Limits(**{"wall_s": WALL_S, **limits}))
    return outcome, time.monotonic() - started


@pytest.mark.parametrize(
    "signal_name", ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGKILL", "SIGSTOP"]
)
def test_a_daemon_signalling_the_init_is_a_violation_and_the_job_still_ends(signal_name):
    source = DAEMON_THEN_EXIT.format(action=f"os.kill(1, signal.{signal_name})", linger=0.2)
    outcome, seconds = attack(source)
    assert outcome.limit_hit == "violation"
    # The learner's own process ran to its end; the init reported it as usual.
    assert outcome.exit_code == 0 and outcome.stdout == "learner done\n", outcome.stderr
    assert sorted(outcome.artifacts) == [f"part{i}" for i in range(8)]
    assert seconds < BOUND_S


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("kill", "libc.syscall(62, ctypes.c_long(1), 2)"),
        ("kill with garbage above the pid", "libc.syscall(62, ctypes.c_long((7 << 32) | 1), 2)"),
        ("tkill", "libc.syscall(200, ctypes.c_long(1), 15)"),
        ("tgkill", "libc.syscall(234, ctypes.c_long(1), ctypes.c_long(1), 15)"),
        ("rt_sigqueueinfo", "libc.syscall(129, ctypes.c_long(1), 2, ctypes.c_void_p(0))"),
        ("prlimit64", "resource.prlimit(1, resource.RLIMIT_AS, (1 << 20, 1 << 20))"),
        ("prlimit64 with garbage above the pid",
         "libc.syscall(302, ctypes.c_long((1 << 32) | 1), 9, (ctypes.c_ulong * 2)(1, 1), None)"),
        ("ptrace attach", "libc.ptrace(16, 1, 0, 0)"),
        ("ptrace seize", "libc.ptrace(0x4206, 1, 0, 0)"),
        ("process_vm_writev", "libc.syscall(311, ctypes.c_long(1), 0, 0, 0, 0, 0)"),
        ("pidfd_open", "os.pidfd_open(1)"),
    ],
)  # fmt: skip
def test_a_call_aimed_at_the_init_kills_the_caller_and_is_a_violation(name, call):
    source = textwrap.dedent(
        f"""
        import os, resource, ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        print("before", flush=True)
        {call}
        print("after", flush=True)
        """
    )
    outcome, seconds = attack(source)
    assert outcome.limit_hit == "violation", (name, outcome)
    assert outcome.signal == signal.SIGSYS and outcome.exit_code is None
    assert outcome.stdout == "before\n"
    assert seconds < BOUND_S


def test_a_daemon_setting_the_inits_rlimits_after_the_learner_exits_changes_nothing():
    # The attack: once made the init fail with MemoryError (a SandboxError, retried
    # forever). Now the daemon is killed with SIGSYS at its first try, or by the init when
    # the learner's process ends, whichever comes first.
    source = DAEMON_THEN_EXIT.format(
        action="resource.prlimit(1, resource.RLIMIT_AS, (1 << 20, 1 << 20))", linger=0
    )
    outcome, seconds = attack(source)
    assert outcome.limit_hit in ("violation", None)
    assert outcome.exit_code == 0 and outcome.stdout == "learner done\n"
    assert len(outcome.artifacts) == 8
    assert seconds < BOUND_S


def test_a_foreign_system_call_abi_is_a_violation():
    outcome, _ = attack(
        "import ctypes\nprint('before', flush=True)\n"
        "ctypes.CDLL(None).syscall(ctypes.c_long(0x40000000 | 39))\n"  # getpid, x32 ABI
    )
    assert outcome.limit_hit == "violation" and outcome.signal == signal.SIGSYS


def test_the_init_has_no_signal_handler_and_is_out_of_the_jobs_reach():
    outcome = run(
        """
        import json, os
        def fields(pid):
            with open(f"/proc/{pid}/status") as f:
                return dict(line.split(":", 1) for line in f if ":" in line)
        init, me = fields(1), fields("self")
        results = {
            "init_caught": int(init["SigCgt"], 16),
            "init_ignored": int(init["SigIgn"], 16),
            "init_uid": init["Uid"].split()[0],
            "my_uid": me["Uid"].split()[0],
            "same_session": os.getsid(0) == os.getsid(1),
            "same_group": os.getpgid(0) == os.getpgid(1),
        }
        for path in ("/proc/1/mem", "/proc/1/environ", "/proc/1/fd"):
            try:
                os.listdir(path) if path.endswith("fd") else open(path, "rb").read(1)
                results[path] = "open"
            except OSError as exc:
                results[path] = exc.errno
        print(json.dumps(results))
        """
    )
    result = last_json(outcome)
    # No handler of its own: the kernel drops every signal sent to it from inside the
    # namespace. Signals 32 and 33 are glibc's own (thread cancellation and setuid across
    # threads); their handlers act only on signals the process sent itself, and a job process
    # may not signal the init anyway.
    glibc_internal = (1 << 31) | (1 << 32)
    assert result["init_caught"] & ~glibc_internal == 0
    # SIGPIPE only (a signal that the worker ignored is inherited as ignored through exec;
    # for 32 and 33, which Python cannot reset, that is harmless).
    assert result["init_ignored"] & ~glibc_internal == 1 << (signal.SIGPIPE - 1)
    # Root outside, so unmapped (the overflow uid) in the job's user namespace: never the job's.
    assert result["init_uid"] != result["my_uid"]
    assert result["same_session"] is False and result["same_group"] is False
    assert result["/proc/1/mem"] == result["/proc/1/environ"] == result["/proc/1/fd"] == 13
    assert outcome.limit_hit is None and outcome.exit_code == 0


def test_signals_between_the_jobs_own_processes_still_work():
    outcome = run(
        """
        import os, signal, time
        got = []
        signal.signal(signal.SIGUSR1, lambda *_: got.append("usr1"))
        os.kill(os.getpid(), signal.SIGUSR1)
        try:
            os.kill(0, signal.SIGINT)  # its own process group, which is not the init's
            time.sleep(1)
        except KeyboardInterrupt:
            got.append("interrupted")
        child = os.fork()
        if child == 0:
            time.sleep(30)
            os._exit(0)
        os.kill(child, signal.SIGTERM)
        got.append(os.WTERMSIG(os.waitpid(child, 0)[1]) == signal.SIGTERM)
        print(got)
        """
    )
    assert outcome.exit_code == 0 and outcome.limit_hit is None, outcome.stderr
    assert outcome.stdout == "['usr1', 'interrupted', True]\n"


@pytest.mark.slow
def test_a_job_that_leaves_its_memory_full_of_files_still_gets_an_honest_report():
    # Files in the job's tmpfs stay charged to its cgroup after every job process has ended;
    # filled close enough to the limit, they once left the init unable to read and frame the
    # artifacts (the supervisor raised SandboxError, at 143-145 MB of files under 160 MB on
    # this machine). Where exactly that is depends on the machine, so the fill sweeps the last
    # 40 MB below the limit.
    source = """
import os
mb, left, i = bytes(1 << 20), {fill}, 0
while left > 0:
    with open(("/dev/shm/f%d" if i % 2 else "f%d") % i, "wb") as f:
        for _ in range(min(15, left)):
            f.write(mb)
            left -= 1
    i += 1
for i in range(4):
    with open(f"out/a{{i}}", "wb") as f:
        f.write(bytes(1 << 20))
print("done", flush=True)
"""
    memory_mb = 160
    for fill in range(memory_mb - 40, memory_mb + 1, 2):
        outcome, seconds = attack(source.format(fill=fill), memory_mb=memory_mb, tmp_mb=200)
        # Either everything fit (a normal end, every artifact reported) or the kernel
        # OOM-killed the learner on the way: both are honest outcomes.
        if outcome.limit_hit is None:
            assert outcome.exit_code == 0 and outcome.stdout == "done\n", fill
            assert sorted(outcome.artifacts) == ["a0", "a1", "a2", "a3"], fill
        else:
            assert outcome.limit_hit == "memory" and outcome.signal == signal.SIGKILL, fill
        assert seconds < BOUND_S
