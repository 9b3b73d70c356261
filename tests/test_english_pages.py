"""In English mode every page a learner, an instructor and an admin reach says nothing in
Russian except content: the seeds' texts, lab statements and what people typed. Each run of
Cyrillic text on a page must come from the database; anything else is UI text that missed the
catalog. The pages are discovered as in the layout test (tests/site_pages.py); so are the
files they download (a CSV is read as a table, not as a page: its column headings and
values follow the same rule), and a page only a form leads to (a generated set's preview)."""

from __future__ import annotations

import csv
import io
import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client

from tests.site_pages import build_site, discover_pages

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# A run of Cyrillic words with what joins them inside a phrase.
CYRILLIC_RUN = re.compile(
    r"[\u0400-\u04FF][\u0400-\u04FF0-9\s,.:;!?«»()\-–—/%]*[\u0400-\u04FF.»)]?"
)


class VisibleText(HTMLParser):
    """Text a person reads: element text and the attributes shown to them."""

    SHOWN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "value")
    HIDDEN = ("script", "style")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
        for name, value in attrs:
            if (
                name in self.SHOWN_ATTRIBUTES
                and value
                and not (tag == "input" and name == "value" and ("type", "hidden") in attrs)
            ):
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(data)


def content_corpus() -> str:
    """Every text the database holds: the seeds, labs, quizzes, submissions, people's input."""
    parts: list[str] = []
    for model in apps.get_models():
        names = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model._default_manager.values_list(*names) if names else []:
            parts.extend(str(value) for value in row if value)
    return "\n".join(parts)


def django_russian() -> str:
    """Django's own Russian texts. A few of them (an auth form's help text, the name of a
    many-to-many link) are translated once when Django is imported, in the default language,
    and stay Russian whatever the request's language: Django's behaviour, not our UI."""
    import gettext

    import django

    texts = []
    for mo in Path(django.__file__).parent.glob("**/locale/ru/LC_MESSAGES/django.mo"):
        with mo.open("rb") as handle:
            catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
        texts.extend(value for value in catalog.values() if isinstance(value, str))
    return normalised("\n".join(texts))


def normalised(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def russian_ui_text(html: str, corpus: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    leaks = []
    for text in parser.texts:
        for run in CYRILLIC_RUN.findall(normalised(text)):
            run = run.strip(" ,.:;!?()-–—/%0123456789")
            if run and run not in corpus:
                leaks.append(run)
    return leaks


@pytest.fixture
def site(db):
    return build_site()


def english_client(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def csv_table(response) -> list[list[str]]:
    """The rows of a CSV download (streamed or not; a byte-order mark allowed), in the English
    dialect: commas between fields."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_every_page_in_english_shows_no_russian_ui_text(site):
    corpus = normalised(content_corpus())
    # Django's import-time Russian is allowed on the admin's pages only, where Django draws it.
    admin_corpus = corpus + "\n" + django_russian()
    seen: set[str] = set()
    leaks: dict[str, list[str]] = {}
    files: set[str] = set()
    for user in (site.learner, site.instructor, site.admin):
        client = english_client(user)
        downloads: dict[str, str] = {}
        pages = [
            url
            for url in discover_pages(user, client=english_client(user), downloads=downloads)
            if url not in seen
        ]
        seen.update(pages)
        for url in pages:
            response = client.get(url)
            body = response.content.decode()
            assert 'lang="en"' in body or "/admin/" in url, url
            found = russian_ui_text(body, admin_corpus if url.startswith("/admin/") else corpus)
            if found:
                leaks[url] = sorted(set(found))[:5]
        for url, content_type in downloads.items():
            if not content_type.startswith("text/csv") or url in files:
                continue
            files.add(url)
            response = client.get(url)
            assert response["Content-Disposition"].startswith("attachment;"), url
            heading, *rows = csv_table(response)
            assert heading and all(len(row) == len(heading) for row in rows), url
            found = [
                run.strip(" ,.:;!?()-–—/%0123456789")
                for cell in itertools.chain(heading, *rows)
                for run in CYRILLIC_RUN.findall(normalised(cell))
            ]
            found = [run for run in found if run and run not in corpus]
            if found:
                leaks[url] = sorted(set(found))[:5]
    # A page only a form leads to: the preview of a generated ticket set.
    preview = english_client(site.instructor).post(
        "/exams/manage/courses/deep-learning/generate/",
        {"count": 6, "seed": 7, "action": "preview"},
    )
    assert preview.status_code == 200 and b"preview-ticket" in preview.content
    found = russian_ui_text(preview.content.decode(), corpus)
    if found:
        leaks["the preview of a generated set"] = sorted(set(found))[:5]
    # The walk reached the pages that matter (a walk that finds nothing must not pass).
    assert {"/", "/quizzes/", "/quizzes/manage/", "/admin/", "/exams/", "/exams/manage/",
            "/exams/manage/grading/", "/study/"} <= seen  # fmt: skip
    assert {"/study/revlog.csv", "/exams/manage/courses/deep-learning/gradebook.csv"} <= files
    assert not leaks, "\n".join(f"{url}: {found}" for url, found in leaks.items())


def test_the_check_finds_a_russian_word_that_is_not_content():
    corpus = "Специалист по глубокому обучению"
    html = (
        "<p>Course: Специалист по глубокому обучению</p><p>Выйти</p>"
        '<button title="Проверить ответ">Check</button><script>var x = "Тест";</script>'
    )
    assert russian_ui_text(html, normalised(corpus)) == ["Выйти", "Проверить ответ"]
