"""Every page a learner, an instructor and an admin reach fits a 390 px phone and a 1280 px
desktop in Chromium: the document is exactly as wide as the viewport (nothing scrolls the page
sideways), no heading breaks a word, and the text of every SVG picture (the statistics charts,
the mastery rings, the mind maps) is legible. The pages are discovered from the URL resolver
and the imported seeds (tests/site_pages.py), so pages added later are walked too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.site_pages import build_site, discover_pages, unfillable_routes

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1280)
HEIGHT = 900

# Measures one page: see the comments in the script.
MEASURE = (Path(__file__).parent / "layout_measure.js").read_text(encoding="utf-8")


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def problems_on(page, urls: list[str]) -> list[str]:
    problems = []
    for url in urls:
        page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        page.goto(url, wait_until="load")
        problems += measured(page, url)
    return problems


def measured(page, where: str) -> list[str]:
    """The problems of the page the browser shows now, at each width in turn: the page is laid
    out again for each (its CSS is all media queries; no script sizes anything on load), so one
    load serves both, and the walk no longer loads every page twice."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        found = page.evaluate(MEASURE)
        at = f"{where} @ {found['viewport']}px"
        if found["viewport"] != width:
            problems.append(f"{at}: the viewport did not become {width}px")
        if found["width"] != found["viewport"]:
            problems.append(f"{at}: document {found['width']}px wide; {found['wide']}")
        if found["broken"]:
            problems.append(f"{at}: heading words broken across lines: {found['broken']}")
        if found["tiny"]:
            problems.append(f"{at}: SVG text under 11px: {found['tiny']}")
    return problems


@pytest.fixture
def site(db):
    return build_site()


def walk(browser, live_server, user, urls: list[str], then=None) -> list[str]:
    """Load every URL as ``user`` (None: a visitor), loaded at the phone's width and measured
    at each; ``then(page)`` may go on to pages that only a form leads to and return their
    problems."""
    context = browser.new_context(
        base_url=live_server.url, locale="ru-RU", viewport={"width": WIDTHS[0], "height": HEIGHT}
    )
    page = context.new_page()
    if user is not None:
        log_in(page, user.username)
    problems = problems_on(page, urls)
    if then is not None:
        page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        problems += then(page)
    context.close()
    return problems


def test_every_page_a_visitor_reaches_fits_a_phone_and_a_desktop(browser, live_server, site):
    pages = discover_pages(None)
    assert {"/", "/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"} <= set(pages)
    problems = walk(browser, live_server, None, pages)
    assert not problems, "\n".join(problems)


def test_every_route_can_be_walked(site):
    for user in (site.learner, site.instructor, site.admin):
        assert unfillable_routes(user) == []


def test_every_page_a_learner_reaches_fits_a_phone_and_a_desktop(browser, live_server, site):
    pages = discover_pages(site.learner)
    # The walk found the learner's pages, seeded content included (guards against a walk
    # that finds nothing and passes).
    expected = {"/", "/courses/", "/courses/deep-learning/questions/", "/quizzes/",
                "/quizzes/history/", "/courses/ml-engineer/mindmaps/3/", "/labs/"}  # fmt: skip
    assert expected <= set(pages)
    assert any(url.startswith("/submissions/") for url in pages)
    assert any(url.endswith("/result/") for url in pages)
    # Exams (one being sat, results graded and published) and flashcards.
    assert {"/exams/", "/study/", "/study/settings/", "/study/deep-learning/review/"} <= set(pages)
    assert any(re.fullmatch(r"/exams/sessions/\d+/", url) for url in pages)
    assert len([url for url in pages if re.fullmatch(r"/exams/sessions/\d+/result/", url)]) >= 2
    running = next(url for url in pages if re.fullmatch(r"/quizzes/attempts/\d+/", url))

    def finish_with_unanswered_questions(page) -> list[str]:
        page.goto(running)
        page.get_by_role("button", name="Сдать тест").click()
        expect(page.get_by_role("heading", name=re.compile("нет ответа"))).to_be_visible()
        return measured(page, "the confirmation before finishing")

    problems = walk(
        browser, live_server, site.learner, pages, then=finish_with_unanswered_questions
    )
    assert not problems, "\n".join(problems)


def test_every_page_an_instructor_reaches_fits_a_phone_and_a_desktop(browser, live_server, site):
    learner_pages = set(discover_pages(site.learner))
    pages = [url for url in discover_pages(site.instructor) if url not in learner_pages]
    assert {"/quizzes/manage/", "/quizzes/manage/drafts/", "/accounts/learners/"} <= set(pages)
    assert any(url.endswith("/reference-solutions/") for url in pages)
    assert any(url.endswith("/analysis/") for url in pages)
    exams = {"/exams/manage/", "/exams/manage/grading/",
             "/exams/manage/courses/deep-learning/gradebook/"}  # fmt: skip
    assert exams <= set(pages)
    for kind in (r"sets/\d+/", r"sets/\d+/print/", r"tickets/\d+/", r"exams/\d+/rubric/"):
        assert any(re.fullmatch(rf"/exams/manage/{kind}", url) for url in pages), kind
    assert len([u for u in pages if re.fullmatch(r"/exams/manage/sessions/\d+/", u)]) == 3
    assert any(url.startswith("/study/learners/") for url in pages)

    def preview_a_generated_set(page) -> list[str]:
        page.goto("/exams/manage/courses/deep-learning/generate/")
        page.locator("input[name=count]").fill("6")
        page.locator("input[name=seed]").fill("7")
        page.locator("button[value=preview]").click()
        expect(page.locator("article.preview-ticket")).to_have_count(6)
        return measured(page, "the preview of a generated ticket set")

    problems = walk(
        browser, live_server, site.instructor, ["/", *pages], then=preview_a_generated_set
    )
    assert not problems, "\n".join(problems)


def test_every_page_an_admin_reaches_fits_a_phone_and_a_desktop(browser, live_server, site):
    seen = set(discover_pages(site.learner)) | set(discover_pages(site.instructor))
    pages = [url for url in discover_pages(site.admin) if url not in seen]
    assert "/admin/" in pages and "/admin/seeds/importrun/upload/" in pages
    assert any(
        url.startswith("/admin/assessments/mcq/") and url.endswith("/change/") for url in pages
    )
    problems = walk(browser, live_server, site.admin, ["/", *pages])
    assert not problems, "\n".join(problems)


def test_the_phone_menu_opens_and_shows_every_link(browser, live_server, site):
    context = browser.new_context(
        base_url=live_server.url, locale="ru-RU", viewport={"width": 390, "height": 800}
    )
    page = context.new_page()
    log_in(page, site.admin.username)
    logout = page.get_by_role("button", name="Выйти")
    expect(logout).to_be_hidden()
    page.get_by_text("Меню").click()
    expect(logout).to_be_visible()
    box = logout.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    context.close()
