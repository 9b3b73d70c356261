"""Grade one submission of one lab: the sandboxed probe observes, the trusted judge decides.

1. The judge draws the lab's inputs from a seeded RNG; they enter the sandbox with the
   learner's ``solution.py``, the trusted runner and the lab's probe. Expected values never
   do: the judge computes them outside from the same inputs.
2. The sandbox runs the runner under the lab's limits; the probe writes one JSON line per
   check to the observation channel (a pipe of its own, not stdout, so nothing the learner
   prints is read as an observation).
3. Each test's observation goes to the judge. A test observed twice fails (learner code wrote a
   line of its own), a test never observed fails with the reason the run stopped (an import
   error, a limit, an early exit), and static checks read the source outside the sandbox.
4. The score is the weighted share of passed tests; the status says whether the code ran.

Nothing here touches the database: the Celery task and the `grade` command both call
``grade_source`` and store or print its result.
"""

from __future__ import annotations

import ast
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings

from grading.lab_mounts import lab_mounts, lab_pythonpath
from grading.sandbox import Limits, SandboxJob, SandboxOutcome, Zygote, run_job
from labs.catalog import LabSpec
from labs.grader_api import Verdict

RUNNER_PATH = Path(__file__).with_name("probe_runner.py")
MAX_TEST_MESSAGE = 500


class Status:
    DONE = "done"
    FAILED = "failed"  # the code could not run: syntax error, import error, crash
    TIMED_OUT = "timed_out"
    REJECTED = "rejected"  # refused before running: not UTF-8, too large, not a notebook


@dataclass
class TestOutcome:
    name: str
    title: str
    weight: float
    passed: bool
    message: str
    duration_s: float | None = None


@dataclass
class GradeResult:
    status: str
    score: float
    tests: list[TestOutcome]
    message: str
    stdout: str = ""
    stderr: str = ""
    limit_hit: str | None = None
    duration_s: float = 0.0
    exit_code: int | None = None
    artifacts: dict[str, bytes] = field(default_factory=dict)

    def as_json(self) -> dict:
        data = asdict(self)
        data["artifacts"] = sorted(self.artifacts)
        return data


LIMIT_MESSAGES = {
    "wall": "Превышено время выполнения ({limits.wall_s:g} с).",
    "cpu": "Превышено процессорное время ({limits.cpu_s:g} с).",
    "memory": "Превышен лимит памяти ({limits.memory_mb} МБ).",
    "processes": "Превышен лимит процессов и потоков ({limits.processes}).",
    "file_size": "Превышен размер файла ({limits.file_size_mb} МБ).",
    "output": "Слишком большой вывод: сохранено только начало.",
    "disk": "Закончилось место во временном каталоге ({limits.tmp_mb} МБ).",
}


def lab_limits(lab: LabSpec) -> Limits:
    return Limits(**lab.limits)


def grade_source(
    lab: LabSpec,
    source: str,
    *,
    device: str | None = None,
    seed: int | None = None,
    zygote: Zygote | None = None,
    on_test: Callable[[int, TestOutcome], None] | None = None,
) -> GradeResult:
    """Run and judge ``source`` as the lab's ``solution.py``. ``on_test(position, outcome)``
    hears each observed test as soon as its line arrives; the returned result, judged again
    from the whole channel once the job has ended, is the one that counts (a test observed a
    second time later fails there)."""
    judge = lab.judge
    rng = random.Random(seed)  # noqa: S311 - test inputs, not secrets
    device = device or ("cuda" if settings.GRADING_DEVICE == "cuda" else "cpu")
    # The probe passes this device to learner functions that take one ("cuda" on GPU nodes).
    inputs = {"device": device, **judge.make_inputs(rng)}
    limits = lab_limits(lab)
    job = SandboxJob(
        files={
            "_runner.py": RUNNER_PATH.read_bytes(),
            "_lab_probe.py": lab.probe_source,
            "_inputs.json": json.dumps(inputs).encode(),
            "solution.py": source.encode("utf-8"),
        },
        entry="_runner.py",
        limits=limits,
        device=device,
        pythonpath=(".", *lab_pythonpath()),
        readonly_mounts=lab_mounts(),  # labkit and the dataset store (grading/lab_mounts.py)
    )
    static = static_verdicts(judge, source)
    positions = {test.name: index for index, test in enumerate(judge.TESTS, start=1)}
    heard: set[str] = set()

    def on_line(line: bytes) -> None:
        record = _parse_line(line)
        name = record.get("test") if record else None
        if on_test is None or name not in positions or name in static or name in heard:
            return
        heard.add(name)
        test = judge.TESTS[positions[name] - 1]
        on_test(positions[name], _outcome(test, observed_verdict(judge, record, inputs), record))

    started = time.perf_counter()
    outcome = run_job(job, zygote, on_channel=on_line)
    observations, events, forged = parse_channel(outcome.channel)
    tests: list[TestOutcome] = []
    for test in judge.TESTS:
        record = observations.get(test.name, {})
        if test.name in static:
            verdict, record = static[test.name], {}
        elif test.name in forged:
            verdict = Verdict.fail(
                "Проверка получила два разных наблюдения: результат не засчитан."
            )
        elif test.name in observations:
            verdict = observed_verdict(judge, record, inputs)
        else:
            verdict = Verdict.fail(missing_reason(events, outcome, limits))
        tests.append(_outcome(test, verdict, record))
    total = sum(t.weight for t in tests) or 1.0
    score = round(sum(t.weight for t in tests if t.passed) / total, 4)
    status, message = overall_status(events, outcome, limits)
    return GradeResult(
        status=status,
        score=score,
        tests=tests,
        message=message,
        stdout=outcome.stdout,
        stderr=outcome.stderr,
        limit_hit=outcome.limit_hit,
        duration_s=round(time.perf_counter() - started, 3),
        exit_code=outcome.exit_code,
        artifacts=dict(outcome.artifacts),
    )


def _outcome(test, verdict: Verdict, record: dict) -> TestOutcome:
    return TestOutcome(
        name=test.name,
        title=test.title,
        weight=float(test.weight),
        passed=verdict.passed,
        message=verdict.message[:MAX_TEST_MESSAGE],
        duration_s=record.get("duration_s"),
    )


def observed_verdict(judge, record: dict, inputs: dict) -> Verdict:
    if "error" in record:
        return Verdict.fail("Ошибка при вызове: " + _last_line(record["error"]))
    return _safe_judge(judge, record["test"], record.get("value"), inputs)


def _parse_line(line: bytes) -> dict | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None  # not ours; learner code may write anything to the channel
    return record if isinstance(record, dict) else None


def parse_channel(channel: bytes) -> tuple[dict[str, dict], dict[str, dict], set[str]]:
    """Observations by test, runner events by name, and tests observed more than once."""
    observations: dict[str, dict] = {}
    events: dict[str, dict] = {}
    forged: set[str] = set()
    for line in channel.splitlines():
        record = _parse_line(line)
        if record is None:
            continue
        test, event = record.get("test"), record.get("event")
        if isinstance(test, str):
            if test in observations:
                forged.add(test)
            observations[test] = record
        elif isinstance(event, str):
            events.setdefault(event, record)
    return observations, events, forged


def static_verdicts(judge, source: str) -> dict[str, Verdict]:
    checks = getattr(judge, "static_checks", None)
    if checks is None:
        return {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}  # the run reports the syntax error; static tests then count as not passed
    return checks(source, tree)


def _safe_judge(judge, name: str, value, inputs: dict) -> Verdict:
    try:
        return judge.judge(name, value, inputs)
    except Exception:  # a malformed observation must fail its test, not the grading
        return Verdict.fail("Результат имеет неожиданный вид и не может быть проверен.")


def missing_reason(events: dict, outcome: SandboxOutcome, limits: Limits) -> str:
    if "import_error" in events:
        return "Решение не удалось импортировать: " + _last_line(events["import_error"]["error"])
    if outcome.limit_hit and outcome.limit_hit != "output":
        return "Проверка не выполнена: " + LIMIT_MESSAGES[outcome.limit_hit].format(limits=limits)
    if "done" not in events:
        return "Проверка не выполнена: программа завершилась раньше, чем закончились проверки."
    return "Проверка не выполнена."


def overall_status(events: dict, outcome: SandboxOutcome, limits: Limits) -> tuple[str, str]:
    if outcome.limit_hit == "wall":
        return Status.TIMED_OUT, LIMIT_MESSAGES["wall"].format(limits=limits)
    if "import_error" in events:
        return Status.FAILED, "Решение не удалось импортировать: " + _last_line(
            events["import_error"]["error"]
        )
    if outcome.limit_hit and outcome.limit_hit != "output":
        return Status.FAILED, LIMIT_MESSAGES[outcome.limit_hit].format(limits=limits)
    if "done" not in events:
        return Status.FAILED, "Программа завершилась раньше, чем закончились проверки."
    if outcome.limit_hit == "output":
        return Status.DONE, LIMIT_MESSAGES["output"]
    return Status.DONE, "Проверка завершена."


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*: .+")
_LOCATION_LINE = re.compile(r'File "(?:[^"]*/)?solution\.py", line (\d+)')


def _last_line(text: str) -> str:
    """The headline of an exception text: "Type: message", with the solution's line number
    when the text names one (a syntax error)."""
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    headline = next((line for line in lines if _EXCEPTION_LINE.match(line)), None)
    headline = headline or (lines[-1] if lines else str(text))
    location = _LOCATION_LINE.search(str(text))
    if location:
        headline = f"{headline} (solution.py, строка {location.group(1)})"
    return headline[:300]
