"""Nothing of the worker leaks in: environment, settings, secrets, other processes."""

import os

from grading.sandbox import SandboxJob, Zygote
from tests.test_sandbox_support import last_json, requires_root, run

pytestmark = requires_root

FAKE_SECRET = "django-insecure-FAKE-SECRET-for-sandbox-test-4f1c"


def test_proc_1_environ_shows_no_secret(monkeypatch):
    # The secret is in the worker's environment before the zygote starts.
    monkeypatch.setenv("SECRET_KEY", FAKE_SECRET)
    monkeypatch.setenv("DATABASE_URL", "postgres://grader:FAKE-DB-PASSWORD@127.0.0.1/db")
    source = """
        import json, os
        seen = {}
        for pid in ["1", "self"] + [p for p in os.listdir("/proc") if p.isdigit()]:
            try:
                seen[pid] = open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace")
            except OSError as exc:
                seen[pid] = "error " + exc.strerror
        print(json.dumps(seen))
        """
    with Zygote(preload=()) as zygote:
        outcome = zygote.run(
            SandboxJob(
                files={"main.py": source.replace("\n        ", "\n").encode()}, entry="main.py"
            )
        )
    assert outcome.exit_code == 0, outcome.stderr
    seen = last_json(outcome)
    assert "1" in seen and "self" in seen
    everything = outcome.stdout + outcome.stderr
    assert FAKE_SECRET not in everything
    assert "FAKE-DB-PASSWORD" not in everything
    assert "SECRET_KEY" not in everything and "DATABASE_URL" not in everything


def test_the_job_environment_is_short_and_explicit(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", FAKE_SECRET)
    env = last_json(run("import json, os\nprint(json.dumps(dict(os.environ)))\n"))
    assert set(env) == {
        "PATH", "HOME", "TMPDIR", "USER", "LANG", "TZ", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "MPLCONFIGDIR",
        "CUDA_VISIBLE_DEVICES", "SANDBOX_CHANNEL_FD",
    }  # fmt: skip
    assert env["HOME"] == "/tmp" and env["OMP_NUM_THREADS"] == "1"


def test_the_project_directory_and_its_settings_are_not_visible():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outcome = run(
        f"""
        import json, os
        print(json.dumps({{
            "listing": sorted(os.listdir({root!r})) if os.path.isdir({root!r}) else None,
            "settings": os.path.exists({root!r} + "/config/settings.py"),
            "grading": os.path.exists({root!r} + "/grading"),
        }}))
        """
    )
    result = last_json(outcome)
    # Where the interpreter's venv lives inside the project (here), the project directory
    # exists only as the venv's mount point; elsewhere (a GPU node's system Python) not at all.
    assert result["listing"] in ([".venv"], None)
    assert result["settings"] is False and result["grading"] is False


def test_etc_shadow_cannot_be_read():
    outcome = run(
        """
        import json
        try:
            data = open("/etc/shadow").read()
        except OSError as exc:
            data = None
        print(json.dumps({"data": data}))
        """
    )
    assert last_json(outcome) == {"data": None}


def test_proc_lists_only_the_jobs_own_processes():
    outcome = run(
        """
        import json, os
        print(json.dumps(sorted(int(p) for p in os.listdir("/proc") if p.isdigit())))
        """
    )
    assert last_json(outcome) == [1, 2]  # the job's init and the learner's process


def test_the_host_processes_cannot_be_signalled_or_seen():
    # Pid 1 in the job is its own init: a signal aimed at it kills the sender (see
    # test_sandbox_trusted_side.py), so it is left out here.
    zygote_pids = [p for p in os.listdir("/proc") if p.isdigit() and p != "1"]
    outcome = run(
        f"""
        import json, os
        results = {{}}
        for pid in {zygote_pids[:50]!r}:
            try:
                os.kill(int(pid), 0)
                results[pid] = "reachable"
            except OSError as exc:
                results[pid] = exc.errno
        print(json.dumps(results))
        """
    )
    results = last_json(outcome)
    assert outcome.limit_hit is None
    assert "reachable" not in [v for k, v in results.items() if k != "2"]


def test_a_new_job_does_not_find_an_earlier_jobs_data_in_its_memory():
    token = "SECRET" + os.urandom(8).hex()
    run(f"x = {token!r} * 3\n", files={"hidden_tests.py": f"ANSWER = {token!r}\n".encode()})
    outcome = run(
        f"""
        import json, re
        needle = {token[:6]!r} + {token[6:]!r}
        found = 0
        with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
            for line in maps:
                fields = line.split()
                if "rw" not in fields[1] or len(fields) > 5 and fields[5].startswith("/"):
                    continue
                start, end = (int(x, 16) for x in fields[0].split("-"))
                if end - start > 512 * 1024 * 1024:
                    continue
                try:
                    mem.seek(start)
                    found += mem.read(end - start).count(needle.encode())
                except OSError:
                    pass
        # the needle itself is in this process once or twice (the constant, the join)
        print(json.dumps({{"found": found}}))
        """
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert last_json(outcome)["found"] <= 2
