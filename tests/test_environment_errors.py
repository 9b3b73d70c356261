"""A wrong environment gets one clear line naming the variable, never a traceback."""

import pytest

from tests.manage_subprocess import run_manage

POSTGRES = "postgres://u@127.0.0.1:5432/x"
PREPARE = "DATABASE_PREPARE_THRESHOLD"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_URL": "mysql://root@127.0.0.1/x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://[::1"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://127.0.0.1:5432/"}, "DATABASE_URL"),
        ({"CELERY_BROKER_URL": "amqp://guest@127.0.0.1//"}, "CELERY_BROKER_URL"),
        ({"CELERY_BROKER_URL": "not a url"}, "CELERY_BROKER_URL"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"PLATFORM_ENV": "staging"}, "PLATFORM_ENV"),
        ({"DATABASE_CONN_MAX_AGE": "forever"}, "DATABASE_CONN_MAX_AGE"),
        ({"DATABASE_URL": POSTGRES, PREPARE: "often"}, PREPARE),
        ({"DATABASE_URL": POSTGRES, PREPARE: "-1"}, PREPARE),
    ],
)
def test_a_malformed_variable_is_named(env, named):
    result = run_manage("check", env=env)
    assert result.returncode == 2
    assert f"{named}:" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_named():
    result = run_manage("migrate", env={"DATABASE_URL": "postgres://postgres@127.0.0.1:1/x"})
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
