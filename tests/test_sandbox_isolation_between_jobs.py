"""Two jobs running at the same time share nothing: keyring, abstract sockets, /tmp, uid."""

import json
import threading
import time

from tests.test_sandbox_support import (
    last_json,
    marker,
    requires_root,
    run,
    tmp_entries_of_readonly_binds,
)

pytestmark = requires_root


def _concurrently(first: str, second: str, delay_s: float = 0.5):
    results = {}

    def go(key, source):
        results[key] = run(source)

    a = threading.Thread(target=go, args=("a", first))
    b = threading.Thread(target=go, args=("b", second))
    a.start()
    time.sleep(delay_s)
    b.start()
    a.join()
    b.join()
    return results["a"], results["b"]


def test_the_keyring_does_not_carry_data_between_concurrent_jobs():
    secret = marker()
    writer = f"""
        import ctypes, json, time
        libc = ctypes.CDLL(None, use_errno=True)
        r = libc.syscall(248, b"user", b"shared", {secret!r}.encode(), len({secret!r}), -4)
        print(json.dumps({{"add_key": r, "errno": ctypes.get_errno()}}), flush=True)
        time.sleep(1.5)
        """
    reader = """
        import ctypes, json
        libc = ctypes.CDLL(None, use_errno=True)
        key = libc.syscall(249, b"user", b"shared", None, -4)
        buf = ctypes.create_string_buffer(256)
        n = libc.syscall(250, 11, key, buf, 256)  # KEYCTL_READ
        keys = open("/proc/keys").read()
        read = buf.value.decode(errors="replace")
        print(json.dumps({"key": key, "errno": ctypes.get_errno(), "read": read, "keys": keys}))
        """
    a, b = _concurrently(writer, reader)
    assert last_json(a) == {"add_key": -1, "errno": 1}
    assert secret not in b.stdout
    assert last_json(b)["key"] == -1


def test_abstract_unix_sockets_do_not_connect_concurrent_jobs():
    name = marker()
    server = f"""
        import json, socket, time
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("\\0{name}")
        s.listen(1)
        s.settimeout(2)
        try:
            conn, _ = s.accept()
            print(json.dumps({{"bound": True, "accepted": True, "got": conn.recv(100).decode()}}))
        except OSError:
            print(json.dumps({{"bound": True, "accepted": False}}))
        """
    client = f"""
        import json, socket
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect("\\0{name}")
            c.sendall(b"hello from the other job")
            print(json.dumps({{"connected": True}}))
        except OSError as exc:
            print(json.dumps({{"connected": False, "errno": exc.errno}}))
        """
    a, b = _concurrently(server, client)
    assert last_json(a) == {"bound": True, "accepted": False}
    assert last_json(b) == {"connected": False, "errno": 111}  # ECONNREFUSED


def test_tmp_is_private_to_each_concurrent_job():
    name = marker()
    writer = f"""
        import time
        open("/tmp/{name}", "w").write("mine")
        open("/dev/shm/{name}", "w").write("mine")
        time.sleep(1.5)
        """
    reader = f"""
        import json, os
        print(json.dumps([os.path.exists("/tmp/{name}"), os.path.exists("/dev/shm/{name}"),
                          sorted(os.listdir("/tmp"))]))
        """
    a, b = _concurrently(writer, reader)
    assert a.exit_code == 0, a.stderr
    assert last_json(b) == [
        False,
        False,
        sorted(["main.py", "out", *tmp_entries_of_readonly_binds()]),
    ]


def test_sysv_ipc_is_private_to_each_job():
    outcome = run("print(open('/proc/sysvipc/shm').read().count('\\n'))")
    assert outcome.stdout.strip() == "1"  # the header line only


def test_concurrent_jobs_run_as_different_uids():
    source = "import os, time\nprint(os.getuid(), flush=True)\ntime.sleep(0.8)\n"
    a, b = _concurrently(source, source, delay_s=0.2)
    assert a.stdout != b.stdout and int(a.stdout) >= 2_000_000_000


def test_rng_state_is_not_shared_between_jobs():
    source = """
        import json, random
        import numpy, torch
        print(json.dumps([random.random(), float(numpy.random.rand()), float(torch.rand(1))]))
        """
    first, second = last_json(run(source)), last_json(run(source))
    assert all(x != y for x, y in zip(first, second, strict=True)), (first, second)
    assert json.dumps(first)
