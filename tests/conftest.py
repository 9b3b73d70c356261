"""Shared fixtures: personas, a real Celery worker on the real Redis, and headless Chromium.

The suite runs on PostgreSQL and Redis (see `make test`). Integration tests that need a worker
or a browser see committed data only, so they use `transactional_db` / `live_server`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import AdminFactory, InstructorFactory, LearnerFactory

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
# thread with a running loop unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Without these, Chromium calls home at start and is refused by the closed network.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a request in another language (the English
    switch) leaves it active on the thread, and code run outside a request would inherit it."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: pages cache content that tests change."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def alice(db):
    return LearnerFactory(username="alice")


@pytest.fixture
def bob(db):
    return LearnerFactory(username="bob")


@pytest.fixture
def ivan(db):
    """An instructor."""
    return InstructorFactory(username="ivan")


@pytest.fixture
def ada(db):
    """An admin."""
    return AdminFactory(username="ada")


def database_url_for_subprocess() -> str:
    """The URL of the database this test session really uses (the test_ one)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker) -> Iterator[subprocess.Popen]:
    """A real `celery worker` process on the real broker, using the test database."""
    from config.celery import app

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("integration tests need CELERY_BROKER_URL=redis://... (make test sets it)")
    queues = ",".join(["default", *settings.LAB_QUEUES.values()])
    app.control.purge()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = PROJECT_DIR / "var" / "test-celery-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--queues", queues,
         "--concurrency", "2", "--pool", "prefork", "--loglevel", "INFO",
         "--hostname", f"pytest-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
        cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                pytest.fail(f"the Celery worker exited early; see {log_path}")
            if app.control.ping(destination=[f"pytest-{os.getpid()}@{os.uname().nodename}"],
                                timeout=1.0):  # fmt: skip
                break
        else:
            pytest.fail(f"the Celery worker did not answer within 60 s; see {log_path}")
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        log.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (its own browser download is not used)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs the chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="ru-RU")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
