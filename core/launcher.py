"""`manage.py runall`: the one-command start of the whole site on this machine.

1. Take an exclusive lock in var/ so that a second start says so instead of fighting the first.
2. Check the database and the broker, naming the variable to fix when one is unreachable.
3. Bring the data up to date: migrate, then every set-up command that exists at this point
   of the project (seed import, lab catalogue sync), then the demo accounts and generated
   lab datasets where the dataset store is empty.
4. Start gunicorn and a Celery worker (all lab queues, with beat for periodic jobs) as child
   processes, and stop all of them when any one stops or when we get Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.management import call_command, get_commands

SETUP_COMMANDS_IF_PRESENT = ["import_seeds", "sync_labs"]
# Start-up stays quick: running the seeds' reference code in the sandbox takes seconds, and
# `manage.py import_seeds` does it whenever asked.
SETUP_COMMAND_OPTIONS = {"import_seeds": {"run_code": False}}
STOP_GRACE_S = 10


class LaunchError(Exception):
    """A problem the operator must fix; the message says what and how."""


class RunLock:
    """An flock on var/run.lock, released by the kernel when this process ends, however."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def acquire(self, port: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise LaunchError(
                f"The platform is already running from this folder ({holder}). "
                "Stop it with Ctrl-C in its terminal, or use that one."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, port {port}")
        handle.flush()
        self.handle = handle


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise LaunchError(
                f"PORT: {host}:{port} is taken ({error.strerror}); "
                "set PORT to a free port, e.g. PORT=8001 make run"
            ) from None


def check_services() -> None:
    from core.health import broker_problem, database_problem

    problem = database_problem()
    if problem:
        raise LaunchError(f"DATABASE_URL: the database does not answer ({problem})")
    problem = broker_problem()
    if problem:
        raise LaunchError(
            f"CELERY_BROKER_URL: the broker does not answer ({problem}); "
            "unset it to use the embedded broker"
        )


def prepare_data(say: Callable[[str], None]) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    say("Database migrated.")
    available = get_commands()
    for name in SETUP_COMMANDS_IF_PRESENT:
        if name in available:
            say(f"Running {name}...")
            call_command(name, **SETUP_COMMAND_OPTIONS.get(name, {}))
    if not settings.PRODUCTION:
        call_command("create_demo_accounts")
        # The labs' datasets: generated stand-ins where the store is still empty (no network
        # here); `manage.py provision_datasets --from DIR` installs the real ones.
        call_command("provision_datasets", "--generate", "--if-empty")


def allow_grading_without_cgroup_if_missing(say: Callable[[str], None]) -> bool:
    """Development only: where this machine has no usable cgroup, let the worker started
    below grade without one (SANDBOX_ALLOW_NO_CGROUP, inherited through the environment) and
    say so; elsewhere the sandbox refuses to grade without one. True if it was turned on."""
    if settings.PRODUCTION or settings.SANDBOX_ALLOW_NO_CGROUP:
        return False
    from grading.sandbox.cgroups import find_layout

    layout, reason = find_layout()
    if layout is not None:
        return False
    os.environ["SANDBOX_ALLOW_NO_CGROUP"] = "true"
    say(
        f"No usable cgroup on this machine ({reason}). The development worker grades without "
        "whole-job memory and CPU limits (SANDBOX_ALLOW_NO_CGROUP=true); a production worker "
        "refuses to."
    )
    return True


def child_commands(host: str, port: int) -> list[list[str]]:
    from grading.queues import worker_queues

    python = sys.executable
    # Every tier of every device, in the order the worker must prefer them.
    queues = ",".join(worker_queues())
    var_dir = Path(settings.VAR_DIR)
    return [
        [
            python, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", "2", "--threads", "4", "--timeout", "30",
            "--access-logfile", "-", "--log-level", "warning",
        ],
        [
            python, "-m", "celery", "-A", "config", "worker", "--beat",
            "--schedule", str(var_dir / "celerybeat-schedule"),
            "--queues", queues, "--concurrency", "1", "--loglevel", "INFO",
            "--hostname", "local@%h", "--without-gossip", "--without-mingle",
        ],
    ]  # fmt: skip


def supervise(commands: list[list[str]], say: Callable[[str], None]) -> int:
    """Run the children until one exits or we are told to stop; then stop them all."""
    children = [subprocess.Popen(command, cwd=settings.BASE_DIR) for command in commands]
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    exit_code = 0
    try:
        while not stopping:
            for child in children:
                code = child.poll()
                if code is not None:
                    say(f"{Path(child.args[2]).name} exited with code {code}; stopping everything.")
                    exit_code = code or 1
                    stopping = True
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    say("Stopped.")
    return exit_code
