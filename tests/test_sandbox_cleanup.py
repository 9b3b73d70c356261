"""Every process of a job dies with it; the zygote and the host are unharmed."""

import os
import signal
import time
from pathlib import Path

from grading.sandbox import Limits, SandboxJob, Zygote
from tests.test_sandbox_support import (
    job_cgroups_left,
    marker,
    processes_with,
    requires_root,
    run,
    spare_cgroups,
)

pytestmark = requires_root

# The marker is the daemon's program name (argv[0]): an extra argument would make sleep exit
# at once ("invalid time interval") and the tests below could not fail.
DAEMON = """
import os, signal, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        os.execv("/bin/sleep", ["{marker}", "{seconds}"])
    os._exit(0)
time.sleep(0.3)
alive = any(
    open(f"/proc/{{pid}}/cmdline", "rb").read().startswith(b"{marker}")
    for pid in os.listdir("/proc") if pid.isdigit()
)
print("daemon alive" if alive else "daemon missing", flush=True)
print("parent done", flush=True)
"""


def test_a_double_forked_daemon_does_not_survive():
    name = marker()
    outcome = run(DAEMON.format(seconds=1000, marker=name))
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout == "daemon alive\nparent done\n"
    assert processes_with(name) == []
    assert not job_cgroups_left()


def test_a_daemon_running_when_the_wall_limit_hits_does_not_survive():
    name = marker()
    outcome = run(
        DAEMON.format(seconds=1000, marker=name) + "time.sleep(100)\n", limits=Limits(wall_s=1)
    )
    assert outcome.limit_hit == "wall"
    assert outcome.stdout.startswith("daemon alive\n")
    assert processes_with(name) == []


def test_a_daemon_cannot_hold_the_job_open_by_keeping_stdout():
    name = marker()
    start = time.monotonic()
    outcome = run(
        f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            while True:
                print("still here {name}", flush=True)
                time.sleep(0.05)
        time.sleep(0.2)
        """
    )
    assert outcome.exit_code == 0
    assert time.monotonic() - start < 5
    assert processes_with(name) == []


def test_killing_the_parent_and_every_process_does_not_harm_the_host():
    # kill(-1) reaches every process the job may signal: its own, never its init.
    outcome = run(
        """
        import os, signal
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:  # nobody it may signal: not itself, not the init
            print("still here")
        """
    )
    assert outcome.exit_code == 0 and outcome.stdout == "still here\n", outcome.stderr
    # The parent is the job's init (pid 1): a signal aimed at it kills the sender and is
    # reported as a violation; the init, the supervisor and the zygote go on.
    outcome = run("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('alive')\n")
    assert outcome.limit_hit == "violation" and outcome.signal == signal.SIGSYS
    assert outcome.stdout == ""
    assert run("print('next job fine')").stdout == "next job fine\n"


def test_the_zygote_survives_a_crashing_job_and_serves_the_next():
    with Zygote(preload=()) as zygote:
        pid = zygote.pid
        crash = zygote.run(SandboxJob(files={"m.py": b"import os\nos.abort()\n"}, entry="m.py"))
        assert crash.signal == signal.SIGABRT
        after = zygote.run(SandboxJob(files={"m.py": b"print(42)"}, entry="m.py"))
        assert after.stdout == "42\n" and zygote.pid == pid and zygote.alive()


def test_a_dead_zygote_is_restarted_on_the_next_job():
    with Zygote(preload=()) as zygote:
        first = zygote.pid
        os.kill(first, signal.SIGKILL)
        time.sleep(0.1)
        outcome = zygote.run(SandboxJob(files={"m.py": b"print('again')"}, entry="m.py"))
        assert outcome.stdout == "again\n"
        assert zygote.pid != first and zygote.alive()


def test_a_stopped_zygote_leaves_no_process():
    zygote = Zygote(preload=())
    zygote.start()
    pid = zygote.pid
    zygote.stop()
    stat = Path(f"/proc/{pid}/stat")
    assert not stat.exists() or stat.read_text().split()[2] == "Z"


def test_no_job_cgroup_is_left_behind_after_many_jobs():
    for _ in range(5):
        run("import os\nos.fork()\n")
    assert not job_cgroups_left()


def _children(pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(name))
    return found


def _wait_for(predicate, timeout_s: float = 5.0):
    deadline = time.monotonic() + timeout_s
    while not (result := predicate()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return result


def _spare_of(zygote: Zygote) -> tuple[int, list[Path]]:
    """The zygote's spare supervisor and its cgroups, once it has prepared them."""

    def ready():
        for pid in _children(zygote.pid):
            groups = [g for g in spare_cgroups() if g.name.startswith(f"job-{pid}-")]
            if groups:
                return pid, groups
        return None

    found = _wait_for(ready)
    assert found, "the zygote has no spare ready"
    return found


def test_a_zygote_keeps_a_spare_and_a_stopped_one_leaves_none_behind():
    zygote = Zygote(preload=())
    zygote.start()
    assert zygote.run(SandboxJob(files={"m.py": b"print(1)"}, entry="m.py")).stdout == "1\n"
    spare, groups = _spare_of(zygote)
    zygote.stop()
    assert not Path(f"/proc/{spare}").exists()
    assert not any(group.exists() for group in groups)


def test_a_killed_zygotes_spare_cleans_up_after_itself():
    with Zygote(preload=()) as zygote:
        spare, groups = _spare_of(zygote)
        os.kill(zygote.pid, signal.SIGKILL)
        assert _wait_for(lambda: not any(group.exists() for group in groups))
        assert _wait_for(lambda: not Path(f"/proc/{spare}").exists())


def test_a_job_is_still_served_when_the_spare_has_died():
    with Zygote(preload=()) as zygote:
        spare, groups = _spare_of(zygote)
        os.kill(spare, signal.SIGKILL)  # its init follows through PDEATHSIG
        assert _wait_for(lambda: not Path(f"/proc/{spare}").exists())
        try:
            outcome = zygote.run(SandboxJob(files={"m.py": b"print(2)"}, entry="m.py"))
            assert outcome.stdout == "2\n" and outcome.exit_code == 0
        finally:
            for group in groups:  # killed unannounced, it could not remove its groups
                _wait_for(lambda g=group: not (g / "cgroup.procs").read_text().strip())
                group.rmdir()
