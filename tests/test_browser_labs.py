"""End to end in headless Chromium: a learner solves both labs in the browser editor and
watches the grade arrive, through a real Celery worker, Redis and the sandbox."""

import re

import pytest
from playwright.sync_api import expect

from labs.catalog import load_lab
from labs.sync import sync_labs
from tests.factories import PASSWORD, LearnerFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("link", name=username)).to_be_visible()


@pytest.mark.parametrize("slug", ["dl-07-iou", "dl-10-mlops-onnx-pipeline"])
def test_a_learner_solves_a_lab_in_the_browser(page, celery_worker_process, slug):
    sync_labs()
    LearnerFactory(username="masha")
    log_in(page, "masha")
    page.get_by_role("link", name="Лабораторные").first.click()
    page.get_by_role("link", name=load_lab(slug).title).click()
    expect(page.locator(".CodeMirror")).to_be_visible()

    # First a wrong attempt: the starter raises NotImplementedError everywhere.
    page.get_by_role("button", name="Отправить на проверку").click()
    status = page.locator("#submission-status")
    expect(status).to_have_attribute("data-status", re.compile("done|failed"), timeout=90_000)
    expect(page.locator("tr.failed").first).to_be_visible()

    page.get_by_text("Вернуться к лабораторной").click()
    reference = (load_lab(slug).folder / "reference.py").read_text(encoding="utf-8")
    page.evaluate("code => window.solutionEditor.setValue(code)", reference)
    page.get_by_role("button", name="Отправить на проверку").click()

    expect(status).to_have_attribute("data-status", "done", timeout=90_000)
    expect(status.locator(".score")).to_have_text("100%")
    assert page.locator("tr.failed").count() == 0
    assert page.locator("tr.passed").count() == len(load_lab(slug).tests)

    page.get_by_text("Вернуться к лабораторной").click()
    expect(page.get_by_text("Лучший результат")).to_be_visible()
