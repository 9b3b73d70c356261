"""The trusted entry point inside the sandbox (copied into each job as ``_runner.py``).

It must not import Django or the project: it runs in the isolated child with only the job's
files. It serves both sandboxed steps of a grading (see labs/grader_api.py):

- the run step (the job holds ``_lab_probe.py`` and the learner's ``solution.py``): load the
  probe, import ``solution`` (an import failure is reported as an event), then call
  ``probe.run(solution, observe, inputs)``;
- the clean check step (the job holds ``_lab_check.py``, never a solution): call
  ``check.run(observe, inputs, handoff)`` over the files the run step handed off.

Before any learner code runs it keeps private references to what it needs (``os.write``,
``json.dumps``, NumPy's writer...), loads the job's inputs (``_inputs.json``, whose
``{"$npy": file}`` entries are arrays read with ``allow_pickle=False`` and ``{"$file": file}``
entries the paths of data files) and prepares the heap
(see ``_prepare_heap``).

Observations are plain data. ``observe(name)`` is a context manager: the value set on it goes
out as one record line on the observation channel, ``{"obs": name, "value": ...}``, numeric
arrays inside it as ``.npy`` files under ``out/_evidence/`` referenced by ``{"$npy": file}``;
an exception raised inside the block (learner code failing) is recorded as the observation's
error and swallowed, so that the next observation still runs. Each record line starts and ends
with a newline and is written with one ``write`` of at most ``PIPE_BUF`` bytes, so bytes that
learner code writes to the channel (even from another thread) land on lines of their own and
never glue onto or split a real record; a longer value goes to a file instead. The judge does
not rely on that: learner code can write records too, so every point comes from evidence
compared with expected values that never enter the sandbox.
"""

import contextlib
import ctypes
import importlib.util
import json
import os
import sys
import time
import traceback

_write = os.write
_dumps = json.dumps
_exit = os._exit
_makedirs = os.makedirs
_clock = time.perf_counter
_format_exception = traceback.format_exception_only
_type = type
_isinstance = isinstance
_float, _int, _bool, _str, _list, _tuple, _dict = float, int, bool, str, list, tuple, dict
_CHANNEL = int(os.environ.pop("SANDBOX_CHANNEL_FD", "3"))
RECORD_BYTES = 4000  # < PIPE_BUF (4096): one write is atomic on a pipe
EVIDENCE_DIR = "out/_evidence"
HANDOFF_DIR = "out/handoff"
MAX_DEPTH = 20


def _emit(record: dict) -> None:
    line = b"\n" + _dumps(record, ensure_ascii=True, allow_nan=True).encode() + b"\n"
    if len(line) > RECORD_BYTES:  # only an error text can be this long here: keep its end
        record = {**record, "error": _str(record.get("error", ""))[-300:]}
        record.pop("value", None)
        line = b"\n" + _dumps(record, ensure_ascii=True).encode()[: RECORD_BYTES - 2] + b"\n"
    # Learner code may have closed or replaced the channel; its evidence is then missing.
    with contextlib.suppress(OSError):
        _write(_CHANNEL, line)


def _describe(error: BaseException) -> str:
    return "".join(_format_exception(_type(error), error)).strip()[-1500:]


class _Writer:
    """Turns an observed value into plain JSON data, arrays into .npy evidence files."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    def plain(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise ValueError("the value is nested too deeply")
        kind = _type(value)
        if value is None or kind is _bool or kind is _int or kind is _str:
            return value
        if kind is _float:
            return value
        if kind is _list or kind is _tuple:
            return [self.plain(item, depth + 1) for item in value]
        if kind is _dict:
            if not all(_type(key) is _str for key in value):
                raise TypeError("dictionary keys must be strings")
            return {key: self.plain(item, depth + 1) for key, item in value.items()}
        numpy = sys.modules.get("numpy")
        torch = sys.modules.get("torch")
        if torch is not None and _isinstance(value, torch.Tensor):
            value = torch.Tensor.numpy(torch.Tensor.cpu(torch.Tensor.detach(value)))
            kind = _type(value)
        if numpy is not None and kind is numpy.ndarray:
            return self.array(numpy, value)
        if numpy is not None and _isinstance(value, numpy.generic):
            return self.plain(value.item(), depth + 1)
        raise TypeError(f"{kind.__name__} is not plain data")

    def array(self, numpy, value):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"an array of {value.dtype} is not numeric data")
        self.count += 1
        file = f"{self.name}.{self.count}.npy"
        _makedirs(EVIDENCE_DIR, exist_ok=True)
        numpy.save(f"{EVIDENCE_DIR}/{file}", numpy.ascontiguousarray(value), allow_pickle=False)
        return {"$npy": file}


class _Observation:
    def __init__(self, name: str) -> None:
        self.name = name
        self.value = None

    def __enter__(self) -> "_Observation":
        self.started = _clock()
        return self

    def __exit__(self, kind, error, tb) -> bool:
        # Shown to the learner as the test's time; never judged (learner code can patch clocks).
        duration = round(_clock() - self.started, 4)
        record = {"obs": self.name, "duration_s": duration}
        if error is None:
            try:
                writer = _Writer(self.name)
                record["value"] = writer.plain(self.value)
                line = _dumps(record, ensure_ascii=True, allow_nan=True)
                if len(line) > RECORD_BYTES - 2:
                    _makedirs(EVIDENCE_DIR, exist_ok=True)
                    file = f"{self.name}.json"
                    with open(f"{EVIDENCE_DIR}/{file}", "w", encoding="ascii") as handle:
                        handle.write(line)
                    record = {"obs": self.name, "duration_s": duration, "file": file}
            except Exception as problem:
                record = {"obs": self.name, "error": "ObservationError: " + _describe(problem)}
                record["duration_s"] = duration
        else:
            record["error"] = _describe(error)
        _emit(record)
        # Swallow learner exceptions (even SystemExit) so that the next observation still runs.
        return kind is not None and not issubclass(kind, KeyboardInterrupt)


class Observe:
    """What a probe or check calls: ``with observe("name") as seen: seen.value = ...``."""

    def __call__(self, name: str) -> _Observation:
        if _type(name) is not _str or not name.isidentifier():
            raise ValueError(f"observation names are identifiers, not {name!r}")
        return _Observation(name)

    def handoff(self, name: str) -> str:
        """A path for a file that the clean check step will get (under ``handoff/``)."""
        _makedirs(HANDOFF_DIR, exist_ok=True)
        return f"{HANDOFF_DIR}/{name}"


def _read_inputs():
    with open("_inputs.json", encoding="utf-8") as handle:
        inputs = json.load(handle)
    return _arrays_in(inputs)


def _arrays_in(value):
    """Inputs with ``{"$npy": f}`` read as arrays and ``{"$file": f}`` given as a path."""
    if _type(value) is _dict:
        if _type(value.get("$npy")) is _str and len(value) == 1:
            import numpy

            return numpy.load(f"_inputs/{value['$npy']}", allow_pickle=False)
        if _type(value.get("$file")) is _str and len(value) == 1:
            return f"_inputs/{value['$file']}"
        return {key: _arrays_in(item) for key, item in value.items()}
    if _type(value) is _list:
        return [_arrays_in(item) for item in value]
    return value


def _prepare_heap(megabytes: int = 256) -> None:
    """Serve large allocations from a heap backed by 2 MB pages.

    A job is a fresh fork, so every page it allocates is faulted in one 4 KB page at a time,
    and glibc hands big tensors straight to mmap and back, faulting again for the next one:
    measured, a 1500x1500 IoU matrix ran in 24 ms in a warm process and 60-90 ms in a forked
    one, almost all of it page faults. Here glibc is told to take chunks up to 32 MB from the
    main heap and keep what is freed, the heap is grown once (untouched, so it costs no
    memory until used) and advised to use transparent huge pages. Nothing here is visible to
    the job's limits or other jobs; where the kernel or libc refuses, nothing changes.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]
        libc.free.argtypes = [ctypes.c_void_p]
        libc.sbrk.restype = ctypes.c_void_p
        libc.sbrk.argtypes = [ctypes.c_ssize_t]
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        m_trim_threshold, m_mmap_threshold, madv_hugepage = -1, -3, 14
        huge = 2 << 20
        if not libc.mallopt(m_mmap_threshold, 32 << 20):
            return
        libc.mallopt(m_trim_threshold, 256 << 20)
        start = libc.sbrk(0)
        blocks = [libc.malloc(30 << 20) for _ in range(max(1, megabytes // 30))]
        end = libc.sbrk(0)
        aligned = (start + huge - 1) & ~(huge - 1)
        if end and aligned and end > aligned:
            libc.madvise(aligned, (end - aligned) & ~(huge - 1), madv_hugepage)
        for block in blocks:
            if block:
                libc.free(block)
    except (OSError, AttributeError, TypeError):
        pass


def _load(name: str, path: str, register: bool = True):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[name] = module  # so that classes it hands out can be pickled by learner code
    spec.loader.exec_module(module)
    return module


def main() -> None:
    inputs = _read_inputs()
    observe = Observe()
    if os.path.exists("_lab_check.py"):
        check = _load("_lab_check", "_lab_check.py")
        run_check = check.run
        try:
            run_check(observe, inputs, "handoff")
        except BaseException as error:
            _emit({"event": "probe_error", "error": _describe(error)})
        _finish()
    probe = _load("_lab_probe", "_lab_probe.py")
    run_probe = probe.run  # kept before learner code can replace it
    _prepare_heap()
    try:
        solution = _load("solution", "solution.py")
    except BaseException as error:
        kind = "exit" if isinstance(error, SystemExit) else "exception"
        _emit({"event": "import_error", "kind": kind, "error": _describe(error)})
        _finish()
    _emit({"event": "imported"})
    try:
        run_probe(solution, observe, inputs)
    except BaseException as error:
        _emit({"event": "probe_error", "error": _describe(error)})
    _finish()


def _finish() -> None:
    _emit({"event": "done"})
    try:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
    finally:
        _exit(0)


if __name__ == "__main__":
    main()
