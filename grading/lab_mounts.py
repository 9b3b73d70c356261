"""What every lab job sees besides its own files: the platform's helper package ``labkit`` and
the worker's dataset store, both read-only at fixed paths (``SandboxJob.readonly_mounts``).

- labs/labkit/ at /opt/labkit/labkit, with /opt/labkit on the job's path: learner code and
  probes ``import labkit`` (no Django, none of the project's other code comes with it).
- ``settings.DATASET_DIR`` at /datasets, where ``labkit.datasets.load`` reads by default.
  Jobs cannot write it (read-only bind), and the directory is never writable by job users
  on the host either (provisioning writes it as root, mode 0755/0644).

Which store a job sees depends on its step. The run step, where learner code runs, sees the
store's run view (labs/dataset_store.py): the same layout without the held-out files, the
test split of MNIST, Fashion-MNIST and CIFAR-10 whose labels the judges grade against (there
``labkit.datasets.load(name, "test")`` says in Russian that the split is held out). The view
is rebuilt here, under the store's lock, when it is missing or stale; where it cannot be, the
run step sees no store at all (logged), never the whole one. The clean check step runs grader
code only and sees the whole store. scikit-learn's sets are whole in the view: they have no
split files (their judges split them with a fixed ``random_state``).

A store that does not exist is simply not mounted, and labkit then tells the learner that the
set is not installed; a store the sandbox refuses to bind (it would expose the project) is
logged and left out the same way, so labs that read no dataset keep grading.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings

from grading.sandbox.isolation import check_readonly_path
from labs.labkit.datasets import STORE_PATH

LABKIT_PARENT = "/opt/labkit"  # on the job's sys.path; the package is LABKIT_PARENT/labkit
RUN_STEP = "run"  # learner code runs: the store's run view, without the held-out files
CHECK_STEP = "check"  # the clean check step, grader code only: the whole store
logger = logging.getLogger(__name__)


def labkit_source() -> Path:
    return Path(settings.BASE_DIR) / "labs" / "labkit"


def lab_pythonpath() -> tuple[str, ...]:
    """Entries a lab job's pythonpath adds to its own directory."""
    return (LABKIT_PARENT,)


def lab_mounts(step: str) -> tuple[tuple[str, str], ...]:
    """(host directory, path in the job) pairs for the ``readonly_mounts`` of a lab job's
    ``step``: RUN_STEP (learner code runs) or CHECK_STEP (grader code only)."""
    if step not in (RUN_STEP, CHECK_STEP):
        raise ValueError(f"unknown lab job step {step!r}")
    mounts = [(str(labkit_source()), f"{LABKIT_PARENT}/labkit")]
    store = Path(settings.DATASET_DIR)
    if not store.is_dir():
        return tuple(mounts)
    problem = store_refusal(store)
    if problem:
        logger.error("DATASET_DIR is not mounted into grading jobs: %s", problem)
        return tuple(mounts)
    if step == CHECK_STEP:
        return (*mounts, (str(store), STORE_PATH))
    from labs.dataset_store import ensure_run_view  # the web process never needs it

    try:
        view = ensure_run_view(store)
        check_readonly_path(str(view))
    except (OSError, ValueError) as error:
        logger.error(
            "the run view of DATASET_DIR cannot be built, so learner code sees no dataset: %s",
            error,
        )
        return tuple(mounts)
    return (*mounts, (str(view), STORE_PATH))


def store_refusal(store: Path) -> str | None:
    """Why the sandbox would refuse to mount ``store`` (it would expose the project...);
    None if it would mount it or there is no such directory yet."""
    if not store.is_dir():
        return None
    try:
        check_readonly_path(str(store))
    except ValueError as error:
        return str(error)
    return None
