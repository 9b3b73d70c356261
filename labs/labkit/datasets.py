"""Offline datasets for labs: ``load(name, split, limit=None)`` returns CPU tensors read from the
worker's read-only dataset store, mounted at /datasets in every grading job.

This module runs inside the grading sandbox beside learner code: it imports nothing of the
project and not Django, and imports numpy and torch only when a set is read. It trusts the
store's files only as far as their format goes: every header, count and label is checked, and
CIFAR-10's pickles are read by an unpickler that admits numpy arrays and nothing else.

The store keeps each set in the on-disk layout that its own library reads, so that the store
can be checked with ``md5sum`` against the published checksums and read by torchvision too
(``torchvision.datasets.MNIST(root, download=False)`` with root = the store):

    MNIST/raw/train-images-idx3-ubyte, train-labels-idx1-ubyte,
              t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte          (torchvision's MNIST)
    FashionMNIST/raw/(the same four names)                             (torchvision's FashionMNIST)
    cifar-10-batches-py/data_batch_1 .. data_batch_5, test_batch,
                        batches.meta                                    (torchvision's CIFAR10)
    breast_cancer/breast_cancer.csv                                     (scikit-learn's own files,
    diabetes/diabetes_data_raw.csv.gz, diabetes/diabetes_target.csv.gz  as in sklearn/datasets/
    digits/digits.csv.gz                                                data/)

Each set's directory also holds ``labkit-set.json``, written by ``manage.py
provision_datasets``: where the files came from (published or generated) and their digests.
Reading does not need it.

The step of a grading job that runs learner code does not see the whole store: it sees the
store's *run view* (labs/dataset_store.py), the same layout without the held-out files
(``held_out_files``: the test split of MNIST, Fashion-MNIST and CIFAR-10, whose images the
judges draw and whose labels they judge against). The view holds ``RUN_VIEW_MARKER`` at its
top, and there ``load`` of a held-out split raises ``DatasetHeldOut`` with a message saying so.
scikit-learn's sets keep their test rows in the same file as the training rows, so they are
whole in the view too (their judges split them themselves).
"""

from __future__ import annotations

import gzip
import operator
import os
import pickle
import struct
import zlib
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from . import messages

if TYPE_CHECKING:
    import numpy as np
    import torch

STORE_PATH = "/datasets"  # where every grading job sees the store (read-only)
STORE_ENV = "LABKIT_DATASET_DIR"  # another store for use outside the sandbox
MANIFEST_NAME = "labkit-set.json"
RUN_VIEW_MARKER = "labkit-run-view.json"  # at the top of a store's run view: no held-out files
HELD_OUT_SPLIT = "test"  # the split of the image sets that learner code never sees
SPLITS = ("train", "test", "all")
TEST_EVERY = 4  # scikit-learn's sets: row i is a test row when i % 4 == 3
IMAGES, TABLE = "images", "table"

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CIFAR_DIR = "cifar-10-batches-py"
CIFAR_FILES = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}
CIFAR_META = "batches.meta"
FASHION_CLASSES = (
    *("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"),
    *("Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
)
CIFAR_CLASSES = (
    *("airplane", "automobile", "bird", "cat", "deer"),
    *("dog", "frog", "horse", "ship", "truck"),
)


@dataclass(frozen=True)
class Layout:
    """Where a set lives in the store and what its reader needs."""

    name: str
    directory: str  # its top directory in the store: installed and replaced as a whole
    files: tuple[str, ...]  # every file of the set's layout, relative to the store
    kind: str  # IMAGES or TABLE
    item_shape: tuple[int, ...]  # one row of x
    classes: tuple[str, ...] = ()  # class names by label; () for regression


def _mnist_layout(name: str, directory: str, classes: tuple[str, ...]) -> Layout:
    files = tuple(f"{directory}/raw/{f}" for split in ("train", "test") for f in MNIST_FILES[split])
    return Layout(name, directory, files, IMAGES, (1, 28, 28), classes)


LAYOUTS: dict[str, Layout] = {
    "mnist": _mnist_layout("mnist", "MNIST", tuple(str(d) for d in range(10))),
    "fashion_mnist": _mnist_layout(
        "fashion_mnist",
        "FashionMNIST",
        FASHION_CLASSES,
    ),
    "cifar10": Layout(
        "cifar10",
        CIFAR_DIR,
        tuple(
            f"{CIFAR_DIR}/{f}" for f in (*CIFAR_FILES["train"], *CIFAR_FILES["test"], CIFAR_META)
        ),
        IMAGES,
        (3, 32, 32),
        CIFAR_CLASSES,
    ),
    "breast_cancer": Layout(
        "breast_cancer",
        "breast_cancer",
        ("breast_cancer/breast_cancer.csv",),
        TABLE,
        (30,),
        ("malignant", "benign"),
    ),
    "diabetes": Layout(
        "diabetes",
        "diabetes",
        ("diabetes/diabetes_data_raw.csv.gz", "diabetes/diabetes_target.csv.gz"),
        TABLE,
        (10,),
    ),
    "digits": Layout(
        "digits", "digits", ("digits/digits.csv.gz",), TABLE, (64,), tuple(map(str, range(10)))
    ),
}
NAMES = tuple(LAYOUTS)


def held_out_files(layout: Layout) -> tuple[str, ...]:
    """The files of the set (relative to the store) that the run step of a grading job never
    sees: the test split of the image sets; none of scikit-learn's sets (one file each)."""
    if layout.kind != IMAGES:
        return ()
    if layout.name == "cifar10":
        return tuple(f"{CIFAR_DIR}/{f}" for f in CIFAR_FILES[HELD_OUT_SPLIT])
    return tuple(f"{layout.directory}/raw/{f}" for f in MNIST_FILES[HELD_OUT_SPLIT])


class DatasetError(Exception):
    """A set cannot be given to the caller; the message (Russian) is meant for the learner."""

    def __init__(self, message: str, name: str, file: str) -> None:
        super().__init__(message)
        self.name = name
        self.file = file


class DatasetMissing(DatasetError):
    """The set is not installed on this grading server (a file of it is absent)."""


class DatasetDamaged(DatasetError):
    """A file of the set is there but not in the expected format (truncated, altered)."""


class DatasetHeldOut(DatasetError):
    """The split is held out by the grader: the job runs learner code and sees the run view."""


def _missing(name: str, file: str) -> DatasetMissing:
    return DatasetMissing(messages.DATASET_MISSING.format(name=name, file=file), name, file)


def _damaged(name: str, file: str, problem: str) -> DatasetDamaged:
    text = messages.DATASET_DAMAGED.format(name=name, file=file, problem=problem)
    return DatasetDamaged(text, name, file)


class DatasetSplit(NamedTuple):
    """What ``load`` returns: ``x, y = load(...)`` works, and so do ``.x`` and ``.y``."""

    x: torch.Tensor
    y: torch.Tensor


def store_root(root: str | os.PathLike | None = None) -> Path:
    """The store to read: ``root`` if given, else $LABKIT_DATASET_DIR, else /datasets."""
    if root is not None:
        return Path(root).expanduser()
    return Path(os.environ.get(STORE_ENV) or STORE_PATH).expanduser()


def load(
    name: str,
    split: str,
    limit: int | None = None,
    *,
    root: str | os.PathLike | None = None,
) -> DatasetSplit:
    """Load one split of a dataset from the store as CPU tensors ``(x, y)``.

    Sets (x's shape, y, rows in train / test of the real sets):

    - ``"mnist"``, ``"fashion_mnist"``: x float32 (N, 1, 28, 28) in [0, 1]; y int64 (N,) class
      0..9; 60000 / 10000.
    - ``"cifar10"``: x float32 (N, 3, 32, 32) in [0, 1], channels R, G, B; y int64 (N,) class
      0..9; 50000 / 10000.
    - ``"breast_cancer"``: x float32 (N, 30), scikit-learn's values; y int64 (N,), 0 malignant,
      1 benign; 427 / 142 of 569.
    - ``"diabetes"``: x float32 (N, 10), centred and scaled as scikit-learn's
      ``load_diabetes()`` does (over all 442 rows); y float32 (N,), the disease progression
      one year later; 332 / 110 of 442.
    - ``"digits"``: x float32 (N, 64), pixel values 0..16 as in scikit-learn; y int64 (N,) class
      0..9; 1348 / 449 of 1797.

    Images are x = pixel / 255, exactly as torchvision's ``ToTensor`` makes them; tabular x is
    what scikit-learn's loader returns, in float32.

    ``split``: ``"train"``, ``"test"`` or ``"all"``. MNIST, Fashion-MNIST and CIFAR-10 have their
    published split, and ``"all"`` is train followed by test. scikit-learn's sets have none, so
    a fixed one is used: row i of the file is a test row when ``i % 4 == 3`` (a quarter), and
    ``"all"`` is every row in the file's order (what scikit-learn returns).

    ``limit``: at most this many rows, the first ones of the split in order (``None``: all).
    Only what is needed is read, so a small limit is fast even on the full sets.

    ``root``: the store to read (default: $LABKIT_DATASET_DIR, else /datasets, where grading
    jobs see it); outside the platform it can be a torchvision data root.

    Raises ``DatasetMissing`` when the set is not installed on this server,
    ``DatasetDamaged`` when a file of it is not in the expected format and ``DatasetHeldOut``
    for the ``"test"`` (or ``"all"``) split of an image set in a grading job that runs learner
    code (all ``DatasetError``, with a message for the learner in Russian), and ``ValueError``
    for an unknown name, split or a bad limit.
    """
    import torch

    layout, split, limit = _check_arguments(name, split, limit)
    x, y = read_arrays(layout.name, split, limit, root=root)
    if layout.kind == IMAGES:
        features = torch.from_numpy(x).to(torch.float32).div_(255.0)
    else:
        features = torch.from_numpy(x).to(torch.float32)
    labels = torch.from_numpy(y).to(torch.int64 if layout.classes else torch.float32)
    return DatasetSplit(features, labels)


def read_arrays(
    name: str,
    split: str,
    limit: int | None = None,
    *,
    root: str | os.PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The split as numpy arrays, before conversion: images uint8 (N, C, H, W) and int64
    labels; tables float64 x and int64 (classes) or float64 (regression) y. Same checks and
    errors as ``load``; also used by provisioning to check a set before installing it."""
    import numpy as np

    layout, split, limit = _check_arguments(name, split, limit)
    store = store_root(root)
    held_out = held_out_files(layout)
    if held_out and split in (HELD_OUT_SPLIT, "all") and (store / RUN_VIEW_MARKER).is_file():
        text = messages.DATASET_HELD_OUT.format(name=layout.name)
        raise DatasetHeldOut(text, layout.name, held_out[0])
    if layout.kind == TABLE:
        return _read_table(layout, store, split, limit)
    if split == "all":
        x_train, y_train = _read_images(layout, store, "train", limit)
        rest = None if limit is None else limit - len(y_train)
        x_test, y_test = _read_images(layout, store, "test", rest)
        return np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
    return _read_images(layout, store, split, limit)


def _check_arguments(name: object, split: object, limit: object) -> tuple[Layout, str, int | None]:
    key = name.strip().lower().replace("-", "_") if isinstance(name, str) else None
    if key not in LAYOUTS:
        raise ValueError(messages.UNKNOWN_DATASET.format(name=name, names=", ".join(NAMES)))
    if split not in SPLITS:
        raise ValueError(messages.UNKNOWN_SPLIT.format(split=split))
    if limit is not None:
        try:
            if isinstance(limit, bool):
                raise TypeError
            limit = operator.index(limit)
        except TypeError:
            raise ValueError(messages.BAD_LIMIT.format(limit=limit)) from None
        if limit < 0:
            raise ValueError(messages.BAD_LIMIT.format(limit=limit))
    return LAYOUTS[key], split, limit


def _open(layout: Layout, store: Path, relative: str):
    try:
        return open(store / relative, "rb")  # closed by the caller's with
    except FileNotFoundError:
        raise _missing(layout.name, relative) from None
    except OSError:
        raise _damaged(layout.name, relative, messages.PROBLEM_UNREADABLE) from None


# --- MNIST and Fashion-MNIST: idx files ----------------------------------------------------


def _read_images(
    layout: Layout, store: Path, split: str, limit: int | None
) -> tuple[np.ndarray, np.ndarray]:
    if layout.name == "cifar10":
        return _read_cifar(layout, store, split, limit)
    images_file, labels_file = (f"{layout.directory}/raw/{f}" for f in MNIST_FILES[split])
    images = _read_idx(layout, store, images_file, layout.item_shape[1:], limit)
    labels = _read_idx(layout, store, labels_file, (), limit)
    if len(labels) != len(images):
        raise _damaged(layout.name, labels_file, messages.PROBLEM_SHAPE)
    images = images.reshape(len(images), *layout.item_shape)
    return images, _checked_labels(layout, labels_file, labels)


def _read_idx(
    layout: Layout, store: Path, relative: str, item_shape: tuple[int, ...], limit: int | None
) -> np.ndarray:
    """An idx file of unsigned bytes (the MNIST format): magic 0x00 0x00 0x08 ndim, then ndim
    big-endian uint32 sizes, then the data; reads only the first ``limit`` items."""
    import numpy as np

    ndim = len(item_shape) + 1
    with _open(layout, store, relative) as f:
        head = f.read(4 + 4 * ndim)
        if len(head) < 4 + 4 * ndim or head[:4] != bytes((0, 0, 0x08, ndim)):
            raise _damaged(layout.name, relative, messages.PROBLEM_FORMAT)
        sizes = struct.unpack(f">{ndim}I", head[4:])
        if tuple(sizes[1:]) != item_shape:
            raise _damaged(layout.name, relative, messages.PROBLEM_SHAPE)
        count, item = sizes[0], prod(item_shape)
        if os.fstat(f.fileno()).st_size != len(head) + count * item:
            raise _damaged(layout.name, relative, messages.PROBLEM_TRUNCATED)
        rows = count if limit is None else min(limit, count)
        data = bytearray(rows * item)  # writable, so torch.from_numpy needs no copy
        if f.readinto(data) != len(data):
            raise _damaged(layout.name, relative, messages.PROBLEM_TRUNCATED)
    return np.frombuffer(data, dtype=np.uint8).reshape(rows, *item_shape)


def _checked_labels(layout: Layout, relative: str, labels: np.ndarray) -> np.ndarray:
    import numpy as np

    labels = labels.astype(np.int64)
    if len(labels) and (labels.min() < 0 or labels.max() >= len(layout.classes)):
        raise _damaged(layout.name, relative, messages.PROBLEM_LABELS)
    return labels


# --- CIFAR-10: pickled batches of numpy arrays -----------------------------------------------


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, numbers, strings and numpy arrays; refuses every other global.

    A CIFAR-10 batch is a pickle (a program for the unpickler), and the store's files are
    checked against the published checksums when installed. This loader is the second guard:
    the only callables a pickle may reach are numpy's array reconstruction (``_reconstruct``,
    ``ndarray``, ``dtype``: what ``torch.load(weights_only=True)`` admits for arrays), so an
    altered file can at worst yield wrong arrays, which the checks after loading refuse, and
    never run code.
    """

    def find_class(self, module: str, name: str):
        import numpy as np

        if name == "_reconstruct" and module in ("numpy.core.multiarray", "numpy._core.multiarray"):
            return _numpy_reconstruct()
        if module == "numpy" and name == "ndarray":
            return np.ndarray
        if module == "numpy" and name == "dtype":
            return np.dtype
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a dataset file")


def _numpy_reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy 1
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


def read_cifar_batch(path: Path | str) -> dict:
    """A CIFAR-10 batch file as a dict, through the restricted unpickler (str keys, as
    torchvision reads it with ``encoding="latin1"``); raises pickle.UnpicklingError,
    ValueError or EOFError for a file that is not one."""
    with open(path, "rb") as f:
        return _ArrayUnpickler(f, encoding="latin1").load()


def _read_cifar(
    layout: Layout, store: Path, split: str, limit: int | None
) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    images, labels, rows = [], [], 0
    for name in CIFAR_FILES[split]:
        if limit is not None and rows >= limit:
            break
        relative = f"{CIFAR_DIR}/{name}"
        with _open(layout, store, relative) as f:
            try:
                batch = _ArrayUnpickler(f, encoding="latin1").load()
            except Exception:  # any malformed pickle: the file is not a CIFAR batch
                raise _damaged(layout.name, relative, messages.PROBLEM_FORMAT) from None
        data = batch.get("data") if isinstance(batch, dict) else None
        batch_labels = batch.get("labels") if isinstance(batch, dict) else None
        if (
            not isinstance(data, np.ndarray)
            or data.dtype != np.uint8
            or data.ndim != 2
            or data.shape[1] != prod(layout.item_shape)
            or not isinstance(batch_labels, list)
            or len(batch_labels) != len(data)
            or not all(type(label) is int for label in batch_labels)
        ):
            raise _damaged(layout.name, relative, messages.PROBLEM_FORMAT)
        take = len(data) if limit is None else min(len(data), limit - rows)
        images.append(data[:take].reshape(take, *layout.item_shape))
        labels.append(
            _checked_labels(layout, relative, np.asarray(batch_labels[:take], dtype=np.int64))
        )
        rows += take
        del batch, data
    if not images:
        return np.empty((0, *layout.item_shape), np.uint8), np.empty((0,), np.int64)
    return np.concatenate(images), np.concatenate(labels)


# --- scikit-learn's sets: its own csv files ----------------------------------------------


def _read_table(
    layout: Layout, store: Path, split: str, limit: int | None
) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    reader = {"breast_cancer": _breast_cancer, "diabetes": _diabetes, "digits": _digits}
    x, y = reader[layout.name](layout, store)
    if x.ndim != 2 or x.shape[1:] != layout.item_shape or len(x) != len(y):
        raise _damaged(layout.name, layout.files[0], messages.PROBLEM_SHAPE)
    if layout.classes:
        y = _checked_labels(layout, layout.files[-1], y)
    if split != "all":
        is_test = np.arange(len(y)) % TEST_EVERY == TEST_EVERY - 1
        keep = is_test if split == "test" else ~is_test
        x, y = x[keep], y[keep]
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def _lines(layout: Layout, store: Path, relative: str) -> list[str]:
    """The lines of a plain or gzip-compressed text file of the store (small files only)."""
    with _open(layout, store, relative) as f:
        try:
            data = f.read()
            if relative.endswith(".gz"):
                data = gzip.decompress(data)
            return data.decode("ascii").splitlines()
        except (OSError, EOFError, UnicodeDecodeError, zlib.error):
            raise _damaged(layout.name, relative, messages.PROBLEM_FORMAT) from None


def _loadtxt(layout: Layout, relative: str, lines: list[str], **options) -> np.ndarray:
    import numpy as np

    try:
        return np.loadtxt(lines, dtype=np.float64, **options)
    except ValueError:
        raise _damaged(layout.name, relative, messages.PROBLEM_FORMAT) from None


def _breast_cancer(layout: Layout, store: Path) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's breast_cancer.csv: a header ``569,30,malignant,benign``, then 30 features and
    the class per row."""
    import numpy as np

    relative = layout.files[0]
    lines = _lines(layout, store, relative)
    try:
        rows, features = (int(v) for v in lines[0].split(",")[:2])
        data = _loadtxt(layout, relative, lines[1:], delimiter=",", ndmin=2)
    except (ValueError, IndexError):
        raise _damaged(layout.name, relative, messages.PROBLEM_FORMAT) from None
    if data.shape != (rows, features + 1):
        raise _damaged(layout.name, relative, messages.PROBLEM_SHAPE)
    return data[:, :features], data[:, features].astype(np.int64)


def _diabetes(layout: Layout, store: Path) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's raw diabetes files, scaled as ``load_diabetes()`` (scaled=True) does: each
    column centred, divided by its standard deviation and by sqrt(n_samples)."""
    data_file, target_file = layout.files
    x = _loadtxt(layout, data_file, _lines(layout, store, data_file), ndmin=2)
    y = _loadtxt(layout, target_file, _lines(layout, store, target_file), ndmin=1)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    x = (x - x.mean(axis=0)) / std / len(x) ** 0.5
    return x, y


def _digits(layout: Layout, store: Path) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's digits.csv.gz: 64 pixel values (0..16) and the class per row."""
    import numpy as np

    relative = layout.files[0]
    data = _loadtxt(layout, relative, _lines(layout, store, relative), delimiter=",", ndmin=2)
    if data.ndim != 2 or data.shape[1] != 65:
        raise _damaged(layout.name, layout.files[0], messages.PROBLEM_SHAPE)
    x = data[:, :64]
    if len(x) and (x.min() < 0 or x.max() > 16):
        raise _damaged(layout.name, layout.files[0], messages.PROBLEM_FORMAT)
    return x, data[:, 64].astype(np.int64)


__all__ = [
    "LAYOUTS",
    "NAMES",
    "STORE_PATH",
    "DatasetDamaged",
    "DatasetError",
    "DatasetHeldOut",
    "DatasetMissing",
    "DatasetSplit",
    "load",
    "read_arrays",
]
