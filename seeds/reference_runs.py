"""Run the practical tasks' reference code in the sandbox, to find what reading cannot decide:
code that stops with an error on its own small inputs (``X.mm(w)`` on a 1-D tensor, indexing a
2-D tensor with three indices) and printed values that disagree with the value a comment next
to them states (the IoU of ticket 7: the code prints 0.2857, the comment says ~0.1429).

1. A task runs when its code was restored and needs neither the network nor a removed API nor
   names it never defines (those are reported already, and running would only repeat them).
2. Each program runs in the grading sandbox (grading.sandbox: no network, limits, a private
   directory) through one warm zygote, with its random generators seeded, so a run that draws
   random numbers behaves the same every time. A small launcher (``check.py``) records what
   each ``print`` on a line with a stated value prints, then runs ``main.py``, the code itself,
   so tracebacks name the restored code's own lines.
3. The outcome becomes warnings at the seed line of the statement concerned.

This runs the seeds' own code, so it is slow (seconds) and needs the sandbox; the import runs
it only when asked (`import_seeds` does by default), and a sandbox that cannot start is one
warning, never a failed import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from seeds.parsers import ParsedSeed
from seeds.parsers import records as r
from seeds.parsers.code_checks import StatedValue, stated_values
from seeds.parsers.messages import gettext_noop

# What a task must not need for its run to say anything new.
_NOT_RUN_CODES = frozenset({"needs_network", "removed_api", "undefined_name", "code_not_restored"})
WALL_SECONDS = 30
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_FRAME = re.compile(r'File "[^"]*main\.py", line (\d+)')
_ERROR = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Interrupt)): ?(?P<text>.*)$")
_MISSING_MODULE = re.compile(r"No module named '([^']+)'")

# Seeds the generators, records what the prints on the lines that state a value print, and
# runs the code as __main__. Runs inside the sandbox: standard library only, no Django.
_LAUNCHER = """\
import builtins, json, random, runpy, sys
random.seed(0)
try:
    import numpy
    numpy.random.seed(0)
except ImportError:
    pass
try:
    import torch
    torch.manual_seed(0)
except ImportError:
    pass
WATCHED = set(json.loads(sys.argv[1] if len(sys.argv) > 1 else %(watched)r))
_print = builtins.print
def _watching_print(*args, sep=" ", end="\\n", file=None, flush=False):
    frame = sys._getframe(1)
    if file is None and frame.f_lineno in WATCHED and frame.f_code.co_filename.endswith("main.py"):
        text = (sep if sep is not None else " ").join(str(a) for a in args)
        sys.stderr.write("\\x1e" + json.dumps([frame.f_lineno, text]) + "\\n")
    _print(*args, sep=sep, end=end, file=file, flush=flush)
builtins.print = _watching_print
runpy.run_path("main.py", run_name="__main__")
"""


@dataclass
class ReferenceRuns:
    # (file, ticket number) -> warnings; a task that ran and found nothing has an empty list.
    findings: dict[tuple[str, int], list[r.SeedWarning]] = field(default_factory=dict)
    # About the runs as a whole (the sandbox could not start).
    warnings: list[r.SeedWarning] = field(default_factory=list)


def runnable(task: r.PracticalTask) -> bool:
    return task.code.restored and not any(w.code in _NOT_RUN_CODES for w in task.code_warnings)


def run_reference_code(parsed: Sequence[ParsedSeed]) -> ReferenceRuns:
    runs = ReferenceRuns()
    tasks = [
        task
        for seed in parsed
        for task in seed.of_kind(r.PRACTICAL_TASK)
        if isinstance(task, r.PracticalTask) and runnable(task)
    ]
    if not tasks:
        return runs
    try:
        from grading.sandbox import Limits, SandboxError, SandboxJob, Zygote

        limits = Limits(wall_s=WALL_SECONDS, cpu_s=WALL_SECONDS, memory_mb=2048)
        # torch only: most reference programs use it; the rest import what they need.
        with Zygote(preload=("numpy", "torch")) as zygote:
            for task in tasks:
                stated = stated_values(task.code.restored_text)
                launcher = _LAUNCHER % {"watched": json.dumps([s.print_line for s in stated])}
                job = SandboxJob(
                    files={
                        "check.py": launcher.encode(),
                        "main.py": task.code.restored_text.encode(),
                    },
                    entry="check.py",
                    limits=limits,
                )
                outcome = zygote.run(job)
                runs.findings[(task.source_file, task.ticket_number)] = _findings(
                    task, stated, outcome
                )
    except (ImportError, OSError, SandboxError) as error:
        first = tasks[0]
        runs.findings.clear()
        runs.warnings.append(
            r.seed_warning(
                first.source_file,
                first.code_first_line,
                "reference_code_not_run",
                gettext_noop(
                    "the reference code was not run: the sandbox is not available here (%(reason)s)"
                ),
                params={"reason": str(error)[:200]},
            )
        )
    return runs


def _findings(task: r.PracticalTask, stated: list[StatedValue], outcome) -> list[r.SeedWarning]:
    code = task.code
    lines = code.restored_text.splitlines()

    def warning(at_line: int, kind: str, message: str, **params: object) -> r.SeedWarning:
        return r.seed_warning(
            task.source_file,
            task.code_first_line + code.seed_row(at_line) - 1,
            kind,
            message,
            params={"number": task.ticket_number, **params},
        )

    if outcome.limit_hit is not None:
        return [
            warning(
                1,
                "reference_code_unchecked",
                gettext_noop(
                    "ticket №%(number)d: the reference code did not finish in the sandbox "
                    "(%(limit)s limit); it was not checked"
                ),
                limit=outcome.limit_hit,
            )
        ]
    findings = []
    printed = _printed(outcome.stderr)
    for expectation in stated:
        values = printed.get(expectation.print_line)
        if not values:
            continue
        numbers = _NUMBER.findall(values[0])
        if not numbers:
            continue
        actual = float(numbers[-1])
        if not _agrees(actual, expectation):
            findings.append(
                warning(
                    expectation.print_line,
                    "reference_output_mismatch",
                    gettext_noop(
                        "ticket №%(number)d: the reference code prints %(actual)s at restored "
                        "line %(restored_line)d («%(statement)s»), but its comment states "
                        "%(stated)s"
                    ),
                    actual=numbers[-1],
                    restored_line=expectation.print_line,
                    statement=_shortened(lines[expectation.print_line - 1].strip()),
                    stated=expectation.text,
                )
            )
    if outcome.exit_code not in (0, None) or outcome.signal is not None:
        error_line, error = _error(outcome.stderr)
        module = _MISSING_MODULE.search(error)
        if module is not None:
            findings.append(
                warning(
                    error_line or 1,
                    "reference_needs_module",
                    gettext_noop(
                        "ticket №%(number)d: the reference code needs the module «%(module)s», "
                        "which the grading workers do not have; the rest was not checked"
                    ),
                    module=module.group(1),
                )
            )
        else:
            statement = lines[error_line - 1].strip() if 0 < error_line <= len(lines) else ""
            findings.append(
                warning(
                    error_line or 1,
                    "reference_code_fails",
                    gettext_noop(
                        "ticket №%(number)d: run in the sandbox, the reference code stops with "
                        "%(error)s at restored line %(restored_line)d («%(statement)s»)"
                    ),
                    error=error or f"exit code {outcome.exit_code}",
                    restored_line=error_line,
                    statement=_shortened(statement),
                )
            )
    return findings


def _printed(stderr: str) -> dict[int, list[str]]:
    # split("\n"), not splitlines(): the marker \x1e is a line boundary for splitlines.
    printed: dict[int, list[str]] = {}
    for line in stderr.split("\n"):
        if not line.startswith("\x1e"):
            continue
        try:
            number, text = json.loads(line[1:])
        except (ValueError, TypeError):
            continue
        printed.setdefault(int(number), []).append(str(text))
    return printed


def _error(stderr: str) -> tuple[int, str]:
    """The innermost line of main.py in the traceback, and the error's last line."""
    lines = [line for line in stderr.split("\n") if not line.startswith("\x1e")]
    frames = [int(match.group(1)) for line in lines if (match := _FRAME.search(line))]
    errors = [line.strip() for line in lines if _ERROR.match(line.strip())]
    return (frames[-1] if frames else 0), (errors[-1] if errors else "")


def _agrees(actual: float, stated: StatedValue) -> bool:
    decimals = len(stated.text.rsplit(".", 1)[1]) if "." in stated.text else 0
    tolerance = 0.5 * 10**-decimals
    if stated.approximate:
        tolerance = max(2 * tolerance, 0.01 * abs(stated.value))
    return abs(actual - stated.value) <= tolerance + 1e-12


def _shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
