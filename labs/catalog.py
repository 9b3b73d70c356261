"""The lab catalogue on disk: one folder per lab under labs/catalog/<slug>/.

A lab folder holds:
- ``lab.toml``: title, the course and exam ticket it comes from, the device it needs, the
  lab environment its jobs run in (``environment``: a name of settings.LAB_ENVIRONMENTS, whose
  warm interpreter has that environment's packages imported; "torch" when absent), its
  limits, and ``judge_version`` (an integer, 1 if absent): raise it whenever a change to the
  judge or probe changes what a stored submission deserves, so that `manage.py regrade` can
  re-run the submissions graded by an older version;
- ``statement.md``: what the learner reads (the ticket's task, the contract of
  shared/specs/labs.md, the limits and every threshold the judge applies);
- ``solution.py``: the starter file learners begin from;
- ``probe.py``: runs inside the sandbox next to the submission and records observations;
- ``check.py`` (optional): grader code that a second, clean sandbox runs over the files the
  probe handed off (ONNX exports, state_dicts), with no learner code;
- ``judge.py``: trusted, runs in the worker, draws the inputs and decides each test; the
  contract of probe, check and judge is in labs/grader_api.py, and a judge that breaks it is
  refused here (a CatalogError names the folder and the rule);
- ``reference.py``: a solution that scores 100%; ``wrong/*.py``: solutions that must fail the
  tests named in their first line (``# expect-fail: test_a, test_b``). Neither is shown to
  learners; the tests grade both through the real sandbox.
"""

from __future__ import annotations

import hashlib
import importlib.util
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType

from django.conf import settings

from labs.grader_api import JudgeSpec, LabDefinitionError, Test, validate_judge
from labs.interface import Declaration, validate_interface

DEVICES = ("cpu", "gpu")
DEFAULT_ENVIRONMENT = "torch"
# The limits a lab may set (the sandbox's Limits fields); grading turns them into Limits.
LIMIT_NAMES = frozenset(
    {"wall_s", "cpu_s", "memory_mb", "processes", "file_size_mb", "open_files", "output_bytes",
     "tmp_mb", "channel_bytes", "artifact_bytes", "gpu_memory_mb"}
)  # fmt: skip


class CatalogError(Exception):
    """A lab folder that cannot be used; the message names the folder and the problem."""


@dataclass(frozen=True)
class LabSpec:
    slug: str
    title: str
    course_slug: str
    ticket: int
    device: str
    folder: Path
    limits: dict[str, float] = field(default_factory=dict)
    topics: tuple[str, ...] = ()  # topic slugs of seeds/topic_rules.toml
    judge_version: int = 1
    # How many draws the test suite grades the reference on: 25 for labs that only compute;
    # a lab that trains sets fewer (its margins come from `manage.py lab_margins` instead).
    test_draws: int = 25
    check_limits: dict[str, float] = field(default_factory=dict)  # the clean check step's
    # Which warm interpreter runs its jobs (both steps): a key of settings.LAB_ENVIRONMENTS.
    environment: str = DEFAULT_ENVIRONMENT

    @property
    def statement(self) -> str:
        return (self.folder / "statement.md").read_text(encoding="utf-8")

    @property
    def starter_code(self) -> str:
        return (self.folder / "solution.py").read_text(encoding="utf-8")

    @property
    def probe_source(self) -> bytes:
        return (self.folder / "probe.py").read_bytes()

    @property
    def check_source(self) -> bytes:
        return (self.folder / "check.py").read_bytes()

    @cached_property
    def judge(self) -> ModuleType:
        return _import_file(f"lab_judge_{self.slug.replace('-', '_')}", self.folder / "judge.py")

    @cached_property
    def grader(self) -> JudgeSpec:
        try:
            module = self.judge
        except Exception as error:  # any failure to load it refuses the lab, with its reason
            raise CatalogError(
                f"labs/catalog/{self.slug}/judge.py cannot be loaded: "
                f"{type(error).__name__}: {error}"
            ) from None
        try:
            return validate_judge(module, has_check=(self.folder / "check.py").exists())
        except LabDefinitionError as error:
            raise CatalogError(f"labs/catalog/{self.slug}/judge.py: {error}") from None

    @cached_property
    def interface(self) -> tuple[Declaration, ...]:
        """The names the submission must define (the judge's INTERFACE, labs/interface.py)."""
        try:
            return validate_interface(getattr(self.grader.module, "INTERFACE", ()))
        except LabDefinitionError as error:
            raise CatalogError(f"labs/catalog/{self.slug}/judge.py: {error}") from None

    @property
    def tests(self) -> list[Test]:
        return list(self.grader.tests)

    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(self.folder)).encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()


def catalog_dir() -> Path:
    return Path(settings.LAB_CATALOG_DIR)


def load_catalog(directory: Path | None = None) -> list[LabSpec]:
    directory = directory or catalog_dir()
    return [
        load_lab_folder(folder)
        for folder in sorted(directory.iterdir())
        if folder.is_dir() and (folder / "lab.toml").exists()
    ]


def load_lab(slug: str, directory: Path | None = None) -> LabSpec:
    folder = (directory or catalog_dir()) / slug
    if not (folder / "lab.toml").exists():
        raise CatalogError(f"no lab {slug!r} in {folder.parent}")
    return load_lab_folder(folder)


def load_lab_folder(folder: Path) -> LabSpec:
    where = f"labs/catalog/{folder.name}"
    try:
        data = tomllib.loads((folder / "lab.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"{where}/lab.toml: {error}") from None
    for required in ("title", "course", "ticket", "device"):
        if required not in data:
            raise CatalogError(f"{where}/lab.toml: {required!r} is missing")
    if data["device"] not in DEVICES:
        raise CatalogError(f"{where}/lab.toml: device must be one of {DEVICES}")
    environment = data.get("environment", DEFAULT_ENVIRONMENT)
    if environment not in settings.LAB_ENVIRONMENTS:
        raise CatalogError(
            f"{where}/lab.toml: environment must be one of {sorted(settings.LAB_ENVIRONMENTS)}, "
            f"not {environment!r}"
        )
    limits = _limits(data, "limits", where)
    check_limits = _limits(data, "check_limits", where)
    judge_version = data.get("judge_version", 1)
    if type(judge_version) is not int or judge_version < 1:
        raise CatalogError(f"{where}/lab.toml: judge_version must be a positive integer")
    test_draws = data.get("test_draws", 25)
    if type(test_draws) is not int or test_draws < 1:
        raise CatalogError(f"{where}/lab.toml: test_draws must be a positive integer")
    for name in ("statement.md", "solution.py", "probe.py", "judge.py", "reference.py"):
        if not (folder / name).exists():
            raise CatalogError(f"{where}: {name} is missing")
    spec = LabSpec(
        slug=folder.name,
        title=data["title"],
        course_slug=data["course"],
        ticket=int(data["ticket"]),
        device=data["device"],
        limits=limits,
        folder=folder,
        topics=tuple(data.get("topics", ())),
        judge_version=judge_version,
        test_draws=test_draws,
        check_limits=check_limits,
        environment=environment,
    )
    spec.grader  # noqa: B018 - a judge that breaks the grading contract is refused at load
    spec.interface  # noqa: B018 - and so is a malformed INTERFACE
    return spec


def _limits(data: dict, table: str, where: str) -> dict[str, float]:
    limits = data.get(table, {})
    unknown = set(limits) - LIMIT_NAMES
    if unknown:
        raise CatalogError(f"{where}/lab.toml: unknown {table} {sorted(unknown)}")
    bad = [
        name for name, value in limits.items() if not isinstance(value, int | float) or value <= 0
    ]
    if bad:
        raise CatalogError(f"{where}/lab.toml: {table} must be positive numbers: {bad}")
    return limits


def _import_file(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
