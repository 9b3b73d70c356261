"""The API of a lab's grader: what ``labs/catalog/<slug>/`` holds and how its trusted half judges.

A lab is graded in up to two sandboxed steps and one trusted step:

1. **Run** (sandbox, learner code): the runner imports the learner's ``solution`` and calls the
   lab's ``probe.py``, which feeds the learner's functions the inputs drawn for this job and
   records what comes back as *observations*: plain data only (numbers, strings, lists, dicts,
   numeric NumPy arrays or tensors, which travel as ``.npy`` files). The probe runs in the
   learner's process, so every observation is a claim by learner code: it may be forged.
2. **Check** (optional, sandbox, grader code only): when the lab has a ``check.py``, the files
   the probe handed off (``observe.handoff(name)``: an ONNX export, a state_dict) are opened and
   run by ``check.py`` in a second, fresh sandbox where no learner code runs and no learner
   module can be imported, on inputs that never entered the first step.
3. **Judge** (the worker, trusted): ``judge.py`` draws each job's inputs, keeps the expected
   values to itself, and decides each test from evidence: observations, the clean check's
   results, the submission's source (read here, never in the sandbox) and the job's CPU and wall
   time as the sandbox's supervisor measured them (never a clock read inside the job).

The trust rules of shared/specs/labs.md are built in. Each test declares its *kind*:

- ``CORE``: outputs for inputs drawn per job, compared with expected values computed here.
  No constant, stub or claim can pass one. Core tests weigh at least half of the lab.
- ``EDGE``: outputs on cases whose answer is easy to guess (identical boxes, zeros, an empty
  batch), or a trusted measurement that a do-nothing submission also meets (a time budget). It
  names the core tests it ``requires`` and counts only once they pass, so a stub that returns
  0 everywhere earns nothing from "disjoint boxes give 0".
- ``CLAIM``: what evidence cannot confirm, only assert: a type name, a static rule on the
  source, a structure. Claims together weigh at most a fifth of the lab and count only when
  every core test passes.

The engine refuses a lab whose tests break these rules (``validate_judge``), fails a test
whose evidence is missing, an error, or reported twice before the judge sees it, and applies
the gating itself: a judge only ever says whether evidence matches what it expected.

Messages are translatable: titles and verdict texts are ``gettext_lazy`` strings with
``{placeholders}`` filled from keyword arguments; learner data goes only into the arguments.
The engine renders each message in every language of ``settings.LANGUAGES``.

Worked example (a lab whose learner writes ``double(x: Tensor) -> Tensor``)::

    # judge.py (trusted; runs in the worker)
    import numpy as np
    from django.utils.translation import gettext_lazy as _
    from labs.grader_api import CLAIM, CORE, EDGE, SOURCE, Prepared, Test, Verdict

    TESTS = [
        Test("doubles", 3, _("Doubles values"), CORE, uses=("outputs",)),
        Test("zeros", 1, _("Zeros stay zeros"), EDGE, uses=("outputs",), requires=("doubles",)),
        Test("no_loops", 1, _("No Python loops"), CLAIM, uses=(SOURCE,)),
    ]

    def prepare(draw):
        x = draw.public_np.normal(size=(50,)).astype(np.float32)
        x[draw.public.sample(range(50), 5)] = 0       # easy cases hidden among the others
        return Prepared(inputs={"x": x}, hidden={"x": x, "zeros": x == 0})

    def judge(test, evidence, hidden):
        if test == "no_loops":
            loops = evidence.source.python_loops("double")
            return Verdict.ok() if not loops else Verdict.fail(_("A loop: {what}."), what=loops[0])
        seen = np.asarray(evidence["outputs"], dtype=np.float64)
        want = 2.0 * hidden["x"].astype(np.float64)
        cells = hidden["zeros"] if test == "zeros" else ~hidden["zeros"]
        if seen.shape != want.shape or not np.allclose(seen[cells], want[cells], atol=1e-6):
            return Verdict.fail(_("Values differ from the expected ones."))
        return Verdict.ok()

    # probe.py (runs inside the sandbox, next to the learner's code; no Django)
    import torch

    def run(solution, observe, inputs):
        with observe("outputs") as seen:   # an exception in learner code is recorded, not raised
            seen.value = solution.double(torch.from_numpy(inputs["x"]))

Expected values that take a while to compute can be started in ``prepare`` with
``in_background(function, *args)`` and read with ``.result()`` in ``judge``: they are then
computed while the sandbox runs. On the probe's side, ``observe.handoff(name)`` gives a path
for a file that ``check.py`` will get; an observation's value may be any plain data (numbers,
strings, lists, dicts with string keys, numeric NumPy arrays and tensors); anything else is
recorded as the observation's error, never passed on.

A judge should also declare ``INTERFACE`` (labs/interface.py): the functions and classes of
the lab's contract and how the probe calls them. The engine checks the submission's source
against it outside the sandbox and names, in the learner's language, what is missing or cannot
take the call ("The solution has no function iou_matrix(a, b).") instead of a traceback.

A judge may also define ``figures(evidence) -> list[Figure]``: pictures for the result page,
each a uint8 array (H, W) or (H, W, 3) taken from the evidence (a learner's reconstruction grid,
say) with a file name and a translatable title. The engine writes the PNG itself
(grading/figures.py), so the page never serves bytes that learner code wrote; a figure the
evidence cannot make is left out.

A lab folder also holds ``lab.toml``, ``statement.md`` (every test, weight and tolerance, in
Russian), the starter ``solution.py``, ``reference.py`` (scores 1.0 on every draw) and
``wrong/*.py`` (each starts with ``# expect-fail: test, ...``, and a do-nothing one with
``# expect-score: 0`` on the next line); the catalogue tests grade them, and also grade
do-nothing versions of the starter, which must score exactly 0. With a ``check.py``
(``run(observe, inputs, handoff)``), ``Prepared``'s ``check_inputs`` go to the clean step
only, and tests read its observations as ``"check:<name>"``.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import os
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

CORE = "core"
EDGE = "edge"
CLAIM = "claim"
KINDS = (CORE, EDGE, CLAIM)
SOURCE = "source"  # evidence: the submission's source, parsed here
JOB = "job"  # evidence: the learner's job as the supervisor measured it
CHECK_PREFIX = "check:"  # evidence from the clean second step: "check:<name>"
MAX_CLAIM_SHARE = 0.2
MIN_CORE_SHARE = 0.5


class LabDefinitionError(Exception):
    """A lab's grader breaks the contract of this module; the message says how."""


# --- messages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """A translatable text and the values of its ``{placeholders}``.

    ``text`` is a ``gettext_lazy`` (or ``ngettext_lazy`` with a named number) string; params
    may be numbers, plain strings, lists or other ``Message`` objects (rendered first)."""

    text: Any
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        """The message in the active language."""
        params = {
            key: value.render() if isinstance(value, Message) else value
            for key, value in self.params.items()
        }
        return str(self.text.format(**params))

    def render_all(self) -> dict[str, str]:
        """The message in every language of the site, by language code."""
        rendered = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                rendered[code] = self.render()
        return rendered


def message(text: Any, **params: Any) -> Message:
    return Message(text, params)


@dataclass(frozen=True)
class Verdict:
    """A test's outcome. ``margin`` (optional, never shown to learners) is how far the measured
    value was from the test's threshold, in the test's own unit, positive when it passes
    (accuracy 0.62 against a bar of 0.40: 0.22); ``manage.py lab_margins`` reports the worst
    margin per test over many draws, which is how thresholds are chosen from measurements."""

    passed: bool
    message: Message
    margin: float | None = None

    def with_margin(self, margin: float) -> Verdict:
        return Verdict(self.passed, self.message, float(margin))

    @classmethod
    def ok(cls, text: Any = None, **params: Any) -> Verdict:
        return cls(True, Message(text if text is not None else _("Correct."), params))

    @classmethod
    def fail(cls, text: Any, **params: Any) -> Verdict:
        return cls(False, Message(text, params))


# --- tests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Test:
    """One graded test. ``kind`` and ``uses`` have no defaults: every test says what kind of
    evidence earns it. ``uses`` names probe observations, ``"check:<name>"`` observations of
    the clean step, ``SOURCE`` and ``JOB``; ``requires`` (EDGE only) names core tests."""

    name: str
    weight: float
    title: Any
    kind: str
    uses: tuple[str, ...]
    requires: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "uses", tuple(self.uses))
        object.__setattr__(self, "requires", tuple(self.requires))

    @property
    def observations(self) -> tuple[str, ...]:
        """The observations (probe or clean-check) this test reads."""
        return tuple(name for name in self.uses if name not in (SOURCE, JOB))


def validate_tests(tests: list[Test]) -> None:
    """Refuse tests that would let a grade be claimed rather than earned."""
    if not tests:
        raise LabDefinitionError("TESTS is empty")
    names = [test.name for test in tests]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise LabDefinitionError(f"test names used twice: {duplicates}")
    core = {test.name for test in tests if test.kind == CORE}
    for test in tests:
        where = f"test {test.name!r}"
        if not isinstance(test, Test):
            raise LabDefinitionError(f"{where}: not a labs.grader_api.Test")
        if test.kind not in KINDS:
            raise LabDefinitionError(f"{where}: kind must be one of {KINDS}, not {test.kind!r}")
        if not (isinstance(test.weight, int | float) and test.weight > 0):
            raise LabDefinitionError(f"{where}: weight must be a positive number")
        if not test.uses:
            raise LabDefinitionError(f"{where}: 'uses' must name the evidence it is judged on")
        if test.kind == CORE:
            if not test.observations:
                raise LabDefinitionError(
                    f"{where}: a core test must be judged on observations compared with "
                    "expected values, not on the source or the job's measurements alone"
                )
            if test.requires:
                raise LabDefinitionError(f"{where}: a core test requires nothing")
        elif test.kind == EDGE:
            if not test.requires:
                raise LabDefinitionError(
                    f"{where}: an edge test must name the core tests it counts after "
                    "('requires'), so that a do-nothing submission cannot earn it"
                )
            not_core = [name for name in test.requires if name not in core]
            if not_core:
                raise LabDefinitionError(f"{where}: requires non-core tests {not_core}")
        elif test.requires:
            raise LabDefinitionError(
                f"{where}: a claim always counts after every core test; drop 'requires'"
            )
    total = sum(test.weight for test in tests)
    claims = sum(test.weight for test in tests if test.kind == CLAIM)
    core_weight = sum(test.weight for test in tests if test.kind == CORE)
    if not core:
        raise LabDefinitionError("a lab needs at least one core test")
    if claims > MAX_CLAIM_SHARE * total + 1e-9:
        raise LabDefinitionError(
            f"claim tests weigh {claims:g} of {total:g}; at most a fifth is allowed"
        )
    if core_weight < MIN_CORE_SHARE * total - 1e-9:
        raise LabDefinitionError(
            f"core tests weigh {core_weight:g} of {total:g}; at least half is required"
        )


@dataclass(frozen=True)
class Figure:
    """A picture for the result page: ``image`` is a uint8 array (H, W) or (H, W, 3), ``name``
    the file name it is stored under ("reconstructions.png"), ``title`` its translatable
    caption (also the image's alt text)."""

    name: str
    image: np.ndarray
    title: Any


@dataclass(frozen=True)
class JudgeSpec:
    """A validated judge module."""

    module: ModuleType
    tests: tuple[Test, ...]
    prepare: Callable[[Draw], Prepared]
    judge: Callable[[str, Evidence, Any], Verdict]
    has_check: bool
    figures: Callable[[Evidence], list[Figure]] | None = None

    def test(self, name: str) -> Test:
        return next(test for test in self.tests if test.name == name)


def validate_judge(module: ModuleType, *, has_check: bool) -> JudgeSpec:
    """Check a judge module against this contract and return what the engine uses."""
    for old in ("make_inputs", "static_checks"):
        if hasattr(module, old):
            raise LabDefinitionError(
                f"defines {old}(): that contract is gone (it let the sandbox see what the judge "
                "compares); write prepare(draw) and judge(test, evidence, hidden) instead"
            )
    for name in ("TESTS", "prepare", "judge"):
        if not hasattr(module, name):
            raise LabDefinitionError(f"{name} is missing (see labs/grader_api.py)")
    tests = list(module.TESTS)
    validate_tests(tests)
    figures = getattr(module, "figures", None)
    if figures is not None and not callable(figures):
        raise LabDefinitionError("figures must be a function: figures(evidence) -> list[Figure]")
    checked = [name for test in tests for name in test.observations if is_checked(name)]
    if checked and not has_check:
        raise LabDefinitionError(f"tests read {checked} but the lab has no check.py")
    return JudgeSpec(
        module=module,
        tests=tuple(tests),
        prepare=module.prepare,
        judge=module.judge,
        has_check=has_check,
        figures=figures,
    )


def is_checked(observation: str) -> bool:
    return observation.startswith(CHECK_PREFIX)


# --- inputs --------------------------------------------------------------------------------


class Draw:
    """The randomness of one job. ``public``/``public_np`` draw what enters the learner's
    sandbox; ``secret``/``secret_np`` draw what must stay outside it (hidden test inputs,
    models' weights whose outputs only the judge knows, samples). The two streams come from
    the job's seed through SHA-256, so recovering one stream's state from the inputs the
    learner sees tells nothing about the other."""

    def __init__(self, seed: int | None = None) -> None:
        root = seed if seed is not None else random.SystemRandom().getrandbits(128)
        self.public = random.Random(_derive(root, "public"))  # noqa: S311 - seeded, not crypto
        self.secret = random.Random(_derive(root, "secret"))  # noqa: S311
        self.public_np = np.random.default_rng(_derive(root, "public-np"))
        self.secret_np = np.random.default_rng(_derive(root, "secret-np"))


def _derive(root: int, label: str) -> int:
    digest = hashlib.sha256(f"{root}:{label}".encode()).digest()
    return int.from_bytes(digest[:16], "big")


@dataclass
class Prepared:
    """What ``prepare(draw)`` returns. ``inputs`` enter the learner's sandbox (JSON values and
    numeric NumPy arrays, which travel as ``.npy``): questions, never answers. ``hidden``
    stays in the worker and reaches ``judge``. ``check_inputs`` enter only the clean step."""

    inputs: dict[str, Any]
    hidden: Any = None
    check_inputs: dict[str, Any] = field(default_factory=dict)


_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def in_background(function: Callable[..., Any], *args: Any) -> Future:
    """Start ``function(*args)`` on a thread of this process and return its future.

    For expected values that take a while (a large matrix): started in ``prepare`` and read
    (``.result()``) in ``judge``, they are computed while the sandbox runs the learner's code
    instead of after it. NumPy releases the GIL for array work, so this overlaps for real."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():  # a forked process needs its own threads
            _pool = (os.getpid(), ThreadPoolExecutor(max_workers=2, thread_name_prefix="judge"))
        return _pool[1].submit(function, *args)


# --- evidence ------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobFacts:
    """The learner's job as the sandbox's supervisor saw it (trusted)."""

    cpu_s: float | None  # CPU time of every process of the job (cgroup accounting)
    wall_s: float  # from handing the job to its init until the init ended
    memory_peak_mb: float | None
    limit_hit: str | None


@dataclass
class Evidence:
    """What a judge decides on. ``evidence["name"]`` is a probe observation, and
    ``evidence["check:name"]`` one of the clean step; both are plain data (lists, dicts,
    numbers, strings, NumPy arrays) and are present, since the engine fails a test whose
    evidence is missing or an error before calling the judge."""

    observed: dict[str, Any]
    checked: dict[str, Any]
    job: JobFacts | None
    source: Source

    def __getitem__(self, name: str) -> Any:
        if is_checked(name):
            return self.checked[name[len(CHECK_PREFIX) :]]
        return self.observed[name]

    def __contains__(self, name: str) -> bool:
        if is_checked(name):
            return name[len(CHECK_PREFIX) :] in self.checked
        return name in self.observed


# --- the submission's source, read outside the sandbox --------------------------------------

# Calls that iterate in Python over the elements they are given.
ITERATING_CALLS = frozenset(
    {"map", "filter", "reduce", "starmap", "accumulate", "vectorize", "frompyfunc",
     "apply_along_axis", "apply_over_axes", "fromiter", "apply_", "map_", "map2_"}
)  # fmt: skip
# Ways to run or rebind code that the source does not show.
DYNAMIC_NAMES = frozenset(
    {"exec", "eval", "compile", "globals", "vars", "locals", "__import__", "setattr",
     "delattr", "__builtins__"}
)  # fmt: skip
DYNAMIC_ATTRIBUTES = frozenset(
    {"__dict__", "__code__", "__globals__", "__builtins__", "modules", "__setattr__",
     "import_module", "FunctionType", "CodeType"}
)  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """Something found in the source: where and what."""

    function: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.what} ({self.function}, line {self.line})"


class Source:
    """The submission's Python source, parsed in the worker (trusted)."""

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            self.tree: ast.Module | None = ast.parse(text)
        except (SyntaxError, ValueError):
            self.tree = None
        self._walks: dict[int, list[ast.AST]] = {}
        self._loops: dict[str, list[Finding]] = {}
        self._bindings_cache: dict[str, list[ast.AST]] | None = None

    def _walk(self, node: ast.AST) -> list[ast.AST]:
        """``ast.walk(node)`` as a list, computed once per node."""
        nodes = self._walks.get(id(node))
        if nodes is None:
            nodes = self._walks[id(node)] = list(ast.walk(node))
        return nodes

    # Module-level bindings (function and class definitions, assignments, imports), wherever
    # they sit at module level (inside if/try/with/for blocks too).
    def _bindings(self) -> dict[str, list[ast.AST]]:
        if self._bindings_cache is None:
            self._bindings_cache = self._find_bindings()
        return self._bindings_cache

    def _find_bindings(self) -> dict[str, list[ast.AST]]:
        bindings: dict[str, list[ast.AST]] = {}

        def visit(statements: Iterable[ast.stmt]) -> None:
            for node in statements:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    bindings.setdefault(node.name, []).append(node)
                elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        for name in self._walk(target):
                            if isinstance(name, ast.Name) and node.value is not None:
                                bindings.setdefault(name.id, []).append(node.value)
                elif isinstance(node, ast.Import | ast.ImportFrom):
                    for alias in node.names:
                        bound = alias.asname or alias.name.split(".")[0]
                        bindings.setdefault(bound, []).append(node)
                for block in ("body", "orelse", "finalbody", "handlers"):
                    children = getattr(node, block, None)
                    if isinstance(children, list) and not isinstance(
                        node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                    ):
                        visit(child for child in children if isinstance(child, ast.stmt))
                        for handler in children:
                            if isinstance(handler, ast.ExceptHandler):
                                visit(handler.body)

        if self.tree is not None:
            visit(self.tree.body)
        return bindings

    def defines(self, name: str) -> bool:
        return name in self._bindings()

    def reachable(self, name: str) -> tuple[list[tuple[str, ast.AST]], list[Finding]]:
        """The code that a call of the module-level ``name`` may run, as far as the source
        shows it: (name, node) for each function, lambda or class body reached through names
        (helpers, aliases, decorators, classes and their methods, methods called as
        attributes), plus findings for what cannot be followed (exec, eval, globals(),
        setattr, sys.modules, a ``global`` rebinding)."""
        bindings = self._bindings()
        methods: dict[str, list[tuple[str, ast.AST]]] = {}
        for nodes in bindings.values():
            for node in nodes:
                if isinstance(node, ast.ClassDef):
                    for item in node.body:
                        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                            methods.setdefault(item.name, []).append(
                                (f"{node.name}.{item.name}", item)
                            )
        reached: list[tuple[str, ast.AST]] = []
        seen: set[int] = set()
        dynamic: list[Finding] = []
        queue: list[tuple[str, ast.AST]] = [(name, node) for node in bindings.get(name, [])]
        while queue:
            label, node = queue.pop()
            if id(node) in seen or isinstance(node, ast.Import | ast.ImportFrom):
                continue
            seen.add(id(node))
            if isinstance(node, ast.ClassDef):
                queue.extend(
                    (f"{node.name}.{item.name}", item)
                    for item in node.body
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                )
                continue
            reached.append((label, node))
            for inner in self._walk(node):
                if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load):
                    queue.extend((inner.id, bound) for bound in bindings.get(inner.id, []))
                elif isinstance(inner, ast.Attribute):
                    queue.extend(methods.get(inner.attr, []))
        # What can run or rebind code unseen, anywhere in the module (globals()['f'] = ...,
        # setattr(sys.modules[__name__], ...), exec), and `global` rebinding of reached names.
        reached_names = {label.rsplit(".", 1)[-1] for label, _node in reached} | {name}
        for node in self._walk(self.tree) if self.tree is not None else ():
            if isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES:
                dynamic.append(Finding("<module>", node.lineno, node.id))
            elif isinstance(node, ast.Attribute) and node.attr in DYNAMIC_ATTRIBUTES:
                dynamic.append(Finding("<module>", node.lineno, node.attr))
            elif isinstance(node, ast.Global | ast.Nonlocal):
                rebound = sorted(set(node.names) & reached_names)
                if rebound:
                    dynamic.append(Finding("<module>", node.lineno, "global " + ", ".join(rebound)))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                # Code from a module that is no installed library (one the solution writes at
                # run time, say) is code the source does not show.
                for module in _imported_modules(node):
                    if not _installed(module):
                        dynamic.append(Finding("<module>", node.lineno, f"import {module}"))
        return reached, dynamic

    def python_loops(self, name: str) -> list[Finding]:
        """Python-level iteration in the code a call of ``name`` may run: for/while loops,
        comprehensions, iterating calls (map, filter, np.vectorize, Tensor.apply_...),
        recursion, and anything the source cannot show (exec, globals(), setattr...), which
        is reported as a finding too. A missing function is a finding."""
        if name not in self._loops:
            self._loops[name] = self._python_loops(name)
        return list(self._loops[name])

    def _python_loops(self, name: str) -> list[Finding]:
        if self.tree is None:
            return [Finding(name, 0, "syntax error")]
        reached, dynamic = self.reachable(name)
        if not self.defines(name):
            return sorted(set(dynamic), key=lambda f: f.line) or [Finding(name, 0, "not defined")]
        found: list[Finding] = []
        labels = {label for label, _node in reached}
        for label, node in reached:
            for inner in self._walk(node):
                kind = _loop_kind(inner)
                if kind:
                    found.append(Finding(label, getattr(inner, "lineno", 0), kind))
                elif isinstance(inner, ast.Call):
                    called = _called_name(inner.func)
                    if called in ITERATING_CALLS:
                        found.append(Finding(label, inner.lineno, called + "()"))
        found.extend(dynamic)
        recursive = _recursive_labels(reached, labels, self._walk)
        found.extend(Finding(label, line, "recursion") for label, line in recursive)
        return sorted(set(found), key=lambda finding: (finding.line, finding.what))


def _imported_modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return ["." * node.level + (node.module or "")] if node.level else [node.module or ""]
    return [alias.name for alias in node.names]


@functools.cache
def _installed(module: str) -> bool:
    """Whether the top-level package of ``module`` is installed here (found, not imported)."""
    top = module.split(".")[0]
    if not top or module.startswith("."):
        return False
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _loop_kind(node: ast.AST) -> str | None:
    if isinstance(node, ast.For | ast.AsyncFor):
        return "for"
    if isinstance(node, ast.While):
        return "while"
    if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
        return "comprehension"
    return None


def _called_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _recursive_labels(
    reached: list[tuple[str, ast.AST]], labels: set[str], walk: Callable[[ast.AST], list]
) -> list:
    """Functions that call themselves, directly or through other reached functions."""
    calls: dict[str, set[str]] = {}
    lines: dict[str, int] = {}
    for label, node in reached:
        short = label.rsplit(".", 1)[-1]
        lines[short] = getattr(node, "lineno", 0)
        targets = calls.setdefault(short, set())
        for inner in walk(node):
            if isinstance(inner, ast.Call):
                called = _called_name(inner.func)
                if called:
                    targets.add(called)
    short_labels = {label.rsplit(".", 1)[-1] for label in labels}
    found = []
    for start in calls:
        stack, visited = list(calls[start] & short_labels), set()
        while stack:
            current = stack.pop()
            if current == start:
                found.append((start, lines.get(start, 0)))
                break
            if current in visited:
                continue
            visited.add(current)
            stack.extend(calls.get(current, set()) & short_labels)
    return found
