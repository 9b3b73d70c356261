"""The one-command start's database (SQLite) keeps the flashcard rules too: the queue's
hand-written query runs there with the deck's ids as JSON, and every rating goes through the
rule (`rate_card`; the fast path is PostgreSQL's). The flashcard and queue modules are run on a
fresh SQLite database in a subprocess (the suite itself runs on PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.manage_subprocess import PROJECT_DIR

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_the_flashcard_and_queue_tests_pass_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         "tests/test_study_flashcards.py", "tests/test_study_queue.py"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert "failed" not in summary and " passed" in summary, summary
    assert "1 skipped" in summary  # only the row-lock race, which needs PostgreSQL
