"""The observation channel reaches the caller line by line while the job runs."""

import json
import logging
import socket
import textwrap
import threading
import time

from grading.sandbox import Limits, SandboxJob, Zygote, protocol, run_job, run_job_fresh
from tests.test_sandbox_support import last_json, requires_root, run

pytestmark = requires_root

WRITE = "import os, time\nfd = int(os.environ['SANDBOX_CHANNEL_FD'])\n"


class Recorder:
    """An on_channel callback that keeps each call's bytes and arrival time."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, bytes]] = []
        self.threads: set[int] = set()

    def __call__(self, chunk: bytes) -> None:
        self.calls.append((time.time(), chunk))
        self.threads.add(threading.get_ident())

    @property
    def chunks(self) -> list[bytes]:
        return [chunk for _, chunk in self.calls]


def test_the_first_line_arrives_before_the_job_writes_the_second():
    recorder = Recorder()
    outcome = run(
        WRITE
        + 'os.write(fd, b\'{"test": "first"}\\n\')\n'
        + "time.sleep(1)\n"
        + "print(time.time(), flush=True)\n"
        + 'os.write(fd, b\'{"test": "second"}\\n\')\n',
        on_channel=recorder,
    )
    returned_at = time.time()
    assert outcome.exit_code == 0, outcome.stderr
    assert recorder.chunks == [b'{"test": "first"}\n', b'{"test": "second"}\n']
    first_at, second_at = recorder.calls[0][0], recorder.calls[1][0]
    second_written_at = float(outcome.stdout)  # the job's own clock (no time namespace)
    # Causality, not a timed bound: the caller had the first line before the job, a second
    # later by its own clock, even wrote the second one.
    assert first_at < second_written_at <= second_at
    # And well before the outcome came back: most of the job's run was still ahead of it.
    assert returned_at - first_at > outcome.duration_s / 2
    assert recorder.threads == {threading.get_ident()}  # called in the caller's thread


def test_lines_keep_their_order_and_the_outcome_keeps_everything():
    recorder = Recorder()
    outcome = run(
        WRITE
        + textwrap.dedent(
            """
        for i in range(300):
            line = ('{"n": %d, "pad": "%s"}\\n' % (i, "x" * (i * 37 % 900))).encode()
            if i % 3 == 0:  # some lines in several writes, some writes with several lines
                for part in (line[:5], line[5:]):
                    os.write(fd, part)
            elif i % 3 == 1:
                pending = line
            else:
                os.write(fd, pending + line)
        """
        ),
        on_channel=recorder,
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert [json.loads(chunk)["n"] for chunk in recorder.chunks] == list(range(300))
    assert all(chunk.endswith(b"\n") and chunk.count(b"\n") == 1 for chunk in recorder.chunks)
    assert b"".join(recorder.chunks) == outcome.channel


def test_a_partial_line_is_held_back_until_it_is_complete_and_the_rest_comes_at_the_end():
    recorder = Recorder()
    outcome = run(
        WRITE
        + "os.write(fd, b'{\"a\": ')\n"
        + "time.sleep(0.3)\n"
        + 'os.write(fd, b\'1}\\n{"b": 2}\\n{"c"\')\n'
        + "time.sleep(0.3)\n"
        + "os.write(fd, b': 3')\n",
        on_channel=recorder,
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert recorder.chunks == [b'{"a": 1}\n', b'{"b": 2}\n', b'{"c": 3']
    assert outcome.channel == b'{"a": 1}\n{"b": 2}\n{"c": 3'


def test_a_flooded_channel_streams_no_more_than_the_cap():
    recorder = Recorder()
    cap = 256 * 1024
    outcome = run(
        WRITE + "while True:\n    os.write(fd, b'y' * 99 + b'\\n')\n",
        limits=Limits(channel_bytes=cap, wall_s=10),
        on_channel=recorder,
    )
    assert outcome.limit_hit == "output"
    streamed = b"".join(recorder.chunks)
    assert len(streamed) == cap and streamed == outcome.channel
    assert recorder.chunks[-1] == b"y" * (cap % 100)  # the cut line, flushed at the end


def test_the_caller_refuses_a_reply_that_frames_more_than_the_cap():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(protocol.progress_frame(b"a" * 60) + protocol.progress_frame(b"b" * 60))
        theirs.sendall(b"O" + b"{}")
        theirs.shutdown(socket.SHUT_WR)
        got = []
        reply = protocol.recv_reply(ours, got.append, time.monotonic() + 5, max_progress_bytes=100)
    assert reply == b"" and got == [b"a" * 60]


def test_a_raising_callback_does_not_break_the_job(caplog):
    calls = []

    def broken(chunk: bytes) -> None:
        calls.append(chunk)
        raise RuntimeError("the grading page is down")

    source = WRITE + "for i in range(3):\n    os.write(fd, b'%d\\n' % i)\n    time.sleep(0.05)\n"
    with caplog.at_level(logging.ERROR, logger="grading.sandbox.zygote"):
        outcome = run(source + "print('finished')\n", on_channel=broken)
    assert outcome.exit_code == 0 and outcome.stdout == "finished\n", outcome.stderr
    assert outcome.channel == b"0\n1\n2\n"
    assert calls == [b"0\n"]  # dropped after it raised, logged once
    assert [r.message for r in caplog.records].count(
        "sandbox: the on_channel callback raised; not calling it again"
    ) == 1


def test_a_slow_callback_does_not_stall_the_jobs_limits():
    def slow(chunk: bytes) -> None:
        time.sleep(2)

    outcome = run(
        WRITE + "os.write(fd, b'hi\\n')\nwhile True:\n    pass\n",
        limits=Limits(wall_s=1),
        on_channel=slow,
    )
    assert outcome.limit_hit == "wall"
    assert outcome.duration_s < 2  # measured by the supervisor, which did not wait for us


def test_concurrent_jobs_on_one_zygote_keep_their_streams_apart():
    source = WRITE + (
        "import sys\ntag = os.path.basename(sys.argv[0])\n"
        "for i in range(20):\n"
        "    os.write(fd, ('%s %d\\n' % (tag, i)).encode())\n"
        "    time.sleep(0.02)\n"
    )
    recorders = {tag: Recorder() for tag in ("a.py", "b.py", "c.py")}
    outcomes = {}
    with Zygote(preload=()) as zygote:

        def go(tag: str) -> None:
            job = SandboxJob(files={tag: source.encode()}, entry=tag)
            outcomes[tag] = zygote.run(job, on_channel=recorders[tag])

        threads = [threading.Thread(target=go, args=(tag,)) for tag in recorders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for tag, recorder in recorders.items():
        assert recorder.chunks == [f"{tag} {i}\n".encode() for i in range(20)]
        assert b"".join(recorder.chunks) == outcomes[tag].channel


def test_run_job_and_run_job_fresh_take_the_callback_too():
    job = SandboxJob(
        files={"m.py": (WRITE + "os.write(fd, b'one\\n')\nprint('{}')\n").encode()},
        entry="m.py",
    )
    for runner in (run_job, run_job_fresh):
        recorder = Recorder()
        outcome = runner(job, on_channel=recorder)
        assert last_json(outcome) == {} and recorder.chunks == [b"one\n"]


def test_without_a_callback_the_channel_still_comes_back_whole():
    outcome = run(WRITE + "os.write(fd, b'{\"x\": 1}\\n')\nos.write(fd, b'tail')\n")
    assert outcome.channel == b'{"x": 1}\ntail'
