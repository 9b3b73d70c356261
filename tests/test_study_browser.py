"""End to end in headless Chromium, issue 12's walk: a learner signs up, opens a course,
searches «сверточные сети» and finds the CNN questions first (on PostgreSQL, the test
database, and on SQLite, a second server on a fresh SQLite database), opens an item, reviews
five flashcards with the keyboard, sees the counts and mastery change, and sees the course's
mind map coloured by mastery."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from seeds.loader import import_parsed, parse_paths
from tests.manage_subprocess import PROJECT_DIR, SCRUBBED, copy_seeded_sqlite
from tests.seed_files import ALL_SEEDS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-unusual-passphrase"
CNN = re.compile(r"свёрточн|сверточн|CNN", re.IGNORECASE)


def sign_up(page: Page, username: str) -> None:
    page.goto("/")
    page.get_by_role("button", name="Зарегистрироваться").first.click()
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Электронная почта").fill(f"{username}@example.com")
    page.get_by_label("Пароль", exact=True).fill(PASSWORD)
    page.get_by_label("Подтверждение пароля").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_text("Добро пожаловать!")).to_be_visible()


def search_cnn_first(page: Page) -> None:
    """From the home page: open the course, its Q&A bank, search; the CNN questions lead."""
    page.locator("main").get_by_role(
        "link", name=re.compile("Специалист по глубокому")
    ).first.click()
    expect(page.get_by_role("heading", name="Программа курса")).to_be_visible()
    page.locator("main").get_by_role("link", name="Банк вопросов").click()
    expect(page.get_by_role("heading", name="Банк вопросов")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("searchbox", name="Поиск по вопросам и ответам").fill("сверточные сети")
    expect(page).to_have_url(re.compile(r"[?&]q="))
    summaries = page.locator("article.qa-item summary")
    expect(summaries.first).to_contain_text(CNN)
    for index in range(3):
        assert CNN.search(summaries.nth(index).inner_text()), summaries.nth(index).inner_text()
    expect(summaries.first.locator("mark").first).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True  # htmx swapped the list


def test_a_learner_searches_studies_flashcards_and_sees_mastery_on_postgresql(page):
    import_parsed(parse_paths(ALL_SEEDS))
    sign_up(page, "lena")
    search_cnn_first(page)

    # Open the first item: the answer is open, the source file is not shown to a learner.
    page.locator("article.qa-item").first.get_by_role("link", name="Ссылка").click()
    expect(page.locator("article.qa-item details")).to_have_attribute("open", "")
    expect(page.locator("main")).not_to_contain_text(".txt")

    # The dashboard before studying.
    page.get_by_role("banner").get_by_role("link", name="Карточки", exact=True).click()
    course = page.locator("section.study-course", has_text="Специалист по глубокому")
    expect(course.locator(".course-mastery")).to_contain_text("пока нет данных")
    expect(course.locator(".count-new")).to_have_text("Новые: 20")
    course.get_by_role("button", name="Учить колоду курса").click()

    # Five cards, keyboard only: Space shows the answer, 3 rates it Good; no page reloads.
    page.evaluate("window.stillTheSamePage = true")
    counts = page.locator("#deck-counts .count-new")
    expect(counts).to_have_text("Новые: 20")
    for done in range(1, 6):
        question = page.locator(".card-question").inner_text()
        answer = page.locator(".card-answer")
        expect(answer).to_be_hidden()
        page.keyboard.press("Space")
        expect(answer).to_be_visible()
        expect(page.locator("button[data-rating='3'] .interval")).to_have_text("10 минут")
        page.keyboard.press("3")
        expect(counts).to_have_text(f"Новые: {20 - done}")
        expect(page.locator(".card-question")).not_to_have_text(question)
    assert page.evaluate("window.stillTheSamePage") is True

    # The dashboard after: fewer new cards today, mastery measured, due count shown.
    page.get_by_role("banner").get_by_role("link", name="Карточки", exact=True).click()
    course = page.locator("section.study-course", has_text="Специалист по глубокому")
    expect(course.locator(".count-new")).to_have_text("Новые: 15")
    expect(course.locator(".course-mastery")).to_have_text(re.compile(r"Освоение: \d+%"))
    expect(course.locator(".count-due")).to_have_text(re.compile(r"К повторению: \d+"))

    # The course's mind map, coloured by this learner's mastery.
    course.locator(".mindmap-links a").first.click()
    expect(page.locator("figure.mindmap.by-mastery svg")).to_be_visible()
    expect(page.locator(".mastery-legend")).to_be_visible()
    coloured = page.locator("g.mindmap-node:is(.level-0, .level-1, .level-2, .level-3, .level-4)")
    assert coloured.count() >= 1
    fill = coloured.first.locator("rect").evaluate("rect => getComputedStyle(rect).fill")
    assert fill not in ("", "none")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sqlite_server(seeded_sqlite, tmp_path):
    """The site on a fresh SQLite database (migrated, seeds imported), as `make run` has it."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    path = copy_seeded_sqlite(seeded_sqlite, tmp_path)
    env.update({"DATABASE_URL": f"sqlite:///{path}", "VAR_DIR": str(tmp_path)})
    env.pop("CELERY_BROKER_URL", None)
    env.pop("CELERY_RESULT_BACKEND", None)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"],
        cwd=PROJECT_DIR, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/accounts/login/", timeout=2)  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the SQLite server did not start")
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_learner_finds_the_cnn_questions_first_on_sqlite(browser, sqlite_server):
    context = browser.new_context(base_url=sqlite_server, locale="ru-RU")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_up(page, "sveta")
        search_cnn_first(page)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_study_and_search_pages_fit_a_phone_in_both_languages(browser, live_server, language):
    """390 px wide: the main content of each page of this work scrolls only vertically (the
    site header is another change's)."""
    from django.test import Client

    from tests.factories import LearnerFactory

    import_parsed(parse_paths(ALL_SEEDS))
    learner = LearnerFactory(username=f"phone-{language}")
    client = Client()
    client.force_login(learner)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="ru-RU"
    )
    context.add_cookies([
        {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url},
        {"name": "django_language", "value": language, "url": live_server.url},
    ])  # fmt: skip
    page = context.new_page()
    try:
        for url in (
            "/study/deep-learning/review/",
            "/study/",
            "/study/settings/",
            "/courses/deep-learning/questions/?q=%D1%81%D0%B2%D0%B5%D1%80%D1%82%D0%BE%D1%87%D0%BD%D1%8B%D0%B5",
            "/courses/deep-learning/cases/1/?solution=1",
            "/courses/deep-learning/mindmaps/1/",
        ):
            page.goto(url)
            if "review" in url:
                page.keyboard.press("Space")
                expect(page.locator(".card-answer")).to_be_visible()
            assert page.locator("html").get_attribute("lang") == language
            widest = page.evaluate(
                "() => Math.max(...[...document.querySelectorAll('main *')]"
                ".filter(e => !e.closest('figure.mindmap'))"
                ".map(e => e.getBoundingClientRect().right))"
            )
            assert widest <= 390.5, (
                url,
                widest,
                page.evaluate(
                    "() => [...document.querySelectorAll('main *')]"
                    ".filter(e => e.getBoundingClientRect().right > 390.5)"
                    ".slice(0, 5).map(e => e.tagName + '.' + e.className + ' '"
                    " + e.textContent.slice(0, 60))"
                ),
            )
    finally:
        context.close()
