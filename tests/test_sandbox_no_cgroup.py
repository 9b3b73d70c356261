"""Without a usable cgroup the sandbox refuses to grade, says why at start, and runs jobs on
its weaker fallback only where SANDBOX_ALLOW_NO_CGROUP allows it (development machines; never
production). The real zygote is started in a mount namespace of its own where no cgroup file
system is mounted."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import pytest

from core.launcher import allow_grading_without_cgroup_if_missing
from grading.sandbox import SandboxError, SandboxJob, Zygote, configure, zygote
from grading.sandbox.cgroups import find_layout
from tests.manage_subprocess import run_manage
from tests.test_sandbox_support import requires_root

needs_unshare = pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")


@pytest.fixture
def python_without_cgroups(tmp_path: Path) -> str:
    """An interpreter command that runs in a private mount namespace with every cgroup file
    system unmounted: what a worker on a machine without cgroups sees."""
    wrapper = tmp_path / "python-without-cgroups"
    wrapper.write_text(
        "#!/bin/sh\n"
        "exec unshare --mount --propagation private sh -c "
        '\'umount -R /sys/fs/cgroup 2>/dev/null || umount -l /sys/fs/cgroup; exec "$0" "$@"\' '
        f'{sys.executable} "$@"\n'
    )
    wrapper.chmod(0o755)
    return str(wrapper)


@requires_root
@needs_unshare
def test_a_zygote_without_cgroups_refuses_to_start_and_says_why(python_without_cgroups, caplog):
    caplog.set_level(logging.ERROR, logger=zygote.__name__)
    sandbox = Zygote(preload=(), python=python_without_cgroups, allow_no_cgroup=False)
    with pytest.raises(SandboxError) as refused:
        sandbox.start()
    message = str(refused.value)
    assert "refuses to grade without a cgroup" in message
    assert "no usable cgroup" in message and "SANDBOX_ALLOW_NO_CGROUP" in message
    assert "SANDBOX REFUSES TO GRADE" in caplog.text
    assert not sandbox.alive()
    # So does every job sent to it: the worker reports a sandbox failure, grades nothing.
    with pytest.raises(SandboxError):
        sandbox.run(SandboxJob(files={"m.py": b"print(1)"}, entry="m.py"))


@requires_root
@needs_unshare
def test_the_projects_default_is_to_refuse(python_without_cgroups):
    from django.conf import settings

    assert settings.SANDBOX_ALLOW_NO_CGROUP is False
    with pytest.raises(SandboxError, match="refuses to grade without a cgroup"):
        Zygote(preload=(), python=python_without_cgroups).start()


@requires_root
@needs_unshare
def test_allowed_for_development_it_grades_on_the_fallback_and_warns_at_start(
    python_without_cgroups, caplog
):
    caplog.set_level(logging.WARNING, logger=zygote.__name__)
    before = zygote._allow_no_cgroup_default
    configure(allow_no_cgroup=True)
    try:
        with Zygote(preload=(), python=python_without_cgroups) as sandbox:
            outcome = sandbox.run(SandboxJob(files={"m.py": b"print(6 * 7)"}, entry="m.py"))
    finally:
        configure(allow_no_cgroup=before)
    assert outcome.ok and outcome.stdout == "42\n", outcome.stderr
    assert outcome.memory_peak_mb is None  # no cgroup measured it
    assert "SANDBOX WITHOUT CGROUPS" in caplog.text and "no usable cgroup" in caplog.text


def test_production_refuses_the_setting():
    env = {
        "PLATFORM_ENV": "production",
        "SECRET_KEY": "x" * 64,
        "ALLOWED_HOSTS": "courses.example.com",
        "DEBUG": "false",
        "CACHE_URL": "redis://127.0.0.1:6379/14",
        "SANDBOX_ALLOW_NO_CGROUP": "true",
    }
    result = run_manage("check", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("Configuration error: SANDBOX_ALLOW_NO_CGROUP:")


def test_make_run_turns_the_fallback_on_only_where_cgroups_are_missing(monkeypatch, settings):
    # The function sets os.environ itself (for the worker it starts): let monkeypatch record
    # the variable's absence first, so that it is absent again after this test.
    monkeypatch.setenv("SANDBOX_ALLOW_NO_CGROUP", "recorded")
    monkeypatch.delenv("SANDBOX_ALLOW_NO_CGROUP")
    said: list[str] = []
    layout, _ = find_layout()
    turned_on = allow_grading_without_cgroup_if_missing(said.append)
    assert turned_on is (layout is None)
    assert ("SANDBOX_ALLOW_NO_CGROUP" in os.environ) is turned_on
    monkeypatch.delenv("SANDBOX_ALLOW_NO_CGROUP", raising=False)
    # Where cgroups are missing (stubbed here), it is turned on, loudly; never in production.
    monkeypatch.setattr("grading.sandbox.cgroups.find_layout", lambda: (None, "no cgroup2"))
    assert allow_grading_without_cgroup_if_missing(said.append) is True
    assert os.environ["SANDBOX_ALLOW_NO_CGROUP"] == "true"
    assert "No usable cgroup on this machine (no cgroup2)" in said[-1]
    monkeypatch.delenv("SANDBOX_ALLOW_NO_CGROUP", raising=False)
    settings.PRODUCTION = True
    assert allow_grading_without_cgroup_if_missing(said.append) is False
    assert "SANDBOX_ALLOW_NO_CGROUP" not in os.environ
