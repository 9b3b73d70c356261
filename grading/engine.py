"""Grade one submission of one lab: the sandboxed steps observe, the trusted judge decides.

1. The lab's judge draws this job's inputs from a per-job seed (``prepare``); the public part
   enters the sandbox with the learner's ``solution.py``, the trusted runner and the lab's
   probe. Expected values, hidden inputs and secret models' weights never do.
2. The run step: the sandbox runs the runner under the lab's limits; the probe calls the
   learner's functions and records observations (plain data on a channel of its own, arrays
   as ``.npy`` under ``out/_evidence/``). Everything that comes back is cleaned
   (grading.text_hygiene) before anything else reads it.
3. The check step (labs with a ``check.py``): the files the probe handed off (``out/handoff/``)
   go to a second, fresh sandbox that runs only grader code, on inputs only it receives.
4. The judge decides each test on that evidence, the source (parsed here) and the run step's
   CPU and wall time as the supervisor measured them. The engine fails a test whose evidence
   is missing, an error or reported twice before the judge sees it, and then applies the
   gating of labs/grader_api.py: edge tests count only once the core tests they require
   pass, claims only once every core test passes.
5. The score is the weighted share of passed tests; the status says whether the code ran.

Messages are rendered in every language of ``settings.LANGUAGES``: ``message`` fields hold the
site's language (Russian); ``messages`` (and a test's ``titles``) hold all of them by
language code: what services.messages_of stores.

Nothing here touches the database: the Celery task and the `grade` command both call
``grade_source`` and store or print its result.
"""

from __future__ import annotations

import functools
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from grading.figures import FigureImage, render_figures
from grading.lab_mounts import CHECK_STEP, RUN_STEP, lab_mounts, lab_pythonpath
from grading.sandbox import Limits, SandboxJob, SandboxOutcome, Zygote, default_zygote, run_job
from grading.text_hygiene import clean_data, clean_line, clean_outcome, clean_text
from labs.catalog import LabSpec
from labs.grader_api import (
    CHECK_PREFIX,
    CLAIM,
    CORE,
    EDGE,
    JOB,
    SOURCE,
    Draw,
    Evidence,
    JobFacts,
    JudgeSpec,
    Message,
    Source,
    Test,
    Verdict,
    is_checked,
    message,
)
from labs.interface import interface_problems, joined

RUNNER_PATH = Path(__file__).with_name("probe_runner.py")
MAX_TEST_MESSAGE = 500
MAX_OVERALL_MESSAGE = 2000
EVIDENCE_PREFIX = "_evidence/"
HANDOFF_PREFIX = "handoff/"
HIDDEN_ARTIFACTS = (EVIDENCE_PREFIX, HANDOFF_PREFIX)
CHECK_LIMITS = {"wall_s": 30, "cpu_s": 30, "memory_mb": 1024}
MAX_EVIDENCE_ARRAY = 50_000_000  # elements


class Status:
    DONE = "done"
    FAILED = "failed"  # the code could not run: syntax error, import error, crash
    TIMED_OUT = "timed_out"
    REJECTED = "rejected"  # refused before running: not UTF-8, too large, not a notebook


@dataclass
class TestOutcome:
    name: str
    title: str  # in the site's language
    weight: float
    passed: bool
    message: str  # in the site's language
    duration_s: float | None = None
    kind: str = CORE
    titles: dict[str, str] = field(default_factory=dict)  # every language, by code
    messages: dict[str, str] = field(default_factory=dict)
    margin: float | None = None  # the judge's distance to the threshold (not shown to learners)


@dataclass
class GradeResult:
    status: str
    score: float
    tests: list[TestOutcome]
    message: str  # in the site's language
    stdout: str = ""
    stderr: str = ""
    limit_hit: str | None = None
    duration_s: float = 0.0
    exit_code: int | None = None
    artifacts: dict[str, bytes] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    # The run step as the supervisor measured it, and what each step cost the worker (s).
    cpu_s: float | None = None
    timings: dict[str, float] = field(default_factory=dict)
    # Pictures the judge made from the evidence (grading/figures.py), PNGs written here.
    figures: list[FigureImage] = field(default_factory=list)

    def as_json(self) -> dict:
        data = asdict(self)
        data["artifacts"] = sorted(self.artifacts)
        data["figures"] = [figure.name for figure in self.figures]
        return data


LIMIT_MESSAGES = {
    "wall": (_("Time limit exceeded ({seconds:g} s)."), "wall_s"),
    "cpu": (_("CPU time limit exceeded ({seconds:g} s)."), "cpu_s"),
    "memory": (_("Memory limit exceeded ({megabytes} MB)."), "memory_mb"),
    "gpu_memory": (_("GPU memory limit exceeded ({megabytes} MB)."), "gpu_memory_mb"),
    "processes": (_("Too many processes and threads (limit {count})."), "processes"),
    "file_size": (_("File size limit exceeded ({megabytes} MB)."), "file_size_mb"),
    "output": (_("Too much output: only its beginning was kept."), None),
    "disk": (_("The temporary directory ran out of space ({megabytes} MB)."), "tmp_mb"),
    "violation": (
        _(
            "The program interfered with the sandbox that runs it; the run was stopped and "
            "its results are not counted."
        ),
        None,
    ),
}


def limit_message(limit: str, limits: Limits) -> Message:
    text, attribute = LIMIT_MESSAGES.get(limit, (_("A limit was exceeded ({limit})."), None))
    value = getattr(limits, attribute) if attribute else None
    return message(text, seconds=value, megabytes=value, count=value, limit=limit)


def lab_limits(lab: LabSpec) -> Limits:
    return Limits(**lab.limits)


def check_limits(lab: LabSpec) -> Limits:
    return Limits(**{**CHECK_LIMITS, **getattr(lab, "check_limits", {})})


# --- evidence from one sandboxed step ---------------------------------------------------------


@dataclass
class Record:
    """One observation as a step reported it: a value, or the error that stopped it."""

    state: str  # "value" | "error" | "twice"
    value: Any = None
    error: str = ""
    duration_s: float | None = None


class Observations:
    """The records of one step's channel, and the events of its runner."""

    def __init__(self) -> None:
        self.raw: dict[str, list[dict]] = {}
        self.events: dict[str, dict] = {}
        self._records: dict[tuple[str, bool], Record | None] = {}

    def feed_line(self, line: bytes) -> str | None:
        """Take one channel line; the observation's name if it was one."""
        record = _parse_line(line)
        if record is None:
            return None
        name, event = record.get("obs"), record.get("event")
        if isinstance(name, str) and name.isidentifier():
            self.raw.setdefault(name, []).append(record)
            self._records.pop((name, True), None)
            self._records.pop((name, False), None)
            return name
        if isinstance(event, str):
            self.events.setdefault(event, clean_data(record))
        return None

    def feed_channel(self, channel: bytes) -> None:
        for line in channel.split(b"\n"):
            self.feed_line(line)

    def record(self, name: str, files: dict[str, bytes] | None) -> Record | None:
        """The observation ``name``; None if never reported, or (``files`` None: while the job
        runs) if it needs files that only arrive with the outcome. Decoded once."""
        key = (name, files is None)
        if key not in self._records:
            self._records[key] = self._record(name, files)
        return self._records[key]

    def _record(self, name: str, files: dict[str, bytes] | None) -> Record | None:
        records = self.raw.get(name)
        if not records:
            return None
        if len({json.dumps(r, sort_keys=True) for r in records}) > 1:
            return Record("twice")
        raw = records[0]
        duration = raw.get("duration_s") if isinstance(raw.get("duration_s"), float) else None
        if "error" in raw:
            return Record("error", error=clean_text(raw["error"], limit=2000), duration_s=duration)
        try:
            if "file" in raw:
                if files is None:
                    return None
                data = files.get(EVIDENCE_PREFIX + str(raw["file"]))
                if data is None:
                    raise EvidenceError("the file of the observation is missing")
                value = json.loads(data).get("value")
            elif "value" in raw:
                value = raw["value"]
            else:
                raise EvidenceError("the record holds no value")
            if files is None and _needs_files(value):
                return None
            return Record("value", value=_decode(value, files or {}), duration_s=duration)
        except (EvidenceError, ValueError, TypeError, AttributeError) as problem:
            return Record("error", error=f"ObservationError: {problem}", duration_s=duration)


class EvidenceError(ValueError):
    pass


def _parse_line(line: bytes) -> dict | None:
    line = line.strip()
    if not line.startswith(b"{"):
        return None  # not ours; learner code may write anything to the channel
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _needs_files(value: Any) -> bool:
    if isinstance(value, dict):
        return "$npy" in value or any(_needs_files(v) for v in value.values())
    if isinstance(value, list):
        return any(_needs_files(v) for v in value)
    return False


def _decode(value: Any, files: dict[str, bytes]) -> Any:
    """Plain data with each ``{"$npy": file}`` replaced by its array (never unpickled)."""
    if isinstance(value, dict):
        if set(value) == {"$npy"}:
            return load_array(files.get(EVIDENCE_PREFIX + str(value["$npy"])))
        return {clean_line(k, limit=200): _decode(v, files) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, files) for v in value]
    if isinstance(value, str):
        return clean_line(value, limit=2000)
    return value


def load_array(data: bytes | None) -> np.ndarray:
    if data is None:
        raise EvidenceError("an array of the observation is missing")
    array = np.load(io.BytesIO(data), allow_pickle=False)
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise EvidenceError("an array of the observation is not numeric")
    if array.size > MAX_EVIDENCE_ARRAY:
        raise EvidenceError("an array of the observation is too large")
    return array


def encode_inputs(inputs: dict) -> tuple[bytes, dict[str, bytes]]:
    """``_inputs.json`` and the files it refers to: ``.npy`` for the arrays in ``inputs``,
    and data files for its ``bytes`` values (the probe gets their paths)."""
    files: dict[str, bytes] = {}

    def plain(value: Any) -> Any:
        if isinstance(value, bytes):
            name = f"{len(files)}.bin"
            files[f"_inputs/{name}"] = value
            return {"$file": name}
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                raise TypeError("input arrays must be numeric")
            name = f"{len(files)}.npy"
            buffer = io.BytesIO()
            np.save(buffer, np.ascontiguousarray(value), allow_pickle=False)
            files[f"_inputs/{name}"] = buffer.getvalue()
            return {"$npy": name}
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    encoded = json.dumps(plain(inputs)).encode()
    return encoded, files


# --- grading ---------------------------------------------------------------------------------


def grade_source(
    lab: LabSpec,
    source: str,
    *,
    device: str | None = None,
    seed: int | None = None,
    zygote: Zygote | None = None,
    on_test: Callable[[int, TestOutcome], None] | None = None,
) -> GradeResult:
    """Run and judge ``source`` as the lab's ``solution.py``. ``seed`` fixes the job's draw
    (tests and benchmarks; never shown to the learner). ``on_test(position, outcome)`` hears
    each test as soon as its evidence is complete while the job runs; the returned result,
    judged again from all the evidence once both steps have ended, is the one that counts.
    ``zygote``: the warm interpreter to run both steps in (default: this process's one of the
    lab's environment)."""
    started = time.perf_counter()
    zygote = zygote or default_zygote(lab.environment)
    spec: JudgeSpec = lab.grader
    device = device or ("cuda" if settings.GRADING_DEVICE == "cuda" else "cpu")
    prepared = spec.prepare(Draw(seed))
    limits = lab_limits(lab)
    job = SandboxJob(
        files=run_step_files(lab, {"device": device, **prepared.inputs}, source),
        entry="_runner.py",
        limits=limits,
        device=device,
        pythonpath=(".", *lab_pythonpath()),
        # labkit and the dataset store's run view, without the held-out files (lab_mounts.py)
        readonly_mounts=lab_mounts(RUN_STEP),
    )
    src = Source(source)
    observed = Observations()
    judging = _Judging(spec, prepared.hidden, src, limits, check_limits(lab))

    def on_line(line: bytes) -> None:
        if observed.feed_line(line) is None or on_test is None:
            return
        for position, outcome in judging.live(observed):
            on_test(position, outcome)

    prepared_at = time.perf_counter()
    outcome = clean_outcome(run_job(job, zygote, on_channel=on_line))
    ran_at = time.perf_counter()
    observed = Observations()
    observed.feed_channel(outcome.channel)
    checked, check_outcome = None, None
    handoff = {
        name[len(HANDOFF_PREFIX) :]: data
        for name, data in outcome.artifacts.items()
        if name.startswith(HANDOFF_PREFIX)
    }
    if spec.has_check and handoff and outcome.limit_hit != "violation":
        check_outcome, checked = run_check(lab, prepared.check_inputs, handoff, zygote)
    checked_at = time.perf_counter()
    tests = judging.final(observed, outcome, checked, check_outcome)
    figures = []
    if outcome.limit_hit != "violation" and judging.evidence is not None:
        figures = render_figures(spec, judging.evidence)
    total = sum(t.weight for t in tests) or 1.0
    score = round(sum(t.weight for t in tests if t.passed) / total, 4)
    status, overall = overall_status(observed.events, outcome, limits)
    missing = interface_problems(src.tree, lab.interface)
    if missing:  # what the contract asks for and the source lacks, before the outcome
        overall = joined([*missing, overall])
    rendered = _render(overall, limit=MAX_OVERALL_MESSAGE)
    finished = time.perf_counter()
    return GradeResult(
        status=status,
        score=score,
        tests=tests,
        message=rendered[settings.LANGUAGE_CODE],
        messages=rendered,
        stdout=outcome.stdout,
        stderr=outcome.stderr,
        limit_hit=outcome.limit_hit,
        duration_s=round(finished - started, 3),
        exit_code=outcome.exit_code,
        artifacts={
            name: data
            for name, data in outcome.artifacts.items()
            if not name.startswith(HIDDEN_ARTIFACTS)
        },
        cpu_s=outcome.cpu_s,
        figures=figures,
        timings={
            "prepare_s": round(prepared_at - started, 4),
            "run_s": round(ran_at - prepared_at, 4),
            "check_s": round(checked_at - ran_at, 4) if check_outcome is not None else 0.0,
            "judge_s": round(finished - checked_at, 4),
        },
    )


def run_check(
    lab: LabSpec, check_inputs: dict, handoff: dict[str, bytes], zygote: Zygote | None
) -> tuple[SandboxOutcome, Observations]:
    """The clean step: the lab's check.py over the handed-off files, in a fresh sandbox where
    no learner code runs and nothing of the learner's can be imported (the files sit in
    ``handoff/``, which is not on the import path, under names the engine has cleaned)."""
    job = SandboxJob(
        files=check_step_files(lab, check_inputs, handoff),
        entry="_runner.py",
        limits=check_limits(lab),
        device="cpu",
        # Grader code only: it may read labkit and the whole dataset store (held-out data
        # whose labels must never enter the run step, which sees the store's run view).
        pythonpath=lab_pythonpath(),
        readonly_mounts=lab_mounts(CHECK_STEP),
    )
    outcome = clean_outcome(run_job(job, zygote or default_zygote(lab.environment)))
    checked = Observations()
    checked.feed_channel(outcome.channel)
    return outcome, checked


def run_step_files(lab: LabSpec, inputs: dict, source: str) -> dict[str, bytes]:
    """The files of the run step's job: the runner, the probe, the inputs, the solution."""
    inputs_json, input_files = encode_inputs(inputs)
    return {
        "_runner.py": RUNNER_PATH.read_bytes(),
        "_lab_probe.py": lab.probe_source,
        "_inputs.json": inputs_json,
        **input_files,
        "solution.py": source.encode("utf-8"),
    }


def check_step_files(lab: LabSpec, inputs: dict, handoff: dict[str, bytes]) -> dict[str, bytes]:
    """The files of the clean check step's job: the handed-off files under ``handoff/``, the
    runner, the lab's check.py, its inputs; never a solution."""
    inputs_json, input_files = encode_inputs(inputs)
    files = {f"{HANDOFF_PREFIX}{name}": data for name, data in handoff.items()}
    files.update(
        {
            "_runner.py": RUNNER_PATH.read_bytes(),
            "_lab_check.py": lab.check_source,
            "_inputs.json": inputs_json,
            **input_files,
        }
    )
    return files


class _Judging:
    """Decides tests from evidence, applying the engine's rules around the lab's judge."""

    def __init__(
        self, spec: JudgeSpec, hidden: Any, source: Source, limits: Limits, check: Limits
    ) -> None:
        self.spec = spec
        self.hidden = hidden
        self.source = source
        self.limits = limits
        self.check_limits = check
        self.positions = {test.name: index for index, test in enumerate(spec.tests, start=1)}
        self._live: dict[str, Verdict] = {}  # verdicts decided while the job runs
        self._emitted: set[str] = set()  # tests already heard by on_test
        self.evidence: Evidence | None = None  # what the final judgement was made on

    def live(self, observed: Observations) -> list[tuple[int, TestOutcome]]:
        """Tests decidable from the channel alone, so far (no files, no check, no job)."""
        verdicts: dict[str, Verdict] = {}
        outcomes: dict[str, TestOutcome] = {}
        for test in self.spec.tests:
            if JOB in test.uses or any(is_checked(name) for name in test.uses):
                continue
            if test.name in self._live:
                verdicts[test.name] = self._live[test.name]
                continue
            records = {name: observed.record(name, None) for name in test.observations}
            if any(record is None for record in records.values()):
                continue
            evidence = Evidence(
                observed={n: r.value for n, r in records.items() if r.state == "value"},
                checked={},
                job=None,
                source=self.source,
            )
            verdicts[test.name] = self._live[test.name] = self._verdict(
                test, records, evidence, None
            )
        for test in self.spec.tests:
            verdict = verdicts.get(test.name)
            if verdict is None or test.name in self._emitted:
                continue
            gated = self._gate(test, verdict, verdicts, final=False)
            if gated is not None:
                records = [observed.record(n, None) for n in test.observations]
                outcomes[test.name] = self._outcome(test, gated, records)
                self._emitted.add(test.name)
        return [(self.positions[name], outcome) for name, outcome in outcomes.items()]

    def final(
        self,
        observed: Observations,
        outcome: SandboxOutcome,
        checked: Observations | None,
        check_outcome: SandboxOutcome | None,
    ) -> list[TestOutcome]:
        files = outcome.artifacts
        run_records = {}
        for test in self.spec.tests:
            for name in test.observations:
                if not is_checked(name):
                    run_records[name] = observed.record(name, files)
                elif checked is not None:
                    run_records[name] = checked.record(_unchecked(name), check_outcome.artifacts)
                else:
                    run_records[name] = None
        evidence = Evidence(
            observed={
                n: r.value
                for n, r in run_records.items()
                if r is not None and r.state == "value" and not is_checked(n)
            },
            checked={
                _unchecked(n): r.value
                for n, r in run_records.items()
                if r is not None and r.state == "value" and is_checked(n)
            },
            job=JobFacts(
                cpu_s=outcome.cpu_s,
                wall_s=outcome.duration_s,
                memory_peak_mb=outcome.memory_peak_mb,
                limit_hit=outcome.limit_hit,
            ),
            source=self.source,
        )
        self.evidence = evidence

        def missing(name: str) -> Message:
            if is_checked(name):
                return self._check_missing(checked, check_outcome, observed, outcome)
            return missing_reason(observed.events, outcome, self.limits)

        verdicts = {}
        for test in self.spec.tests:
            records = {name: run_records[name] for name in test.observations}
            if outcome.limit_hit == "violation":
                # The job attacked the sandbox: nothing it did or reported counts.
                verdicts[test.name] = Verdict(False, limit_message("violation", self.limits))
                continue
            verdicts[test.name] = self._verdict(test, records, evidence, missing)
        tests = []
        for test in self.spec.tests:
            gated = self._gate(test, verdicts[test.name], verdicts, final=True)
            records = [run_records[n] for n in test.observations if not is_checked(n)]
            result = self._outcome(test, gated, records)
            if JOB in test.uses and result.duration_s is None:
                result.duration_s = round(outcome.duration_s, 3)
            tests.append(result)
        return tests

    def _check_missing(self, checked, check_outcome, observed, outcome) -> Message:
        if check_outcome is None:
            if outcome.limit_hit or "done" not in observed.events:
                return missing_reason(observed.events, outcome, self.limits)
            return message(_("Your functions handed no file over to the check."))
        if check_outcome.limit_hit:
            return message(
                _("The check of the files your code wrote could not finish: {reason}"),
                reason=limit_message(check_outcome.limit_hit, self.check_limits),
            )
        if "done" not in checked.events:
            return message(_("The check of the files your code wrote stopped early."))
        return message(_("The check of the files your code wrote did not report this."))

    def _verdict(self, test: Test, records: dict, evidence: Evidence, missing) -> Verdict:
        """The engine's rules first (in the order of ``uses``), then the lab's judge."""
        for name, record in records.items():
            if record is None:
                return Verdict(False, missing(name))
            if record.state == "twice":
                return Verdict.fail(
                    _("This check was reported twice with different results: not counted.")
                )
            if record.state == "error" and is_checked(name):
                return Verdict.fail(
                    _("Checking the files your code wrote failed: {error}"),
                    error=_headline(record.error),
                )
            if record.state == "error":
                return Verdict.fail(_("Error when calling: {error}"), error=_headline(record.error))
        try:
            verdict = self.spec.judge(test.name, evidence, self.hidden)
        except Exception:  # a malformed observation must fail its test, not the grading
            return Verdict.fail(_("The result has an unexpected form and cannot be checked."))
        if not isinstance(verdict, Verdict):
            raise TypeError(f"judge({test.name!r}) returned {verdict!r}, not a Verdict")
        return verdict

    def _gate(
        self, test: Test, verdict: Verdict | None, verdicts: dict, *, final: bool
    ) -> Verdict | None:
        """Edge tests count once their core tests pass, claims once every core test does."""
        if verdict is None or test.kind == CORE or not verdict.passed:
            return verdict
        if test.kind == EDGE:
            required = test.requires
        else:
            required = tuple(t.name for t in self.spec.tests if t.kind == CORE)
        undecided = [name for name in required if verdicts.get(name) is None]
        if undecided and not final:
            return None
        failing = [
            name for name in required if verdicts.get(name) is None or not verdicts[name].passed
        ]
        if not failing:
            return verdict
        titles = [self.spec.test(name).title for name in failing]
        if test.kind == CLAIM:
            return Verdict.fail(
                _("Counts only when every main test passes (still failing: {tests})."),
                tests=_TitleList(titles),
            )
        return Verdict.fail(
            _("Correct on these cases, but counts only once these tests pass: {tests}."),
            tests=_TitleList(titles),
        )

    def _outcome(self, test: Test, verdict: Verdict, records: list) -> TestOutcome:
        durations = [r.duration_s for r in records if r is not None and r.duration_s is not None]
        titles = _titles(test)
        messages = _render(verdict.message)
        return TestOutcome(
            name=test.name,
            title=titles[settings.LANGUAGE_CODE],
            weight=float(test.weight),
            passed=verdict.passed,
            message=messages[settings.LANGUAGE_CODE],
            duration_s=round(sum(durations), 4) if durations else None,
            kind=test.kind,
            titles=titles,
            messages=messages,
            margin=verdict.margin,
        )


def _unchecked(name: str) -> str:
    """ "check:outputs" -> "outputs": an observation of the clean step by its own name."""
    return name[len(CHECK_PREFIX) :]


class _TitleList:
    """Test titles joined in the language being rendered."""

    def __init__(self, titles: list) -> None:
        self.titles = titles

    def __format__(self, spec: str) -> str:
        return ", ".join(f"«{title}»" for title in self.titles)


@functools.cache
def _titles(test: Test) -> dict[str, str]:
    """A test's title in every language (a test is immutable, its title constant)."""
    return _render(Message(test.title, {}))


def _render(msg: Message, limit: int = MAX_TEST_MESSAGE) -> dict[str, str]:
    return {code: clean_text(text, limit=limit) for code, text in msg.render_all().items()}


def missing_reason(events: dict, outcome: SandboxOutcome, limits: Limits) -> Message:
    if outcome.limit_hit == "violation":
        return limit_message("violation", limits)
    if "import_error" in events:
        return message(
            _("The solution could not be imported: {error}"),
            error=_headline(events["import_error"].get("error", "")),
        )
    if outcome.limit_hit and outcome.limit_hit != "output":
        return message(_("Not checked: {reason}"), reason=limit_message(outcome.limit_hit, limits))
    if "done" not in events:
        return message(_("Not checked: the program ended before the checks were done."))
    return message(_("Not checked."))


def overall_status(events: dict, outcome: SandboxOutcome, limits: Limits) -> tuple[str, Message]:
    if outcome.limit_hit == "violation":
        return Status.FAILED, limit_message("violation", limits)
    if outcome.limit_hit == "wall":
        return Status.TIMED_OUT, limit_message("wall", limits)
    if "import_error" in events:
        return Status.FAILED, message(
            _("The solution could not be imported: {error}"),
            error=_headline(events["import_error"].get("error", "")),
        )
    if outcome.limit_hit and outcome.limit_hit != "output":
        return Status.FAILED, limit_message(outcome.limit_hit, limits)
    if "done" not in events:
        return Status.FAILED, message(_("The program ended before the checks were done."))
    if outcome.limit_hit == "output":
        return Status.DONE, limit_message("output", limits)
    return Status.DONE, message(_("Check complete."))


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*: .+")
_LOCATION_LINE = re.compile(r'File "(?:[^"]*/)?solution\.py", line (\d+)')


def _headline(text: str) -> Message:
    """The headline of an exception text: "Type: message", with the solution's line number
    when the text names one (a syntax error)."""
    text = clean_text(text)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    headline = next((line for line in lines if _EXCEPTION_LINE.match(line)), None)
    headline = (headline or (lines[-1] if lines else text))[:300]
    location = _LOCATION_LINE.search(text)
    if location:
        return message(
            _("{headline} (solution.py, line {line})"), headline=headline, line=location.group(1)
        )
    return message(_("{headline}"), headline=headline)


__all__ = [
    "CLAIM",
    "CORE",
    "EDGE",
    "JOB",
    "SOURCE",
    "GradeResult",
    "Status",
    "TestOutcome",
    "grade_source",
]
