"""Generated stand-ins for the real datasets, written in the real on-disk layouts.

`make run`, the tests and the benchmark use them where the real files cannot be had (no
network): the files have the real formats, shapes and dtypes, so labkit's real reading code is
what reads them. They are learnable: each class has a pattern of its own (smooth random
blobs for images, a shift of the feature means for tables), and every row is its class's
pattern moved, dimmed, mixed a little with another class's and drowned in noise, so a small
model beats chance clearly without the task being trivial. Everything is drawn from one seed:
the same seed gives the same bytes.

``write_set(name, root, seed, sizes)`` writes one set under ``root`` (a store's layout);
``write_idx`` and ``write_cifar_batch`` write the two binary formats.
"""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np

from labs.labkit.datasets import (
    CIFAR_CLASSES,
    CIFAR_DIR,
    CIFAR_FILES,
    CIFAR_META,
    LAYOUTS,
    MNIST_FILES,
)

# (train, test) rows of the image sets: small by default (make run, tests), full for the bench.
SMALL_SIZES = {"mnist": (6000, 1000), "fashion_mnist": (6000, 1000), "cifar10": (5000, 1000)}
FULL_SIZES = {"mnist": (60000, 10000), "fashion_mnist": (60000, 10000), "cifar10": (50000, 10000)}
# scikit-learn's sets keep their real sizes: they are small.
TABLE_ROWS = {"breast_cancer": 569, "diabetes": 442, "digits": 1797}
BREAST_CANCER_MALIGNANT = 212
CHUNK_ROWS = 10000  # images are made this many at a time, to bound memory on the full sizes
# How hard the image sets are: (largest shift in pixels, largest weight of another class's
# pattern, standard deviation of the pixel noise in units of full brightness). Chosen so that a
# small CNN trained for a few seconds reaches ~0.75-0.9 accuracy and a linear model a little
# less (chance: 0.1); measured by tests/test_lab_datasets_learnable.py.
DIFFICULTY = {"grey": (5, 0.7, 0.5), "colour": (6, 0.8, 1.2)}


def write_set(
    name: str, root: Path, seed: int = 0, sizes: dict[str, tuple[int, int]] | None = None
) -> dict[str, int]:
    """Write the generated set ``name`` under the store ``root``; returns its row counts."""
    rng = np.random.default_rng([seed, list(LAYOUTS).index(name)])
    if name in ("mnist", "fashion_mnist"):
        train, test = (sizes or SMALL_SIZES)[name]
        return _write_mnist_like(name, root, rng, train, test)
    if name == "cifar10":
        train, test = (sizes or SMALL_SIZES)[name]
        return _write_cifar(root, rng, train, test)
    writers = {"breast_cancer": _write_breast_cancer, "diabetes": _write_diabetes}
    writers["digits"] = _write_digits
    return writers[name](root, rng)


# --- formats -----------------------------------------------------------------------------


def write_idx(path: Path, array: np.ndarray) -> None:
    """An idx file of unsigned bytes (the MNIST format)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes((0, 0, 0x08, array.ndim)) + struct.pack(f">{array.ndim}I", *array.shape)
    with open(path, "wb") as f:
        f.write(header)
        f.write(array.tobytes())


def write_cifar_batch(path: Path, data: np.ndarray, labels: list[int], batch_label: str) -> None:
    """A CIFAR-10 python batch: a pickled dict with uint8 ``data`` (n, 3072) and ``labels``."""
    batch = {
        "batch_label": batch_label,
        "labels": [int(label) for label in labels],
        "data": np.ascontiguousarray(data, dtype=np.uint8),
        "filenames": [f"generated_{i:05d}.png" for i in range(len(labels))],
    }
    with open(path, "wb") as f:
        _Python2Pickler(f, protocol=2).dump(batch)


class _Python2Pickler(pickle._Pickler):
    """Pickles as Python 2 did the published batches: protocol 2 with byte strings as
    BINSTRING (an array's raw data stored as it is). Python 3's own pickler writes bytes at
    protocol 2 as a call of ``_codecs.encode`` on a UTF-8 text, half again as large, slower
    to read, and a global that labkit's unpickler does not admit."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_bytes(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes((len(obj),)) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes


# --- images ------------------------------------------------------------------------------


def _prototypes(rng: np.random.Generator, channels: int, size: int, dark: bool) -> np.ndarray:
    """One smooth random pattern per class, (10, channels, size, size) in [0, 1]."""
    block = 4
    low = rng.random((10, channels, size // block, size // block))
    patterns = low.repeat(block, axis=2).repeat(block, axis=3)
    for axis in (2, 3):  # a 5-pixel box blur softens the blocks
        patterns = sum(np.roll(patterns, shift, axis) for shift in range(-2, 3)) / 5
    if dark:  # like digits and clothes: bright strokes on a black background
        patterns = np.clip((patterns - 0.45) * 4.0, 0.0, 1.0)
    else:
        patterns = np.clip((patterns - 0.5) * 2.5 + 0.5, 0.0, 1.0)
    return patterns.astype(np.float32)


def _images(rng: np.random.Generator, prototypes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Rows of the given classes: the class's pattern mixed with a random other class's,
    shifted (wrapping around), dimmed and drowned in Gaussian noise; uint8 (n, C, H, W)."""
    n = len(labels)
    max_shift, max_mix, noise = DIFFICULTY["grey" if prototypes.shape[1] == 1 else "colour"]
    x = prototypes[labels].copy()
    others = (labels + rng.integers(1, 10, n)) % 10
    x += rng.uniform(0.0, max_mix, (n, 1, 1, 1)).astype(np.float32) * prototypes[others]
    shifts = rng.integers(-max_shift, max_shift + 1, (n, 2))
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            rows = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
            if len(rows):
                x[rows] = np.roll(x[rows], (dy, dx), axis=(2, 3))
    x *= rng.uniform(0.5, 1.0, (n, 1, 1, 1)).astype(np.float32)
    x += rng.normal(0.0, noise, x.shape).astype(np.float32)
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)


def _balanced_labels(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.permutation(np.arange(n) % 10)


def _in_chunks(rng: np.random.Generator, prototypes: np.ndarray, labels: np.ndarray):
    for start in range(0, len(labels), CHUNK_ROWS):
        yield _images(rng, prototypes, labels[start : start + CHUNK_ROWS])


def _write_mnist_like(
    name: str, root: Path, rng: np.random.Generator, train: int, test: int
) -> dict[str, int]:
    raw = root / LAYOUTS[name].directory / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    prototypes = _prototypes(rng, 1, 28, dark=True)
    for split, rows in (("train", train), ("test", test)):
        labels = _balanced_labels(rng, rows)
        images = np.concatenate(list(_in_chunks(rng, prototypes, labels)) or [np.empty(0)])
        images_file, labels_file = MNIST_FILES[split]
        write_idx(raw / images_file, images.reshape(rows, 28, 28))
        write_idx(raw / labels_file, labels)
    return {"train": train, "test": test}


def _write_cifar(root: Path, rng: np.random.Generator, train: int, test: int) -> dict[str, int]:
    directory = root / CIFAR_DIR
    directory.mkdir(parents=True, exist_ok=True)
    prototypes = _prototypes(rng, 3, 32, dark=False)
    batches = len(CIFAR_FILES["train"])
    bounds = [train * i // batches for i in range(batches + 1)]
    parts = [
        (name, bounds[i + 1] - bounds[i], f"training batch {i + 1} of {batches}")
        for i, name in enumerate(CIFAR_FILES["train"])
    ]
    parts.append((CIFAR_FILES["test"][0], test, "testing batch 1 of 1"))
    for name, rows, batch_label in parts:
        labels = _balanced_labels(rng, rows)
        chunks = list(_in_chunks(rng, prototypes, labels))
        data = np.concatenate(chunks) if chunks else np.empty((0, 3, 32, 32), np.uint8)
        write_cifar_batch(directory / name, data.reshape(rows, 3072), labels.tolist(), batch_label)
    meta = {
        "num_cases_per_batch": bounds[1],
        "label_names": list(CIFAR_CLASSES),
        "num_vis": 3072,
    }
    with open(directory / CIFAR_META, "wb") as f:
        _Python2Pickler(f, protocol=2).dump(meta)
    return {"train": train, "test": test}


# --- scikit-learn's tables -----------------------------------------------------------------


def _write_breast_cancer(root: Path, rng: np.random.Generator) -> dict[str, int]:
    rows, features = TABLE_ROWS["breast_cancer"], 30
    labels = rng.permutation(np.arange(rows) >= BREAST_CANCER_MALIGNANT).astype(np.int64)
    scale = np.exp(rng.uniform(-5.0, 7.5, features))  # magnitudes from 0.007 to 1800
    effect = rng.uniform(0.05, 0.45, features) * rng.choice([-1.0, 1.0], features)
    noise = rng.normal(0.0, 0.35, (rows, features))
    x = scale * np.exp(noise + np.outer(labels == 0, effect))
    directory = root / "breast_cancer"
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"{rows},{features},malignant,benign"]
    lines += [",".join(f"{v:.4g}" for v in row) + f",{y}" for row, y in zip(x, labels, strict=True)]
    (directory / "breast_cancer.csv").write_text("\n".join(lines) + "\n", encoding="ascii")
    return {"train": _train_rows(rows), "test": rows - _train_rows(rows)}


def _write_diabetes(root: Path, rng: np.random.Generator) -> dict[str, int]:
    """Ten columns in the ranges and formats of the raw file (age, sex, bmi, bp, s1-s6) and a
    target that depends linearly on them, plus noise (a regression with R^2 ~ 0.6)."""
    rows = TABLE_ROWS["diabetes"]
    columns = [
        (rng.integers(19, 80, rows), "{:d}"),
        (rng.integers(1, 3, rows), "{:d}"),
        (rng.uniform(18.0, 42.2, rows).round(1), "{:.1f}"),
        (rng.uniform(62.0, 133.0, rows).round(2), "{:.2f}"),
        (rng.integers(97, 302, rows), "{:d}"),
        (rng.uniform(41.6, 242.4, rows).round(1), "{:.1f}"),
        (rng.uniform(22.0, 99.0, rows).round(1), "{:.1f}"),
        (rng.uniform(2.0, 9.09, rows).round(2), "{:.2f}"),
        (rng.uniform(3.2581, 6.107, rows).round(4), "{:.4f}"),
        (rng.integers(58, 125, rows), "{:d}"),
    ]
    x = np.column_stack([values.astype(np.float64) for values, _ in columns])
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    weights = rng.normal(0.0, 1.0, x.shape[1])
    signal = z @ weights / np.linalg.norm(weights)
    target = np.clip(np.rint(152.0 + 60.0 * signal + rng.normal(0.0, 45.0, rows)), 25, 346)
    directory = root / "diabetes"
    directory.mkdir(parents=True, exist_ok=True)
    data_lines = [" ".join(fmt.format(values[i]) for values, fmt in columns) for i in range(rows)]
    _write_gzip(directory / "diabetes_data_raw.csv.gz", "\n".join(data_lines) + "\n")
    _write_gzip(directory / "diabetes_target.csv.gz", "".join(f"{v:.18e}\n" for v in target))
    return {"train": _train_rows(rows), "test": rows - _train_rows(rows)}


def _write_digits(root: Path, rng: np.random.Generator) -> dict[str, int]:
    rows = TABLE_ROWS["digits"]
    labels = _balanced_labels(rng, rows)
    prototypes = rng.random((10, 64))
    others = (labels + rng.integers(1, 10, rows)) % 10
    mix = rng.uniform(0.0, 0.8, (rows, 1))
    x = prototypes[labels] + mix * prototypes[others] + rng.normal(0.0, 0.45, (rows, 64))
    pixels = np.clip(np.rint(x * 12.0), 0, 16).astype(np.int64)
    directory = root / "digits"
    directory.mkdir(parents=True, exist_ok=True)
    lines = [",".join(map(str, row)) + f",{y}" for row, y in zip(pixels, labels, strict=True)]
    _write_gzip(directory / "digits.csv.gz", "\n".join(lines) + "\n")
    return {"train": _train_rows(rows), "test": rows - _train_rows(rows)}


def _write_gzip(path: Path, text: str) -> None:
    # mtime=0: the same seed gives the same bytes.
    with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as f:
        f.write(text.encode("ascii"))


def _train_rows(rows: int) -> int:
    return rows - rows // 4
