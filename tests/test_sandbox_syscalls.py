"""Filtered system calls: tracing, the keyring, namespaces, mounts, raw ctypes calls."""

import json

from grading.sandbox import seccomp
from tests.test_sandbox_support import last_json, requires_root, run

pytestmark = requires_root

RAW_SYSCALLS = """
import ctypes, json
libc = ctypes.CDLL(None, use_errno=True)
calls = {
    "ptrace_attach_init": (101, 16, 1, 0, 0),
    "ptrace_traceme": (101, 0, 0, 0, 0),
    "process_vm_readv": (310, 1, 0, 0, 0, 0, 0),
    "keyctl_join_session": (250, 1, 0, 0, 0),
    "add_key": (248, 0, 0, 0, 0, 0),
    "unshare_user": (272, 0x10000000),
    "unshare_net": (272, 0x40000000),
    "setns": (308, 0, 0),
    "mount": (165, 0, 0, 0, 0, 0),
    "bpf": (321, 0, 0, 0),
    "perf_event_open": (298, 0, 0, -1, -1, 0),
    "userfaultfd": (323, 0),
    "io_uring_setup": (425, 1, 0),
    "clone_newuser": (56, 0x10000000 | 17, 0, 0, 0, 0),
    "clone3": (435, 0, 0),
    "kcmp": (312, 1, 1, 0, 0, 0),
    "pidfd_getfd": (438, 0, 0, 0),
}
results = {}
for name, args in calls.items():
    r = libc.syscall(*[ctypes.c_long(a) for a in args])
    results[name] = [r, ctypes.get_errno()]
print(json.dumps(results))
"""


def test_raw_ctypes_syscalls_for_tracing_keys_namespaces_and_mounts_are_refused():
    outcome = run(RAW_SYSCALLS)
    assert outcome.exit_code == 0, outcome.stderr
    results = last_json(outcome)
    for name, (ret, errno) in results.items():
        assert ret == -1, name
        expected = 38 if name == "clone3" else 1  # ENOSYS / EPERM
        assert errno == expected, (name, errno)


def test_ptrace_through_python_is_refused():
    outcome = run(
        """
        import ctypes, os, time
        child = os.fork()
        if child == 0:
            time.sleep(5)
            os._exit(0)
        libc = ctypes.CDLL(None, use_errno=True)
        r = libc.ptrace(16, child, 0, 0)  # PTRACE_ATTACH to its own child
        print(r, ctypes.get_errno())
        os.kill(child, 9)
        """
    )
    assert outcome.stdout.split() == ["-1", "1"]


def test_the_jobs_init_memory_cannot_be_opened():
    outcome = run(
        """
        import json
        results = {}
        for path in ("/proc/1/mem", "/proc/1/environ", "/proc/1/maps"):
            try:
                open(path, "rb").read(1)
                results[path] = "read"
            except OSError as exc:
                results[path] = exc.errno
        print(json.dumps(results))
        """
    )
    assert set(last_json(outcome).values()) == {13}  # EACCES


def test_the_job_has_no_capabilities_and_no_new_privileges():
    outcome = run(
        """
        import json
        status = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
        print(json.dumps({k: status[k].strip() for k in
              ("CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Uid")}))
        """
    )
    result = last_json(outcome)
    assert result["CapEff"] == result["CapPrm"] == result["CapBnd"] == "0" * 16
    assert result["NoNewPrivs"] == "1" and result["Seccomp"] == "2"
    assert int(result["Uid"].split()[0]) >= 2_000_000_000


def test_ordinary_threads_processes_and_subprocesses_still_work():
    outcome = run(
        """
        import json, subprocess, threading, multiprocessing
        t = threading.Thread(target=lambda: None); t.start(); t.join()
        out = subprocess.run(["/bin/echo", "sub"], capture_output=True, text=True).stdout
        with multiprocessing.get_context("fork").Pool(2) as pool:
            squares = pool.map(abs, [-1, -2, -3])
        print(json.dumps({"sub": out.strip(), "squares": squares}))
        """
    )
    assert last_json(outcome) == {"sub": "sub", "squares": [1, 2, 3]}, outcome.stderr


def test_the_filter_program_is_well_formed():
    program = seccomp.build_filter()
    assert len(program) < 255  # every jump offset fits in a byte
    for _code, jt, jf, _ in program:
        assert 0 <= jt < 256 and 0 <= jf < 256
    assert json.dumps(program)
