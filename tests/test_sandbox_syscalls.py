"""Filtered system calls: tracing, the keyring, namespaces, mounts, raw ctypes calls."""

from grading.sandbox import seccomp
from tests.test_sandbox_support import last_json, requires_root, run

pytestmark = requires_root

RAW_SYSCALLS = """
import ctypes, json
libc = ctypes.CDLL(None, use_errno=True)
EPERM, ENOSYS = 1, 38
calls = {
    # pid 2 is the learner's own process (pid 1, the init, is covered in
    # test_sandbox_trusted_side.py: a call aimed at it kills the caller).
    "ptrace_attach": ((101, 16, 2, 0, 0), EPERM),
    "ptrace_traceme": ((101, 0, 0, 0, 0), EPERM),
    "process_vm_readv": ((310, 2, 0, 0, 0, 0, 0), EPERM),
    "keyctl_join_session": ((250, 1, 0, 0, 0), EPERM),
    "add_key": ((248, 0, 0, 0, 0, 0), EPERM),
    "unshare_user": ((272, 0x10000000), EPERM),
    "unshare_net": ((272, 0x40000000), EPERM),
    "setns": ((308, 0, 0), EPERM),
    "mount": ((165, 0, 0, 0, 0, 0), EPERM),
    "bpf": ((321, 0, 0, 0), EPERM),
    "perf_event_open": ((298, 0, 0, -1, -1, 0), EPERM),
    "userfaultfd": ((323, 0), EPERM),
    "io_uring_setup": ((425, 1, 0), EPERM),
    "clone_newuser": ((56, 0x10000000 | 17, 0, 0, 0, 0), EPERM),
    "clone_newpid_with_high_garbage": ((56, (1 << 40) | 0x20000000 | 17, 0, 0, 0, 0), EPERM),
    "clone3": ((435, 0, 0), ENOSYS),
    "kcmp": ((312, 2, 2, 0, 0, 0), EPERM),
    "pidfd_getfd": ((438, 0, 0, 0), EPERM),
    # Newly refused (issue 8): NUMA placement, vmsplice, pidfds, AIO, the host's mounts.
    "mbind": ((237, 0, 4096, 1, 0, 0, 0), EPERM),
    "set_mempolicy": ((238, 1, 0, 0), EPERM),
    "get_mempolicy": ((239, 0, 0, 0, 0, 0), EPERM),
    "move_pages": ((279, 0, 0, 0, 0, 0, 0), EPERM),
    "migrate_pages": ((256, 0, 8, 0, 0), EPERM),
    "vmsplice": ((278, 1, 0, 0, 0), EPERM),
    "pidfd_open_self": ((434, 2, 0), EPERM),
    "pidfd_send_signal": ((424, 0, 0, 0, 0), EPERM),
    "io_setup": ((206, 1, 0), EPERM),
    "statmount": ((457, 0, 0, 0, 0), EPERM),
    "listmount": ((458, 0, 0, 0, 0), EPERM),
    "sync": ((162,), EPERM),
    "shmget": ((29, 0, 4096, 0o1600), EPERM),
    "mq_open": ((240, 0, 0, 0, 0), EPERM),
    # personality: only PER_LINUX and the query pass; ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC...
    "personality_addr_no_randomize": ((135, 0x0040000), ENOSYS),
    "personality_read_implies_exec": ((135, 0x0400000), ENOSYS),
    "personality_linux32": ((135, 0x0008), ENOSYS),
    # A call the allow-list does not name answers ENOSYS (here: a number no kernel has yet).
    "unknown": ((999,), ENOSYS),
}
results = {}
for name, (args, expected) in calls.items():
    r = libc.syscall(*[ctypes.c_long(a) for a in args])
    results[name] = [r, ctypes.get_errno(), expected]
libc.syscall.restype = ctypes.c_long
results["personality_query"] = [libc.syscall(ctypes.c_long(135), ctypes.c_long(0xFFFFFFFF)), 0, 0]
print(json.dumps(results))
"""


def test_raw_ctypes_syscalls_for_tracing_keys_namespaces_and_mounts_are_refused():
    outcome = run(RAW_SYSCALLS)
    assert outcome.exit_code == 0 and outcome.limit_hit is None, outcome.stderr
    results = last_json(outcome)
    query = results.pop("personality_query")
    assert query[0] >= 0  # the query passes (and returns the current persona, PER_LINUX)
    refused = {name: errno for name, (ret, errno, _) in results.items() if ret == -1}
    expected = {name: expected for name, (_, _, expected) in results.items()}
    assert refused == expected


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
    program = seccomp.program()
    assert len(program) % 8 == 0  # struct sock_filter entries
    assert 0 < len(program) // 8 <= 4096  # BPF_MAXINSNS
    assert seccomp.program() is program  # compiled once per process
    assert not set(seccomp.ALLOWED_SYSCALLS) & set(seccomp.DENIED_SYSCALLS)
    numbers = list(seccomp.ALLOWED_SYSCALLS.values()) + list(seccomp.DENIED_SYSCALLS.values())
    assert len(numbers) == len(set(numbers))  # no number under two names
