"""Run `manage.py` in a child process with a controlled environment, as an operator would."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Variables of the test session that must not leak into the operator's environment.
SCRUBBED = (
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "PLATFORM_ENV",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
)


def run_manage(
    *args: str,
    env: dict[str, str] | None = None,
    scrub: tuple[str, ...] = SCRUBBED,
    timeout: float = 120,
):
    """`manage.py ARGS` with the test session's environment less ``scrub``, plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if k not in scrub}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, str(PROJECT_DIR / "manage.py"), *args],
        cwd=PROJECT_DIR, env=clean, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def copy_seeded_sqlite(seeded: Path, folder: Path) -> Path:
    """A copy, in `folder`, of the `seeded_sqlite` fixture's database (no journal is left
    beside it: the commands that made it have exited)."""
    return Path(shutil.copyfile(seeded, folder / "db.sqlite3"))
