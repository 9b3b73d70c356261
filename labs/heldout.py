"""Held-out images for the labs that train: read on the trusted side from the worker's dataset
store (``settings.DATASET_DIR``, the directory grading jobs see read-only at /datasets), drawn
per job with the judge's secret stream.

A training lab judges a model by what it predicts for images it was not trained on, and the
answers (labels, or the images themselves for an autoencoder) stay here. Only the images
enter the learner's sandbox (or, for labs with a clean check step, only that step). The step
where learner code runs does not see the test split at all (it sees the store's run view:
grading/lab_mounts.py); each drawn image is also moved by a small secret shift (wrapping
around, as the generated sets are made), so that the images a job sees are not byte-for-byte
rows of the published set (MNIST's test split is public) that learner code could look up.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from labs.labkit.datasets import DatasetError, read_arrays

POOL_ROWS = 2000  # the first rows of the test split that images are drawn from


class HeldOutMissing(Exception):
    """The set is not in the store; ``message`` is labkit's (Russian) text for the learner."""


@dataclass(frozen=True)
class HeldOut:
    images: np.ndarray  # uint8 (n, C, H, W): what the learner's model is given (x = images/255)
    labels: np.ndarray  # int64 (n,): never leaves the trusted side


def draw_heldout(name: str, count: int, rng: np.random.Generator, max_shift: int = 1) -> HeldOut:
    """``count`` distinct rows of the test split of ``name``, each rolled by a shift drawn in
    [-max_shift, max_shift] along both axes. Raises HeldOutMissing when the set is absent."""
    pool_x, pool_y = _pool(name, str(settings.DATASET_DIR))
    if len(pool_y) < count:
        raise HeldOutMissing(f"the store's {name} test split has {len(pool_y)} rows, not {count}")
    rows = np.sort(rng.choice(len(pool_y), size=count, replace=False))
    images = pool_x[rows].copy()
    shifts = rng.integers(-max_shift, max_shift + 1, size=(count, 2))
    for i, (dy, dx) in enumerate(shifts):
        if dy or dx:
            images[i] = np.roll(images[i], (int(dy), int(dx)), axis=(1, 2))
    return HeldOut(images=images, labels=pool_y[rows].copy())


def _pool(name: str, root: str) -> tuple[np.ndarray, np.ndarray]:
    return _cached_pool(name, root, _stamp(Path(root), name))


def _stamp(root: Path, name: str) -> tuple:
    """Changes when the set is replaced in the store (provisioning swaps its directory)."""
    from labs.labkit.datasets import LAYOUTS

    try:
        stat = (root / LAYOUTS[name].directory).stat()
    except OSError:
        return ()
    return (stat.st_ino, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _cached_pool(name: str, root: str, stamp: tuple) -> tuple[np.ndarray, np.ndarray]:
    try:
        x, y = read_arrays(name, "test", POOL_ROWS, root=root)
    except DatasetError as error:
        raise HeldOutMissing(str(error)) from None
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def tabular_set(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A scikit-learn set (``breast_cancer``, ``diabetes``, ``digits``) as the worker's store
    holds it, for judges that split it themselves; where the store lacks it (a worker whose
    store is not provisioned), scikit-learn's bundled copy: the very files a store is
    provisioned from. Features and targets as read, float64."""
    from labs.labkit.datasets import DatasetMissing

    try:
        return read_arrays(name, "all", root=settings.DATASET_DIR)
    except DatasetMissing:
        from sklearn import datasets

        return getattr(datasets, f"load_{name}")(return_X_y=True)
