"""A course's reading material, public to visitors: cases, role-play games, mind maps drawn as
SVG maps with the same tree as a list, literature and related courses."""

from __future__ import annotations

import html
import re

import pytest
from django.db import transaction
from django.utils import timezone

from courses.models import CaseStudy, LiteratureEntry, MindMap, RelatedCourse, RolePlay
from seeds.loader import import_parsed, parse_paths
from tests.seed_files import ALL_SEEDS


@pytest.fixture(scope="module")
def seeds(django_db_setup, django_db_blocker):
    """The four seed documents, imported once for the module and rolled back after it; each
    test runs in a savepoint inside."""
    with django_db_blocker.unblock(), transaction.atomic():
        import_parsed(parse_paths(ALL_SEEDS))
        yield
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeds")]


def tree_labels(tree: dict) -> list[str]:
    return [tree["label"], *(label for child in tree["children"] for label in tree_labels(child))]


def text(body: str) -> str:
    return html.unescape(body)


def test_a_case_shows_the_task_and_its_solution_only_on_demand(client, ivan):
    case = CaseStudy.objects.get(course__slug="ml-engineer", number=1)
    titles = [section["title"] for section in case.sections]
    task_end = titles.index("Задача") + 1
    body = text(client.get("/courses/ml-engineer/cases/1/").content.decode())
    assert f"<h1>{case.title}</h1>" in body
    for title in titles[:task_end]:
        assert f"<h2>{title}</h2>" in body
    for section in case.sections[task_end:]:
        assert f"<h2>{section['title']}</h2>" not in body
        assert section["text"].splitlines()[0].strip() not in body
    assert "<li>Логи кликов и просмотров товаров (clickstream).</li>" in body
    assert 'href="?solution=1#case-solution"' in body and 'hx-get="?solution=1"' in body
    # Asked for: the whole page without JS, the solution alone for htmx.
    opened = text(client.get("/courses/ml-engineer/cases/1/?solution=1").content.decode())
    for title in titles:
        assert f"<h2>{title}</h2>" in opened
    url = "/courses/ml-engineer/cases/1/?solution=1"
    fragment = client.get(url, headers={"HX-Request": "true"})
    fragment = text(fragment.content.decode())
    assert fragment.lstrip().startswith('<div id="case-solution"') and "<html" not in fragment
    assert f"<h2>{titles[task_end]}</h2>" in fragment
    # The seed file and lines are for staff only.
    source = f"{case.source_file}, строки {case.source_first_line}–{case.source_last_line}"
    assert source not in body
    client.force_login(ivan)
    assert source in text(client.get("/courses/ml-engineer/cases/1/").content.decode())


def test_a_case_solution_keeps_its_nested_lists_nested(client):
    body = text(client.get("/courses/deep-learning/cases/1/?solution=1").content.decode())
    solution = body[body.index("<h2>Решение</h2>") :]
    # "1. Проблема: ..." owns "- Признак:" and "- Решение:", which owns its own bullets.
    first = solution[solution.index("<ol>") :]
    assert re.match(r"<ol><li>Проблема: Сильный дисбаланс классов<ul><li>Признак: ", first)
    nested = first[first.index("<li>Решение:") :]
    assert re.match(r"<li>Решение:<ul><li>Использовать взвешенную функцию потерь", nested)
    assert "<li>Проблема: Неэффективные аугментации<ul>" in first


def test_a_role_play_shows_roles_as_cards_and_stages_as_a_timeline(client):
    roleplay = RolePlay.objects.get(course__slug="deep-learning", number=1)
    body = text(client.get("/courses/deep-learning/roleplays/1/").content.decode())
    assert body.count('<article class="role-card">') == len(roleplay.roles)
    for role in roleplay.roles:
        assert f"<h3>{role['title']}</h3>" in body
    timeline = body[
        body.index('<ol class="timeline">') : body.index("</ol>", body.index("timeline"))
    ]
    positions = [timeline.index(stage["title"]) for stage in roleplay.stages]
    assert positions == sorted(positions) and len(positions) == timeline.count("<li")
    assert timeline.count('<small class="stage-duration">') == len(roleplay.stages)
    assert '<small class="stage-duration">15 мин</small>' in timeline
    for heading, field in (("Цель", "goal"), ("Сеттинг", "setting"), ("Результаты", "results")):
        assert f"<h2>{heading}</h2>" in body
        assert getattr(roleplay, field).splitlines()[0].strip() in body
    for effect in roleplay.effects:
        assert f"<li>{effect}</li>" in body
    for challenge in roleplay.challenges:
        assert f"<li>{challenge}</li>" in body


def test_a_mind_map_is_drawn_as_an_svg_with_one_box_per_node(client):
    for mindmap in MindMap.objects.all():
        url = f"/courses/{mindmap.course.slug}/mindmaps/{mindmap.number}/"
        body = client.get(url).content.decode()
        svg = body[body.index("<svg") : body.index("</svg>")]
        labels = tree_labels(mindmap.tree)
        assert svg.count('<g class="mindmap-node ') == len(labels)
        assert svg.count("<rect ") == len(labels)
        assert svg.count('<path class="mindmap-edge') == len(labels) - 1
        assert re.search(r'viewBox="0 0 \d+ \d+"', svg)
        assert "," not in re.search(r"<rect [^>]*>", svg).group(0)  # no decimal commas in ru


def test_the_mind_map_is_also_a_nested_list_of_every_label(client):
    mindmap = MindMap.objects.get(course__slug="deep-learning", number=2)
    body = text(client.get("/courses/deep-learning/mindmaps/2/").content.decode())
    outline = body[body.index('id="mindmap-outline"') :]
    for label in tree_labels(mindmap.tree):
        assert f"<li>{label}" in outline
    assert outline.count("<li>") == len(tree_labels(mindmap.tree))
    svg = body[body.index("<svg") : body.index("</svg>")]
    assert 'role="img"' in svg and 'aria-describedby="mindmap-outline"' in svg


def test_the_reading_page_lists_literature_and_related_courses(client):
    literature = LiteratureEntry.objects.filter(course__slug="ml-engineer")
    related = RelatedCourse.objects.filter(course__slug="ml-engineer")
    RelatedCourse.objects.filter(pk=related.last().pk).update(retired_at=timezone.now())
    body = text(client.get("/courses/ml-engineer/reading/").content.decode())
    for entry in literature:
        assert f"<h3>{entry.title}</h3>" in body
    assert f"<dt>{literature[0].details[0][0]}</dt>" in body
    titles = [r.title for r in related.order_by("position")]
    assert body.count("<h3>") == len(literature) + len(titles) - 1
    assert f"<h3>{titles[0]}</h3>" in body


def test_the_reading_material_takes_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    for url, limit in (
        ("/courses/deep-learning/cases/2/", 2),
        ("/courses/deep-learning/roleplays/3/", 2),
        ("/courses/ml-engineer/mindmaps/1/", 2),
        ("/courses/deep-learning/reading/", 3),
    ):
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200, url


def test_retired_or_missing_material_is_404(client):
    now = timezone.now()
    RolePlay.objects.filter(course__slug="deep-learning", number=2).update(retired_at=now)
    MindMap.objects.filter(course__slug="deep-learning", number=3).update(retired_at=now)
    for url in (
        "/courses/deep-learning/roleplays/2/",
        "/courses/deep-learning/mindmaps/3/",
        "/courses/deep-learning/cases/9/",
        "/courses/ml-engineer/roleplays/99/",
    ):
        assert client.get(url).status_code == 404, url
    body = client.get("/courses/deep-learning/").content.decode()
    assert "/roleplays/2/" not in body and "/mindmaps/3/" not in body
