"""The trusted entry point inside the sandbox (copied into each job as ``_runner.py``).

It must not import Django or the project: it runs in the isolated child with only the job's
files. Steps:
1. Before any learner code runs, keep private references to what it needs (``os.write``, the
   observation channel's fd, ``json.dumps``, ``os._exit``), and drop the channel's variable from
   the environment, so that learner code that patches modules or builtins later cannot change
   how observations are written.
2. Import the learner's ``solution`` module, recording an import failure (syntax error, missing
   module, an exception or ``sys.exit`` at module level) as an observation.
3. Run the lab's probe (``_lab_probe.py``), which calls the learner's functions on the grader's
   inputs and records what it sees, one JSON line per check, through ``Checks``.
4. Leave with ``os._exit`` so that no exit handler the learner registered runs after us.

Observations are data, never verdicts: expected values stay outside with the judge, which
also fails any test observed twice (a line forged by learner code plus the real one).
"""

import importlib.util
import json
import os
import sys
import time
import traceback

_write = os.write
_dumps = json.dumps
_exit = os._exit
_clock = time.perf_counter
_format_exception = traceback.format_exception_only
_CHANNEL = int(os.environ.pop("SANDBOX_CHANNEL_FD", "3"))
MAX_VALUE_CHARS = 200_000


def _emit(record: dict) -> None:
    line = _dumps(record, ensure_ascii=False, default=repr)
    if len(line) > MAX_VALUE_CHARS:
        record = {k: v for k, v in record.items() if k != "value"}
        record["error"] = "the observed value is too large to report"
        line = _dumps(record, ensure_ascii=False)
    data = (line + "\n").encode()
    while data:
        written = _write(_CHANNEL, data)
        data = data[written:]


def _describe(error: BaseException) -> str:
    return "".join(_format_exception(type(error), error)).strip()[-2000:]


class _Check:
    def __init__(self, name: str) -> None:
        self.name = name
        self.value = None

    def __enter__(self) -> "_Check":
        self.started = _clock()
        return self

    def __exit__(self, kind, error, tb) -> bool:
        record = {"test": self.name, "duration_s": round(_clock() - self.started, 4)}
        if error is None:
            record["value"] = self.value
        else:
            record["error"] = _describe(error)
        _emit(record)
        # Swallow learner exceptions (even SystemExit) so that the next check still runs.
        return kind is not None and not issubclass(kind, KeyboardInterrupt)


class Checks:
    """What a probe uses: ``with checks.check("name") as c: c.value = observed``."""

    def check(self, name: str) -> _Check:
        return _Check(name)

    def note(self, **fields) -> None:
        _emit({"event": "note", **fields})


def _load_solution():
    spec = importlib.util.spec_from_file_location("solution", "solution.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["solution"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    with open("_inputs.json", encoding="utf-8") as handle:
        inputs = json.load(handle)
    probe_spec = importlib.util.spec_from_file_location("_lab_probe", "_lab_probe.py")
    probe = importlib.util.module_from_spec(probe_spec)
    # Registered so that classes the probe hands to learner code can be pickled by it.
    sys.modules["_lab_probe"] = probe
    probe_spec.loader.exec_module(probe)
    started = _clock()
    try:
        solution = _load_solution()
    except BaseException as error:
        kind = "exit" if isinstance(error, SystemExit) else "exception"
        _emit({"event": "import_error", "kind": kind, "error": _describe(error)})
        sys.stdout.flush()
        sys.stderr.flush()
        _exit(0)
    _emit({"event": "imported", "duration_s": round(_clock() - started, 4)})
    try:
        probe.run(solution, Checks(), inputs)
    except BaseException as error:
        _emit({"event": "probe_error", "error": _describe(error)})
    _emit({"event": "done"})
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        _exit(0)


if __name__ == "__main__":
    main()
