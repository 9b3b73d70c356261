"""How a job travels from the caller to the zygote and how its outcome comes back.

Threat model for this part: the zygote's memory is copied into every later job by fork, so
the zygote must never hold one job's files or outputs while it forks another. A job therefore
travels as a memfd that the zygote passes on unread; only the per-job supervisor (a process
that never forks another job) and, passed on by it, that job's init read it. Outcomes come
back on a per-job socket as a JSON header plus raw byte blobs; nothing is unpickled, so a bug
that let job output into the header could at worst corrupt one outcome.

While the job runs, the supervisor also streams the job's observation channel on that same
per-job socket, as progress frames (``P``, a 4-byte length, the bytes) ahead of the final
message (``O``/``V``/``E`` and its body up to EOF). The socket was created by the caller and
reaches the supervisor through the zygote as a passed descriptor: the zygote closes its copy
right after forking the supervisor and never reads from or writes to it, so streamed bytes
never enter the zygote's memory. Only channel bytes that the supervisor keeps (at most
``limits.channel_bytes`` in all) are ever framed, and the caller refuses a reply whose frames
add up to more than that cap, so it never buffers more than the cap either.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import struct
import time
from collections.abc import Callable

from .limits import Limits, SandboxJob, SandboxOutcome

_LEN = struct.Struct("!Q")
PROGRESS = b"P"
_PROGRESS_LEN = struct.Struct("!I")
FINAL_KINDS = (b"O", b"V", b"E")


def _frame(header: dict, blobs: list[bytes]) -> bytes:
    raw = json.dumps(header).encode()
    return _LEN.pack(len(raw)) + raw + b"".join(blobs)


def _unframe(data: bytes) -> tuple[dict, memoryview]:
    (size,) = _LEN.unpack_from(data)
    header = json.loads(data[_LEN.size : _LEN.size + size])
    return header, memoryview(data)[_LEN.size + size :]


def _split(body: memoryview, names_and_sizes: list) -> dict[str, bytes]:
    out, offset = {}, 0
    for name, size in names_and_sizes:
        out[name] = bytes(body[offset : offset + size])
        offset += size
    return out


def job_to_memfd(job: SandboxJob) -> int:
    """Write the job into a new memfd and return its fd (rewound)."""
    names = list(job.files)
    header = {
        "entry": job.entry,
        "limits": dataclasses.asdict(job.limits),
        "device": job.device,
        "readonly_paths": list(job.readonly_paths),
        "pythonpath": list(job.pythonpath),
        "readonly_mounts": [list(mount) for mount in job.readonly_mounts],
        "files": [[n, len(job.files[n])] for n in names],
    }
    fd = os.memfd_create("sandbox-job", os.MFD_CLOEXEC)
    data = _frame(header, [job.files[n] for n in names])
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def job_from_fd(fd: int) -> SandboxJob:
    size = os.fstat(fd).st_size
    data = os.pread(fd, size, 0)
    header, body = _unframe(data)
    return SandboxJob(
        files=_split(body, header["files"]),
        entry=header["entry"],
        limits=Limits(**header["limits"]),
        device=header["device"],
        readonly_paths=tuple(header["readonly_paths"]),
        pythonpath=tuple(header["pythonpath"]),
        readonly_mounts=tuple(tuple(mount) for mount in header.get("readonly_mounts", ())),
    )


def outcome_to_bytes(outcome: SandboxOutcome) -> bytes:
    out, err = outcome.stdout.encode(), outcome.stderr.encode()
    names = list(outcome.artifacts)
    header = {
        "exit_code": outcome.exit_code,
        "signal": outcome.signal,
        "limit_hit": outcome.limit_hit,
        "duration_s": outcome.duration_s,
        "cpu_s": outcome.cpu_s,
        "memory_peak_mb": outcome.memory_peak_mb,
        "parts": [["stdout", len(out)], ["stderr", len(err)], ["channel", len(outcome.channel)]],
        "artifacts": [[n, len(outcome.artifacts[n])] for n in names],
    }
    return _frame(header, [out, err, outcome.channel] + [outcome.artifacts[n] for n in names])


def outcome_from_bytes(data: bytes) -> SandboxOutcome:
    header, body = _unframe(data)
    parts = _split(body, header["parts"])
    consumed = sum(size for _, size in header["parts"])
    artifacts = _split(body[consumed:], header["artifacts"])
    return SandboxOutcome(
        exit_code=header["exit_code"],
        signal=header["signal"],
        limit_hit=header["limit_hit"],
        stdout=parts["stdout"].decode(),
        stderr=parts["stderr"].decode(),
        duration_s=header["duration_s"],
        channel=parts["channel"],
        artifacts=artifacts,
        cpu_s=header["cpu_s"],
        memory_peak_mb=header["memory_peak_mb"],
    )


def send_all_and_close(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the caller gave up waiting; nothing to report to
    finally:
        sock.close()


def recv_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def progress_frame(payload: bytes) -> bytes:
    """One frame of streamed channel bytes (sent before the final message)."""
    return PROGRESS + _PROGRESS_LEN.pack(len(payload)) + payload


def recv_reply(
    sock: socket.socket,
    on_progress: Callable[[bytes], None],
    deadline: float,
    max_progress_bytes: int,
) -> bytes:
    """Read a supervisor's reply: call ``on_progress`` with each progress frame's payload, in
    order, then return the final message (kind byte and body); b"" if the reply was cut off or
    broke the framing (the supervisor died, or more than ``max_progress_bytes`` were framed).

    ``deadline`` (a ``time.monotonic`` value) bounds the waiting for the supervisor; time spent
    inside ``on_progress`` pushes it back, so a slow callback does not cause a timeout.
    Raises TimeoutError past the deadline.
    """
    buffer = bytearray()
    streamed = 0
    head = 1 + _PROGRESS_LEN.size
    while True:
        while buffer[:1] == PROGRESS and len(buffer) >= head:
            (size,) = _PROGRESS_LEN.unpack_from(buffer, 1)
            if streamed + size > max_progress_bytes:
                return b""
            if len(buffer) < head + size:
                break
            payload = bytes(buffer[head : head + size])
            del buffer[: head + size]
            streamed += size
            started = time.monotonic()
            on_progress(payload)
            deadline += time.monotonic() - started
        if buffer and buffer[:1] != PROGRESS:
            if bytes(buffer[:1]) not in FINAL_KINDS:
                return b""
            chunks = [bytes(buffer)]
            while True:
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                chunk = sock.recv(1 << 20)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        chunk = sock.recv(1 << 20)
        if not chunk:
            return b""  # EOF before the final message: the supervisor died mid-reply
        buffer += chunk
