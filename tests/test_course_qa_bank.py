"""The Q&A bank of a course: for signed-in users, paginated, filtered by topic chips and a
search box, answers collapsed, topics, see-also links and sources shown, htmx swapping only the
results, a fixed number of queries per page."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from courses.models import QACollection, QAItem
from seeds.loader import import_parsed, parse_paths
from tests.seed_files import ALL_SEEDS

URL = "/courses/deep-learning/questions/"


@pytest.fixture(scope="module")
def seeds(django_db_setup, django_db_blocker):
    """The four seed documents, imported once for the module and rolled back after it; each
    test runs in a savepoint inside."""
    with django_db_blocker.unblock(), transaction.atomic():
        import_parsed(parse_paths(ALL_SEEDS))
        yield
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeds")]


@pytest.fixture
def learner_client(client, alice):
    client.force_login(alice)
    return client


def course_items(slug: str = "deep-learning"):
    return QAItem.objects.live().filter(collection__courses__slug=slug)


def item_ids(body: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<article class="qa-item" id="qa-(\d+)"', body)]


def test_visitors_are_asked_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_every_live_item_of_the_course_appears_once_over_the_pages(learner_client):
    expected = set(course_items().values_list("pk", flat=True))
    seen: list[int] = []
    page = 1
    while True:
        body = learner_client.get(URL, {"page": page}).content.decode()
        ids = item_ids(body)
        assert len(ids) <= 20
        seen += ids
        if f"page={page + 1}" not in body:
            break
        page += 1
    assert page == -(-len(expected) // 20)
    assert len(seen) == len(set(seen))
    assert set(seen) == expected
    assert not set(seen) & set(
        course_items("ml-engineer").exclude(pk__in=expected).values_list("pk", flat=True)
    )


def test_an_item_shows_its_topics_place_and_see_also_with_the_answer_collapsed(
    learner_client, client, ivan
):
    item = course_items().filter(see_also__isnull=False).distinct().order_by("pk").first()
    other = item.see_also.order_by("pk").first()
    body = learner_client.get(f"{URL}{item.pk}/").content.decode()
    assert item.question in body
    # Learners see where the item sits in the course; the seed file and lines are for staff.
    source = f"{item.source_file}, строки {item.source_first_line}–{item.source_last_line}"
    assert source not in body and item.source_file not in body
    assert item.collection.title in body
    client.force_login(ivan)
    assert source in client.get(f"{URL}{item.pk}/").content.decode()
    for topic in item.topics.all():
        assert f'<li class="chip">{topic.name}</li>' in body
    assert f'href="{URL}{other.pk}/"' in body
    # In the list the answer is folded away; the item's own page opens it.
    listing = learner_client.get(URL, {"q": item.question}).content.decode()
    card = listing[listing.index(f'id="qa-{item.pk}"') :]
    assert card.split("<summary>")[0].rstrip().endswith("<details>")
    assert "<details open>" in body


def test_see_also_links_stay_inside_the_course(learner_client):
    # Items of the ML course's own collection are not in the DL bank, even when linked.
    own = QACollection.objects.get(courses__slug="ml-engineer", title__startswith="Machine")
    foreign = QAItem.objects.filter(collection=own).first()
    assert learner_client.get(f"{URL}{foreign.pk}/").status_code == 404
    body = "".join(learner_client.get(URL, {"page": p}).content.decode() for p in range(1, 7))
    assert f'href="{URL}{foreign.pk}/"' not in body


def test_a_topic_chip_keeps_only_that_topics_items(learner_client):
    expected = set(course_items().filter(topics__slug="cnn").values_list("pk", flat=True))
    body = learner_client.get(URL, {"topic": "cnn"}).content.decode()
    assert expected and set(item_ids(body)) == expected
    assert 'value="cnn" checked' in body
    assert f"Найдено: {len(expected)}" in body
    assert "Найдено: 0" in learner_client.get(URL, {"topic": "no-such-topic"}).content.decode()


def test_the_search_box_matches_questions_and_answers_whatever_the_case(learner_client):
    expected = set(
        course_items()
        .filter(Q(question__icontains="onnx") | Q(answer__icontains="onnx"))
        .values_list("pk", flat=True)
    )
    body = learner_client.get(URL, {"q": "ONNX"}).content.decode()
    assert expected and set(item_ids(body)) == expected
    assert 'value="ONNX"' in body


def test_search_and_topic_combine(learner_client):
    expected = set(
        course_items()
        .filter(topics__slug="training")
        .filter(Q(question__icontains="градиент") | Q(answer__icontains="градиент"))
        .values_list("pk", flat=True)
    )
    body = learner_client.get(URL, {"q": "градиент", "topic": "training"}).content.decode()
    assert expected <= set(item_ids(body))
    assert set(item_ids(body)) <= set(
        course_items().filter(topics__slug="training").values_list("pk", flat=True)
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Russian full-text search")
def test_on_postgresql_the_search_understands_russian_word_forms(learner_client):
    literal = course_items().filter(
        Q(question__icontains="нейронная сеть") | Q(answer__icontains="нейронная сеть")
    )
    inflected = course_items().filter(answer__icontains="нейронных сетей").exclude(pk__in=literal)
    assert inflected.exists()
    body = learner_client.get(URL, {"q": "нейронная сеть"}).content.decode()
    found = set(item_ids(body))
    assert len(found) == 20  # a full first page; the rest is on the next ones
    everything = set()
    for page in range(1, 8):
        everything |= set(
            item_ids(
                learner_client.get(URL, {"q": "нейронная сеть", "page": page}).content.decode()
            )
        )
    assert set(inflected.values_list("pk", flat=True)) <= everything


def test_htmx_gets_the_results_alone(learner_client):
    response = learner_client.get(
        URL, {"q": "ONNX"}, headers={"HX-Request": "true", "HX-Target": "qa-results"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="qa-results"')
    assert "<html" not in body and 'name="q"' not in body
    assert "HX-Request" in response["Vary"]
    full = learner_client.get(URL, {"q": "ONNX"}, headers={"HX-Request": "true"})
    assert "<html" in full.content.decode()  # a boosted or history request gets the page


def test_the_filter_form_works_with_and_without_htmx(learner_client):
    body = learner_client.get(URL, {"topic": "rnn"}).content.decode()
    start = body.index('<form method="get"')
    form = body[start : body.index("</form>", start)]
    assert f'action="{URL}"' in form
    assert f'hx-get="{URL}"' in form and 'hx-target="#qa-results"' in form
    assert 'hx-push-url="true"' in form
    assert '<button type="submit">Найти</button>' in form
    assert 'type="radio" name="topic"' in form
    # Pager links are real links that keep the filter.
    body = learner_client.get(URL, {"q": "обучение"}).content.decode()
    assert 'href="?q=%D0%BE%D0%B1%D1%83%D1%87%D0%B5%D0%BD%D0%B8%D0%B5&amp;page=2"' in body


def test_every_page_of_the_bank_takes_the_same_number_of_queries(
    learner_client, django_assert_max_num_queries
):
    learner_client.get(URL)  # the course's lookup is cached for a minute from here on
    counts = []
    for params in ({}, {"page": 3}, {"topic": "training"}, {"q": "сеть", "page": 2}):
        with django_assert_max_num_queries(12) as captured:
            assert learner_client.get(URL, params).status_code == 200
        counts.append(len(captured.captured_queries))
    assert len(set(counts)) == 1
    with django_assert_max_num_queries(9):
        learner_client.get(
            URL, {"q": "сеть"}, headers={"HX-Request": "true", "HX-Target": "qa-results"}
        )


def test_retired_items_and_collections_are_hidden(learner_client):
    now = timezone.now()
    item = course_items().filter(see_also__isnull=False).distinct().order_by("pk").first()
    linked = item.see_also.order_by("pk").first()
    QAItem.objects.filter(pk=linked.pk).update(retired_at=now)
    telegram = QACollection.objects.get(title__startswith="Библиотека собеса")
    telegram.retired_at = now
    telegram.save()
    body = learner_client.get(URL, {"q": item.question}).content.decode()
    assert item.question in body and f'href="{URL}{linked.pk}/"' not in body
    assert learner_client.get(f"{URL}{linked.pk}/").status_code == 404
    listed = set()
    for page in range(1, 7):
        listed |= set(item_ids(learner_client.get(URL, {"page": page}).content.decode()))
    assert not listed & set(telegram.items.values_list("pk", flat=True))
    assert linked.pk not in listed
