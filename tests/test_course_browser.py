"""End to end in headless Chromium: a visitor opens a course and one of its mind maps, drawn as
an SVG map; a learner searches the Q&A bank and htmx updates the list in place."""

import re

import pytest
from django.db.models import Q
from playwright.sync_api import expect

from courses.models import MindMap, QAItem
from seeds.loader import import_parsed, parse_paths
from tests.factories import PASSWORD, LearnerFactory
from tests.seed_files import ALL_SEEDS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeds():
    import_parsed(parse_paths(ALL_SEEDS))


def count_nodes(tree: dict) -> int:
    return 1 + sum(count_nodes(child) for child in tree["children"])


def test_a_visitor_opens_a_course_and_sees_a_mind_map_drawn_as_a_map(page, seeds):
    mindmap = MindMap.objects.get(course__slug="ml-engineer", number=1)
    page.goto("/")
    page.locator("main").get_by_role("link", name=mindmap.course.title).click()
    expect(page.get_by_role("heading", name="Программа курса")).to_be_visible()
    page.get_by_role("link", name=mindmap.title).click()

    svg = page.locator("figure.mindmap svg")
    expect(svg).to_be_visible()
    expect(svg.locator("g.mindmap-node")).to_have_count(count_nodes(mindmap.tree))
    expect(svg.locator("path.mindmap-edge")).to_have_count(count_nodes(mindmap.tree) - 1)
    box = svg.bounding_box()
    assert box["width"] > 600 and box["height"] > 300  # drawn, not collapsed to nothing
    expect(page.locator("#mindmap-outline li").first).to_contain_text(mindmap.tree["label"])


def test_a_learner_searches_the_question_bank_and_the_list_updates(page, seeds):
    LearnerFactory(username="masha")
    page.goto("/accounts/login/?next=/courses/deep-learning/questions/")
    page.get_by_label("Имя пользователя").fill("masha")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", name="Банк вопросов")).to_be_visible()
    expect(page.locator("article.qa-item")).to_have_count(20)

    # A marker on the window survives only if the list is swapped in place, not reloaded.
    page.evaluate("window.stillTheSamePage = true")
    items = QAItem.objects.live().filter(collection__courses__slug="deep-learning")
    onnx = items.filter(Q(question__icontains="onnx") | Q(answer__icontains="onnx")).count()
    page.get_by_role("searchbox", name="Поиск по вопросам и ответам").fill("ONNX")
    expect(page.locator(".qa-summary")).to_have_text(f"Найдено: {onnx}")
    expect(page.locator("article.qa-item")).to_have_count(onnx)
    expect(page).to_have_url(re.compile(r"[?&]q=ONNX"))

    cnn = items.filter(topics__slug="cnn").count()
    page.get_by_role("searchbox", name="Поиск по вопросам и ответам").fill("")
    page.get_by_role("radio", name=re.compile("Свёрточные нейронные сети")).check()
    expect(page.locator(".qa-summary")).to_have_text(f"Найдено: {cnn}")
    expect(page).to_have_url(re.compile(r"topic=cnn"))
    assert page.evaluate("window.stillTheSamePage") is True

    first = page.locator("article.qa-item details").first
    expect(first).not_to_have_attribute("open", "")
    first.locator("summary").click()
    expect(first).to_have_attribute("open", "")
