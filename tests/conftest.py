"""Shared fixtures: personas, a real Celery worker on the real Redis, and headless Chromium.

The suite runs on PostgreSQL and Redis (see `make test`). Integration tests that need a worker
or a browser see committed data only, so they use `transactional_db` / `live_server`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tomllib
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
def _fresh_throttle_counters():
    """Throttle counters (accounts/throttling.py) live in the cache: each test starts at zero,
    so logging in as alice in one test does not count against her in the next; and pages
    cache content that tests change (in the shared cache and in the process's own)."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield


@pytest.fixture(scope="session", autouse=True)
def dataset_store(tmp_path_factory) -> Iterator[Path]:
    """The dataset store of this test session (DATASET_DIR, also for the worker processes that
    tests start), never the machine's; empty until ``generated_datasets`` fills it."""
    store = tmp_path_factory.mktemp("dataset-store") / "datasets"
    saved_setting, saved_env = settings.DATASET_DIR, os.environ.get("DATASET_DIR")
    settings.DATASET_DIR = store
    os.environ["DATASET_DIR"] = str(store)
    yield store
    settings.DATASET_DIR = saved_setting
    if saved_env is None:
        os.environ.pop("DATASET_DIR", None)
    else:
        os.environ["DATASET_DIR"] = saved_env


@pytest.fixture(scope="session")
def generated_datasets(dataset_store: Path) -> Path:
    """The session's store filled with the generated sets (seed 0, small sizes), as
    `manage.py provision_datasets --generate` writes them."""
    from labs.dataset_store import generate

    generate(dataset_store, seed=0)
    return dataset_store


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


# A copy of dl-07-iou whose judge is one version newer: the session's worker grades with it,
# so that regrading can be tried end to end without touching the real catalogue.
REGRADE_LAB_SLUG = "regrade-iou"


@pytest.fixture(scope="session")
def worker_lab_catalog(tmp_path_factory) -> Path:
    """The catalogue the session's worker reads: the project's labs, plus REGRADE_LAB_SLUG."""
    import shutil

    catalog = tmp_path_factory.mktemp("lab-catalog")
    for folder in Path(settings.LAB_CATALOG_DIR).iterdir():
        if (folder / "lab.toml").exists():
            shutil.copytree(
                folder, catalog / folder.name, ignore=shutil.ignore_patterns("__pycache__")
            )
    newer = catalog / REGRADE_LAB_SLUG
    shutil.copytree(catalog / "dl-07-iou", newer)
    toml = (newer / "lab.toml").read_text(encoding="utf-8")
    version = tomllib.loads(toml).get("judge_version", 1) + 1
    toml = re.sub(r"(?m)^judge_version\s*=.*\n", "", toml)
    (newer / "lab.toml").write_text(f"judge_version = {version}\n" + toml, encoding="utf-8")
    return catalog


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup, django_db_blocker, worker_lab_catalog
) -> Iterator[subprocess.Popen]:
    """A real `celery worker` process on the real broker, using the test database, listening
    to every queue in the order production workers do, with the catalogue of
    ``worker_lab_catalog``."""
    from config.celery import app

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("integration tests need CELERY_BROKER_URL=redis://... (make test sets it)")
    from grading.queues import worker_queues

    queues = ",".join(worker_queues())
    app.control.purge()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "PYTHONUNBUFFERED": "1",
        "LAB_CATALOG_DIR": str(worker_lab_catalog),
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


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory) -> Path:
    """A SQLite database as `make run` makes it (migrated, the seeds imported), built once a
    run: it takes a quarter of a minute, and three modules want one. Take a copy
    (tests.manage_subprocess.copy_seeded_sqlite); never open this file."""
    from tests.manage_subprocess import SCRUBBED

    path = tmp_path_factory.mktemp("seeded-sqlite") / "db.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update({"DATABASE_URL": f"sqlite:///{path}", "VAR_DIR": str(path.parent)})
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        env.pop(name, None)
    for command in (["migrate", "-v0"], ["import_seeds"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=PROJECT_DIR, env=env, check=True,
            capture_output=True, timeout=300,
        )  # fmt: skip
    return path
