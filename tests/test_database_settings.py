"""PostgreSQL connections bind parameters on the server and prepare a query run again on the
same connection (planning cost more than running most of the site's queries); a pooler in
transaction mode needs prepared statements off, which DATABASE_PREPARE_THRESHOLD=0 does."""

from config.settings import database_from_env

POSTGRES = "postgres://u@127.0.0.1:5432/x"


def test_postgresql_prepares_repeated_queries_by_default(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    monkeypatch.delenv("DATABASE_PREPARE_THRESHOLD", raising=False)
    options = database_from_env()["OPTIONS"]
    assert options["server_side_binding"] is True and options["prepare_threshold"] == 5


def test_a_threshold_of_0_turns_prepared_statements_off(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    monkeypatch.setenv("DATABASE_PREPARE_THRESHOLD", "0")
    assert database_from_env()["OPTIONS"]["prepare_threshold"] is None


def test_sqlite_has_no_such_options(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    options = database_from_env()["OPTIONS"]
    assert "prepare_threshold" not in options and "server_side_binding" not in options
