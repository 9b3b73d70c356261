"""What every lab job sees besides its own files: the platform's helper package ``labkit`` and
the worker's dataset store, both read-only at fixed paths (``SandboxJob.readonly_mounts``).

- labs/labkit/ at /opt/labkit/labkit, with /opt/labkit on the job's path: learner code and
  probes ``import labkit`` (no Django, none of the project's other code comes with it).
- ``settings.DATASET_DIR`` at /datasets, where ``labkit.datasets.load`` reads by default.
  Jobs cannot write it (read-only bind), and the directory is never writable by job users
  on the host either (provisioning writes it as root, mode 0755/0644).

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
logger = logging.getLogger(__name__)


def labkit_source() -> Path:
    return Path(settings.BASE_DIR) / "labs" / "labkit"


def lab_pythonpath() -> tuple[str, ...]:
    """Entries a lab job's pythonpath adds to its own directory."""
    return (LABKIT_PARENT,)


def lab_mounts() -> tuple[tuple[str, str], ...]:
    """(host directory, path in the job) pairs for a lab job's ``readonly_mounts``."""
    mounts = [(str(labkit_source()), f"{LABKIT_PARENT}/labkit")]
    store = Path(settings.DATASET_DIR)
    if store.is_dir():
        problem = store_refusal(store)
        if problem:
            logger.error("DATASET_DIR is not mounted into grading jobs: %s", problem)
        else:
            mounts.append((str(store), STORE_PATH))
    return tuple(mounts)


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
