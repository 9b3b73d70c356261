"""The worker's dataset store (``settings.DATASET_DIR``): install, generate, report.

Grading jobs see the store read-only at /datasets (grading/lab_mounts.py) and read it with
labkit (labs/labkit/datasets.py, which fixes the layout). This module is the trusted side:
it never runs in a job, and the web process never imports it (numpy and torchvision are
imported only by the functions that need them).

- ``install_published(source, store)``: the real sets from files an admin copied into
  ``source``, each checked against its published checksum. torchvision's MNIST, FashionMNIST
  and CIFAR10 classes carry the md5 of every file they download; the table is read from the
  installed torchvision, not retyped. scikit-learn publishes no checksum of its bundled files
  apart from its wheels' RECORD: the sha256 of those files in the wheels of scikit-learn 1.3.2,
  1.6.1 and 1.9.1 is pinned below (copied from the RECORD files), and the installed
  scikit-learn's own RECORD is trusted too when there is one.
- ``generate(store, seed)``: generated stand-ins of the same layout (labs/synthetic_datasets.py).
- ``status(store)``: what is present, where from, and whether jobs can read it.

The store also holds its *run view*, ``RUN_VIEW_DIR`` at its top: the same layout, made of hard
links to every file of the sets except the held-out ones (``held_out_files``: the test split of
MNIST, Fashion-MNIST and CIFAR-10, whose images the judges draw and whose labels they judge
against on the trusted side). The step of a grading job that runs learner code sees the view at
/datasets, the clean check step (grader code only) the whole store (grading/lab_mounts.py). Only
the files of each set's layout (and their published ``.gz`` twins) enter the view: not the
manifests, nor anything else a store may hold. scikit-learn's sets have no split files (their
test rows are in the same file), so they are whole in the view: their judges split them with a
fixed ``random_state``, which learner code could repeat. Every run rebuilds the view under the
lock after moving sets in, and ``ensure_run_view`` rebuilds a missing or stale one (a store
provisioned before the view existed, or changed by hand): it is stale unless it holds exactly
the right files, each the very inode of the store's file.

Every run is all or nothing: the sets are built in a staging directory inside the store (the
same file system, so a rename is atomic; a sibling of the store may be on another file system,
a volume's mount point for one), read back with labkit's own readers, and only then moved in,
one rename per set (``renameat2(RENAME_EXCHANGE)`` where a set is replaced, so a job never
finds it absent). A file that fails its checksum or its format check stops the run before
anything is moved: the store is left exactly as it was. A lock file serialises runs.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import errno
import fcntl
import gzip
import hashlib
import json
import os
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from labs.labkit.datasets import (
    CIFAR_DIR,
    CIFAR_FILES,
    CIFAR_META,
    LAYOUTS,
    MANIFEST_NAME,
    MNIST_FILES,
    NAMES,
    RUN_VIEW_MARKER,
    DatasetError,
    held_out_files,
    read_arrays,
    read_cifar_batch,
)

LOCK_NAME = ".provision.lock"
STAGING_PREFIX = ".staging-"
RUN_VIEW_DIR = ".run-view"  # the store as learner code sees it: no held-out file
CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
# Rows of the published sets; a published file that parses but holds other counts is refused.
PUBLISHED_COUNTS = {
    "mnist": {"train": 60000, "test": 10000},
    "fashion_mnist": {"train": 60000, "test": 10000},
    "cifar10": {"train": 50000, "test": 10000},
    "breast_cancer": {"train": 427, "test": 142},
    "diabetes": {"train": 332, "test": 110},
    "digits": {"train": 1348, "test": 449},
}
# Where an admin's directory may hold each set: a torchvision data root, or a folder per set.
SOURCE_DIRS = {
    "mnist": ("MNIST/raw", "MNIST", "mnist"),
    "fashion_mnist": ("FashionMNIST/raw", "FashionMNIST", "fashion_mnist", "fashion-mnist"),
    "cifar10": ("", "cifar10", "cifar-10"),
}
SKLEARN_DIRS = ("sklearn/datasets/data", "sklearn", "scikit-learn", "")
SKLEARN_FILES = {
    "breast_cancer": ("breast_cancer.csv",),
    "diabetes": ("diabetes_data_raw.csv.gz", "diabetes_target.csv.gz"),
    "digits": ("digits.csv.gz",),
}
# sha256 of scikit-learn's bundled files as its wheels' RECORD lists them (urlsafe base64):
# 1.3.2 and 1.6.1 share every digest; 1.9.1 rewrote diabetes_data_raw.csv.gz (same values,
# shorter decimals).
SKLEARN_RECORD_SHA256 = {
    "breast_cancer.csv": ("_tPrctBXXvYZIpP1CTxugBsUdrV30Dhr9EVVBFIhcu0",),
    "diabetes_data_raw.csv.gz": (
        "o-lMx86gD4qE-l9jRSA5E6aO-kLfGPh935vq1yG_1QM",
        "f8De1XFFSxmCIQ07tD8KykTq4BoLhlSjskAivbazgAk",
    ),
    "diabetes_target.csv.gz": ("jlP2XrgR30PCBvNTS7OvDl_tITvDfta6NjEBV9YCOAM",),
    "digits.csv.gz": ("CfZubeve4s0rWuWeDWq7tz_CsOAYXS4ZV-nrtR4jqiI",),
}
RENAME_EXCHANGE = 2
AT_FDCWD = -100


class ProvisionError(Exception):
    """Nothing was changed; the message names every file at fault and why."""


@dataclass(frozen=True)
class Published:
    """The published checksum(s) of one file: any of ``digests`` (hex) is accepted."""

    algorithm: str  # "md5" or "sha256"
    digests: frozenset[str]


# "<set>/<file name as published>" -> Published
ChecksumTable = dict[str, Published]


def published_checksums() -> ChecksumTable:
    """The published checksums of every file ``install_published`` accepts."""
    from torchvision.datasets import CIFAR10, MNIST, FashionMNIST

    table: ChecksumTable = {}
    for name, dataset in (("mnist", MNIST), ("fashion_mnist", FashionMNIST)):
        for filename, md5 in dataset.resources:
            table[f"{name}/{filename}"] = Published("md5", frozenset({md5}))
    table[f"cifar10/{CIFAR10.filename}"] = Published("md5", frozenset({CIFAR10.tgz_md5}))
    for filename, md5 in [*CIFAR10.train_list, *CIFAR10.test_list]:
        table[f"cifar10/{filename}"] = Published("md5", frozenset({md5}))
    table[f"cifar10/{CIFAR10.meta['filename']}"] = Published(
        "md5", frozenset({CIFAR10.meta["md5"]})
    )
    installed = _installed_sklearn_digests()
    for name, files in SKLEARN_FILES.items():
        for filename in files:
            digests = {_record_to_hex(d) for d in SKLEARN_RECORD_SHA256[filename]}
            digests |= installed.get(filename, set())
            table[f"{name}/{filename}"] = Published("sha256", frozenset(digests))
    return table


def _record_to_hex(digest: str) -> str:
    return base64.urlsafe_b64decode(digest + "=" * (-len(digest) % 4)).hex()


def _installed_sklearn_digests() -> dict[str, set[str]]:
    from importlib import metadata

    try:
        files = metadata.distribution("scikit-learn").files or []
    except metadata.PackageNotFoundError:
        return {}
    found: dict[str, set[str]] = {}
    for path in files:
        in_data = path.parent.as_posix() == "sklearn/datasets/data"
        if in_data and path.hash is not None and path.hash.mode == "sha256":
            found.setdefault(path.name, set()).add(_record_to_hex(path.hash.value))
    return found


def file_digest(path: Path, algorithm: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, algorithm).hexdigest()


# --- reports --------------------------------------------------------------------------------


@dataclass
class SetStatus:
    name: str
    state: str  # "installed", "missing", "incomplete", "damaged"
    source: str = ""  # "published", "generated", or "" (not installed by this module)
    counts: dict[str, int] = field(default_factory=dict)
    size_bytes: int = 0
    installed_at: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass
class InstallReport:
    installed: list[str] = field(default_factory=list)  # set names, in order
    skipped: dict[str, str] = field(default_factory=dict)  # set name -> why


# --- installing the published sets --------------------------------------------------------


@dataclass
class _Found:
    """A set's files in the admin's directory: published name -> path."""

    name: str
    files: dict[str, Path]
    archive: bool = False  # CIFAR-10 as its published tar.gz


def install_published(
    source: Path,
    store: Path,
    names: Iterable[str] | None = None,
    checksums: ChecksumTable | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> InstallReport:
    """Install every set found in ``source`` (or those of ``names``) into ``store``.

    Raises ProvisionError, changing nothing, if a set is incomplete in ``source``, a file does
    not match its published checksum, or a set does not read back as the real set.
    """
    source = Path(source)
    if not source.is_dir():
        raise ProvisionError(f"{source}: not a directory; nothing was changed")
    wanted = _check_names(names)
    found, problems = _locate(source, wanted)
    report = InstallReport()
    for name in wanted:
        if name not in found:
            report.skipped[name] = "no files of it in the source directory"
    if not found and not problems:
        raise ProvisionError(
            f"{source}: no dataset files found (expected e.g. MNIST/raw/*.gz, "
            f"FashionMNIST/raw/*.gz, {CIFAR_ARCHIVE} or {CIFAR_DIR}/, sklearn/*.csv*); "
            "nothing was changed"
        )
    table = checksums if checksums is not None else published_checksums()
    for item in found.values():
        for filename, path in item.files.items():
            say(f"checking {path}")
            problem = _checksum_problem(table, item.name, filename, path)
            if problem:
                problems.append(f"{_shown(path, source)}: {problem}")
    if problems:
        raise ProvisionError(_refusal(problems))
    with _locked(store):
        with _staging(store) as staging:
            for item in found.values():
                say(f"unpacking {item.name}")
                try:
                    files = _unpack(item, staging, table)
                except ProvisionError as error:
                    problems.append(str(error))
                    continue
                problems += _read_back(item.name, staging, PUBLISHED_COUNTS[item.name])
                _write_manifest(item.name, staging, "published", files)
            if problems:
                raise ProvisionError(_refusal(problems))
            _move_in(list(found), staging, store)
        _refresh_run_view(store)
    report.installed = list(found)
    return report


def _check_names(names: Iterable[str] | None) -> list[str]:
    wanted = list(NAMES if names is None else names)
    unknown = [name for name in wanted if name not in LAYOUTS]
    if unknown:
        raise ProvisionError(f"unknown dataset(s): {', '.join(unknown)}; known: {', '.join(NAMES)}")
    return wanted


def _locate(source: Path, wanted: list[str]) -> tuple[dict[str, _Found], list[str]]:
    found: dict[str, _Found] = {}
    problems: list[str] = []
    for name in wanted:
        if name in ("mnist", "fashion_mnist"):
            names = [f"{f}.gz" for split in ("train", "test") for f in MNIST_FILES[split]]
            candidates = [source / d for d in SOURCE_DIRS[name]]
        elif name == "cifar10":
            archive = next(
                (source / d / CIFAR_ARCHIVE for d in SOURCE_DIRS[name]
                 if (source / d / CIFAR_ARCHIVE).is_file()),
                None,
            )  # fmt: skip
            if archive is not None:
                found[name] = _Found(name, {CIFAR_ARCHIVE: archive}, archive=True)
                continue
            names = [*CIFAR_FILES["train"], *CIFAR_FILES["test"], CIFAR_META]
            candidates = [source / d / CIFAR_DIR for d in SOURCE_DIRS[name]]
        else:
            names = list(SKLEARN_FILES[name])
            candidates = [source / d for d in SKLEARN_DIRS]
        for directory in candidates:
            present = {n: directory / n for n in names if (directory / n).is_file()}
            if not present:
                continue
            absent = [n for n in names if n not in present]
            if absent:
                problems.append(
                    f"{_shown(directory, source)}: {name} is incomplete, "
                    f"missing {', '.join(absent)}"
                )
            else:
                found[name] = _Found(name, present)
            break
    return found, problems


def _checksum_problem(table: ChecksumTable, name: str, filename: str, path: Path) -> str | None:
    published = table.get(f"{name}/{filename}")
    if published is None:
        return f"no published checksum is known for {name}/{filename}"
    try:
        digest = file_digest(path, published.algorithm)
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if digest in published.digests:
        return None
    expected = " or ".join(sorted(published.digests))
    return (
        f"{published.algorithm} is {digest}, the published {published.algorithm} is "
        f"{expected}: a corrupted or partial copy"
    )


def _unpack(item: _Found, staging: Path, table: ChecksumTable) -> list[str]:
    """Write the set's store files into ``staging``; return them relative to it."""
    layout = LAYOUTS[item.name]
    written: list[str] = []
    if item.name in ("mnist", "fashion_mnist"):
        raw = staging / layout.directory / "raw"
        raw.mkdir(parents=True)
        for filename, path in item.files.items():
            _copy(path, raw / filename)
            try:
                with gzip.open(path, "rb") as packed, open(raw / filename[:-3], "wb") as out:
                    shutil.copyfileobj(packed, out, 1 << 20)
            except (OSError, EOFError) as error:
                raise ProvisionError(f"{path}: cannot be unpacked ({error})") from None
            written += [
                f"{layout.directory}/raw/{filename}",
                f"{layout.directory}/raw/{filename[:-3]}",
            ]
    elif item.archive:
        written = _unpack_cifar_archive(item.files[CIFAR_ARCHIVE], staging, table)
    else:
        directory = staging / layout.directory
        directory.mkdir(parents=True)
        for filename, path in item.files.items():
            _copy(path, directory / filename)
            written.append(f"{layout.directory}/{filename}")
    return written


def _unpack_cifar_archive(archive: Path, staging: Path, table: ChecksumTable) -> list[str]:
    """Take the seven files of the checked archive by name (nothing else is extracted, so no
    member can land outside the set), and check each against its own published md5 too."""
    directory = staging / CIFAR_DIR
    directory.mkdir(parents=True)
    names = [*CIFAR_FILES["train"], *CIFAR_FILES["test"], CIFAR_META]
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for filename in names:
                member = tar.getmember(f"{CIFAR_DIR}/{filename}")
                extracted = tar.extractfile(member) if member.isfile() else None
                if extracted is None:
                    raise ProvisionError(f"{archive}: {CIFAR_DIR}/{filename} is not a file")
                with extracted, open(directory / filename, "wb") as out:
                    shutil.copyfileobj(extracted, out, 1 << 20)
    except (KeyError, OSError, EOFError, tarfile.TarError) as error:
        raise ProvisionError(f"{archive}: cannot be unpacked ({error})") from None
    for filename in names:
        problem = _checksum_problem(table, "cifar10", filename, directory / filename)
        if problem:
            raise ProvisionError(f"{archive}: {CIFAR_DIR}/{filename}: {problem}")
    return [f"{CIFAR_DIR}/{filename}" for filename in names]


def _read_back(name: str, root: Path, counts: dict[str, int] | None) -> list[str]:
    """Read the staged set with labkit's own readers; problems, naming the file."""
    problems = []
    for split in ("train", "test"):
        try:
            _, y = read_arrays(name, split, root=root)
        except DatasetError as error:
            problems.append(f"{error.file}: {name} does not read back: {error}")
            return problems
        if counts is not None and len(y) != counts[split]:
            problems.append(
                f"{name}: the {split} split has {len(y)} rows, the published set {counts[split]}"
            )
    if name == "cifar10":
        try:
            meta = read_cifar_batch(root / CIFAR_DIR / CIFAR_META)
        except Exception:  # a malformed pickle of any kind
            meta = None
        if not isinstance(meta, dict) or len(meta.get("label_names", ())) != 10:
            problems.append(f"{CIFAR_DIR}/{CIFAR_META}: not CIFAR-10's metadata")
    return problems


# --- generated sets -------------------------------------------------------------------------


def generate(
    store: Path,
    seed: int = 0,
    names: Iterable[str] | None = None,
    replace: bool = False,
    sizes: dict[str, tuple[int, int]] | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> InstallReport:
    """Write generated sets into ``store``: the missing ones, or all of ``names`` if
    ``replace``. ``sizes``: (train, test) rows of image sets (default: small)."""
    from labs import synthetic_datasets

    wanted = _check_names(names)
    report = InstallReport()
    with _locked(store):
        present = {s.name for s in status(store) if s.state != "missing"}
        todo = [name for name in wanted if replace or name not in present]
        for name in wanted:
            if name not in todo:
                report.skipped[name] = "already present (--force replaces it)"
        if todo:
            with _staging(store) as staging:
                for name in todo:
                    say(f"generating {name}")
                    counts = synthetic_datasets.write_set(name, staging, seed, sizes)
                    problems = _read_back(name, staging, counts)
                    if problems:  # a bug of the generator, not bad input
                        raise ProvisionError(_refusal(problems))
                    directory = staging / LAYOUTS[name].directory
                    files = [p.relative_to(staging).as_posix() for p in _files_under(directory)]
                    _write_manifest(name, staging, "generated", files, seed=seed, counts=counts)
                _move_in(todo, staging, store)
        _refresh_run_view(store)
    report.installed = todo
    return report


# --- the run view: the store without its held-out files --------------------------------------


def run_view_path(store: Path) -> Path:
    return Path(store) / RUN_VIEW_DIR


def run_view_files(store: Path) -> dict[str, tuple[int, int]]:
    """What the run view must hold: store-relative path -> (st_dev, st_ino) of the store's
    file, for every file of a set's layout that is not held out, and its ``.gz`` twin."""
    store = Path(store)
    expected: dict[str, tuple[int, int]] = {}
    for layout in LAYOUTS.values():
        held_out = set(held_out_files(layout))
        for relative in layout.files:
            if relative in held_out:
                continue
            for candidate in (relative, f"{relative}.gz"):
                try:
                    found = os.lstat(store / candidate)
                except OSError:  # absent (an incomplete or missing set)
                    continue
                if stat.S_ISREG(found.st_mode):
                    expected[candidate] = (found.st_dev, found.st_ino)
    return expected


def run_view_is_fresh(store: Path) -> bool:
    """Whether the view holds its marker and exactly ``run_view_files``, link for link."""
    return _view_contents(run_view_path(store)) == run_view_files(store)


def ensure_run_view(store: Path) -> Path:
    """The store's run view, rebuilt first (under the store's lock) if it is missing or stale.
    Raises OSError where it cannot be written."""
    store = Path(store)
    if not run_view_is_fresh(store):
        with _locked(store):
            _refresh_run_view(store)
    return run_view_path(store)


def _view_contents(view: Path) -> dict[str, tuple[int, int]] | None:
    """The view's files (relative path -> (st_dev, st_ino)), without its marker; None unless
    it is a directory with its marker holding nothing but directories and regular files."""
    try:
        if not stat.S_ISDIR(os.lstat(view).st_mode):
            return None
        found: dict[str, tuple[int, int]] = {}
        for directory, dirnames, filenames in os.walk(view):
            for name in [*dirnames, *filenames]:
                path = Path(directory) / name
                entry = os.lstat(path)
                if stat.S_ISDIR(entry.st_mode):
                    continue
                if not stat.S_ISREG(entry.st_mode):
                    return None
                found[path.relative_to(view).as_posix()] = (entry.st_dev, entry.st_ino)
    except OSError:
        return None
    if found.pop(RUN_VIEW_MARKER, None) is None:
        return None
    return found


def _refresh_run_view(store: Path) -> bool:
    """Rebuild the run view if it is not fresh; the caller holds the store's lock. The view
    directory itself stays (jobs bind it): its marker is written first, then each set is
    swapped in as in the store, and what no longer belongs is moved out."""
    expected = run_view_files(store)
    view = run_view_path(store)
    if _view_contents(view) == expected:
        return False
    with _staging(store) as staging:
        if view.is_symlink() or (view.exists() and not view.is_dir()):
            os.rename(view, staging / "replaced-view")
        view.mkdir(mode=0o755, exist_ok=True)
        view.chmod(0o755)
        built = staging / "view"
        built.mkdir()
        for relative in sorted(expected):
            (built / relative).parent.mkdir(parents=True, exist_ok=True)
            os.link(store / relative, built / relative, follow_symlinks=False)
        for directory in _dirs_under(built):
            directory.chmod(0o755)
        held_out = sorted(f for layout in LAYOUTS.values() for f in held_out_files(layout))
        marker = built / RUN_VIEW_MARKER
        # No date in it: the same store gives the same bytes (generate's seed promise).
        marker.write_text(json.dumps({"held_out": held_out}, indent=2) + "\n")
        marker.chmod(0o644)
        os.replace(marker, view / RUN_VIEW_MARKER)
        names = [name for name, layout in LAYOUTS.items() if (built / layout.directory).is_dir()]
        keep = {RUN_VIEW_MARKER, *(LAYOUTS[name].directory for name in names)}
        for entry in list(view.iterdir()):
            if entry.name not in keep:
                os.rename(entry, staging / f"gone-{entry.name}")
        _move_in(names, built, view)
    return True


# --- status ------------------------------------------------------------------------------


def status(store: Path, verify: bool = False) -> list[SetStatus]:
    """What the store holds, set by set. ``verify`` also re-hashes every file against the
    digests recorded at installation and reads every set back."""
    store = Path(store)
    return [_set_status(name, store, verify) for name in NAMES]


def _set_status(name: str, store: Path, verify: bool) -> SetStatus:
    layout = LAYOUTS[name]
    directory = store / layout.directory
    if not directory.is_dir():
        return SetStatus(name, "missing")
    result = SetStatus(name, "installed")
    manifest = _read_manifest(directory)
    if manifest:
        result.source = str(manifest.get("source", ""))
        result.counts = dict(manifest.get("counts", {}))
        result.installed_at = str(manifest.get("installed_at", ""))
    absent = [f for f in layout.files if not (store / f).is_file()]
    if absent:
        result.state = "incomplete"
        result.problems.append(f"missing {', '.join(absent)}")
        return result
    for path in [directory, *_files_under(directory)]:
        mode = path.stat().st_mode
        needed = 0o005 if path.is_dir() else 0o004
        if mode & needed != needed:
            result.problems.append(
                f"{path.relative_to(store)} is not readable by grading jobs "
                f"(mode {stat.filemode(mode)})"
            )
        if path.is_file():
            result.size_bytes += path.stat().st_size
    if verify:
        recorded = manifest.get("files", {}) if manifest else {}
        for relative, expected in sorted(recorded.items()):
            path = store / relative
            if not path.is_file() or file_digest(path, "sha256") != expected.get("sha256"):
                result.state = "damaged"
                result.problems.append(f"{relative} differs from what was installed")
        problems = _read_back(name, store, result.counts or None)
        if problems:
            result.state = "damaged"
            result.problems += problems
    return result


def store_is_empty(store: Path) -> bool:
    return all(s.state == "missing" for s in status(store))


# --- staging, manifests and the atomic move ---------------------------------------------------


@contextlib.contextmanager
def _locked(store: Path) -> Iterator[None]:
    store.mkdir(parents=True, exist_ok=True)
    if store.stat().st_mode & 0o005 != 0o005:  # jobs run as other users: readable by all
        with contextlib.suppress(PermissionError):
            store.chmod(0o755)
    with open(store / LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when closed, or when the process ends
        yield


@contextlib.contextmanager
def _staging(store: Path) -> Iterator[Path]:
    for stale in store.glob(f"{STAGING_PREFIX}*"):  # left by a run that was killed
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=store))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_manifest(
    name: str,
    staging: Path,
    source: str,
    files: list[str],
    seed: int | None = None,
    counts: dict[str, int] | None = None,
) -> None:
    directory = staging / LAYOUTS[name].directory
    manifest = {
        "name": name,
        "source": source,
        "counts": counts or PUBLISHED_COUNTS[name],
        "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {
            relative: {
                "size": (staging / relative).stat().st_size,
                "sha256": file_digest(staging / relative, "sha256"),
            }
            for relative in sorted(files)
        },
    }
    if seed is not None:
        manifest["seed"] = seed
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
    # Readable by every job user; flushed before the rename makes the set visible.
    for path in [directory, *_files_under(directory)]:
        path.chmod(0o755 if path.is_dir() else 0o644)
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    for path in [*_dirs_under(directory), directory]:
        path.chmod(0o755)


def _read_manifest(directory: Path) -> dict | None:
    try:
        data = json.loads((directory / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def _dirs_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_dir())


def _move_in(names: list[str], staging: Path, store: Path) -> None:
    """Move each staged set into the store, replacing the installed one; on failure, undo the
    moves already made so the store is as it was."""
    done: list[tuple[Path, Path, bool]] = []  # (staged path, store path, exchanged)
    try:
        for name in names:
            directory = LAYOUTS[name].directory
            staged, target = staging / directory, store / directory
            if target.exists() or target.is_symlink():
                if not _exchange(staged, target):
                    # No RENAME_EXCHANGE on this file system: a short window without the set.
                    os.rename(target, staging / f"replaced-{directory}")
                    os.rename(staged, target)
                    os.rename(staging / f"replaced-{directory}", staged)
                done.append((staged, target, True))
            else:
                os.rename(staged, target)
                done.append((staged, target, False))
    except OSError:
        for staged, target, exchanged in reversed(done):
            with contextlib.suppress(OSError):
                if exchanged and not _exchange(staged, target):
                    os.rename(target, staged.with_name(staged.name + "-undo"))
                    os.rename(staged, target)
                elif not exchanged:
                    os.rename(target, staged)
        raise
    _fsync_directory(store)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically; False where the kernel or file system cannot."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes.append(ctypes.c_uint)
    result = renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)


def _shown(path: Path, source: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(source)) or "."
    return str(path)


def _refusal(problems: list[str]) -> str:
    lines = "\n".join(f"  {problem}" for problem in problems)
    return f"refused, nothing was changed:\n{lines}"
