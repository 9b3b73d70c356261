"""The one-command start's database (SQLite) searches with a real FTS5 index over Snowball
stems, made by the migration and kept in step by triggers; the relevance queries reach the
same floor as on PostgreSQL. Run on a fresh SQLite database in subprocesses (the suite itself
runs on PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.search_relevance import evaluate_on_sqlite
from tests.manage_subprocess import PROJECT_DIR, copy_seeded_sqlite

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture
def sqlite_env(seeded_sqlite, tmp_path):
    path = copy_seeded_sqlite(seeded_sqlite, tmp_path)
    return {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}


def test_the_sqlite_index_is_fts5_over_stems_and_follows_every_write(sqlite_env):
    output = subprocess.run(
        [sys.executable, "-m", "tests.sqlite_search_checks"], cwd=PROJECT_DIR, env=sqlite_env,
        check=True, capture_output=True, text=True, timeout=300,
    ).stdout  # fmt: skip
    result = json.loads(output.strip().splitlines()[-1])
    assert result["vendor"] == "sqlite"
    assert result["fts5_table"] and result["indexed"] == result["items"] > 100
    assert result["triggers"] == [
        "courses_qaitem_fts_delete", "courses_qaitem_fts_insert", "courses_qaitem_fts_update",
    ]  # fmt: skip
    assert result["same_for_case_and_yo"]
    assert all("сверточн" in q.lower().replace("ё", "е") for q in result["cnn_first"])
    assert result["odd_ok"]
    for check in ("found_after_update", "gone_after_update", "found_after_insert",
                  "gone_after_delete"):  # fmt: skip
        assert result[check], check


def test_the_relevance_queries_reach_the_floor_on_sqlite(seeded_sqlite):
    result = evaluate_on_sqlite(seeded_sqlite)
    assert len(result["queries"]) >= 20
    assert result["recall_at_10"] >= 0.85, [q for q in result["queries"] if q["recall"] < 1]
