"""No network at all: not the worker's Redis or PostgreSQL, not the internet, not DNS."""

import socket

import pytest

from tests.test_sandbox_support import last_json, requires_root, run

pytestmark = requires_root

CONNECT = """
import json, socket
try:
    socket.create_connection(({host!r}, {port}), timeout=2).close()
    print(json.dumps({{"connected": True}}))
except OSError as exc:
    print(json.dumps({{"connected": False, "errno": exc.errno, "error": repr(exc)}}))
"""


def _host_listens(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def test_it_cannot_reach_redis():
    if not _host_listens(6379):
        pytest.skip("no Redis on the host to be kept away from")
    result = last_json(run(CONNECT.format(host="127.0.0.1", port=6379)))
    assert result["connected"] is False
    assert result["errno"] == 101  # ENETUNREACH: not even loopback exists


def test_it_cannot_reach_postgresql():
    if not _host_listens(5432):
        pytest.skip("no PostgreSQL on the host to be kept away from")
    result = last_json(run(CONNECT.format(host="127.0.0.1", port=5432)))
    assert result["connected"] is False and result["errno"] == 101


def test_it_cannot_reach_an_http_server_outside():
    result = last_json(run(CONNECT.format(host="93.184.215.14", port=80)))
    assert result["connected"] is False and result["errno"] == 101


def test_dns_does_not_resolve():
    outcome = run(
        """
        import json, socket
        try:
            print(json.dumps({"resolved": socket.getaddrinfo("example.com", 80)[0][4][0]}))
        except OSError as exc:
            print(json.dumps({"resolved": None, "error": repr(exc)}))
        """
    )
    assert last_json(outcome)["resolved"] is None


def test_netlink_and_packet_sockets_are_refused():
    outcome = run(
        """
        import json, socket
        results = {}
        families = {"netlink": (16, 3, 0), "packet": (17, 3, 0), "vsock": (40, 1, 0)}
        for name, args in families.items():
            try:
                socket.socket(*args).close()
                results[name] = "opened"
            except OSError as exc:
                results[name] = exc.errno
        print(json.dumps(results))
        """
    )
    assert last_json(outcome) == {"netlink": 97, "packet": 97, "vsock": 97}  # EAFNOSUPPORT


def test_the_only_interface_is_a_loopback_that_is_down():
    outcome = run(
        """
        import json, socket
        print(json.dumps([name for _, name in socket.if_nameindex()]))
        """
    )
    # if_nameindex needs netlink, which is refused; either way no real interface shows.
    assert outcome.exit_code in (0, 1)
    if outcome.exit_code == 0:
        assert last_json(outcome) == ["lo"]
