"""Production settings refuse unsafe values and pass Django's deployment checks."""

import secrets

import pytest

from tests.manage_subprocess import run_manage

PRODUCTION = {
    "PLATFORM_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "courses.example.com",
    "DEBUG": "false",
    "CACHE_URL": "redis://127.0.0.1:6379/14",
}


def test_check_deploy_is_clean_with_production_like_variables():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "true"}, "DEBUG"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
    ],
)
def test_it_refuses_to_start_with_an_unsafe_value(override, named):
    env = {**PRODUCTION, **override}
    if override.get("SECRET_KEY") == "":
        env.pop("SECRET_KEY")  # unset: the built-in development key would be used
    result = run_manage("check", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"Configuration error: {named}:")
    assert "Traceback" not in result.stderr
