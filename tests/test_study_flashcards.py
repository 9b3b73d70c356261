"""Flashcards: a deck per course and topic, the card shows the question, the answer behind a
reveal, four ratings each with the interval it leads to; htmx swaps the next card in; a daily
cap on new cards in the learner's day; refusals change nothing; two tabs count once; the
review log downloads in the FSRS optimiser's schema."""

from __future__ import annotations

import csv
import io
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from study import decks, queue, scheduling, services
from study.models import Card, ReviewLog, StudySettings
from tests.study_helpers import make_deck, rate, shown_card

pytestmark = pytest.mark.django_db
REVIEW = "/study/dl/review/"


@pytest.fixture
def deck():
    return make_deck()


@pytest.fixture
def learner_client(client, alice, deck):
    client.force_login(alice)
    return client


def test_visitors_are_asked_to_log_in(client, deck):
    for url in ("/study/", REVIEW, "/study/settings/", "/study/revlog.csv"):
        assert client.get(url)["Location"].startswith("/accounts/login/")


def test_a_card_shows_the_question_then_the_answer_and_four_ratings_with_intervals(
    learner_client, deck
):
    body = learner_client.get(REVIEW).content.decode()
    _course, items = deck
    assert items[0].question in body
    back = body[body.index('<details class="card-back">') :]
    assert "<li>пункт один</li>" in back  # the answer, rendered as safe HTML, behind the reveal
    for rating, word in ((1, "Снова"), (2, "Трудно"), (3, "Хорошо"), (4, "Легко")):
        assert f'data-rating="{rating}"' in back and word in back
    intervals = [s.strip() for s in re.findall(r'class="interval">([^<]+)<', back)]
    assert intervals == ["1 минута", "6 минут", "10 минут", "8 дней"]
    assert 'hx-post="/study/cards/' in back and 'hx-target="#study-card"' in back
    assert "js/flashcards.js" in body


def test_rating_swaps_in_the_next_card_and_updates_the_counts(learner_client, deck, alice):
    _course, items = deck
    shown = shown_card(learner_client.get(REVIEW).content.decode())
    response = rate(learner_client, shown, 3)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section id="study-card"')
    assert 'id="deck-counts"' in body and 'hx-swap-oob="true"' in body
    assert items[1].question in body
    card = Card.objects.get(pk=shown["card"])
    assert card.state == Card.State.LEARNING and card.reps == 1 and card.version == 1
    log = ReviewLog.objects.get(card=card)
    assert (log.rating, log.state_before, log.learner_id) == (3, Card.State.NEW, alice.pk)
    assert card.due == log.due_after > log.reviewed_at


def test_without_htmx_a_rating_redirects_back_to_the_deck(learner_client):
    shown = shown_card(learner_client.get(REVIEW + "?topic=cnn").content.decode())
    response = rate(learner_client, shown, 4, htmx=False)
    assert response.status_code == 302 and response["Location"] == REVIEW + "?topic=cnn"


def test_a_topic_deck_holds_only_that_topics_items(learner_client, deck):
    _course, items = deck
    cnn = [item for item in items if item.topics.filter(slug="cnn").exists()]
    seen = []
    body = learner_client.get(REVIEW + "?topic=cnn").content.decode()
    for _ in cnn:
        shown = shown_card(body)
        seen.append(Card.objects.get(pk=shown["card"]).qa_item_id)
        body = rate(learner_client, shown, 4).content.decode()
    assert sorted(seen) == sorted(item.pk for item in cnn)
    assert "На сегодня в этой колоде больше ничего нет" in body


def test_the_daily_cap_on_new_cards_counts_in_the_learners_day(learner_client, alice):
    StudySettings.objects.create(learner=alice, new_cards_per_day=2, time_zone="Asia/Tokyo")
    body = learner_client.get(REVIEW).content.decode()
    for _ in range(2):
        body = rate(learner_client, shown_card(body), 4).content.decode()
    assert "На сегодня в этой колоде больше ничего нет" in body
    assert "Новые: 0" in body
    settings = StudySettings.objects.get(learner=alice)
    # Tokyo's midnight: the reviews were today there; shifted 20 hours later, a new day.
    now = datetime.now(UTC)
    assert queue.new_cards_left_today(alice, settings, now) == 0
    start, end = scheduling.day_bounds("Asia/Tokyo", now)
    assert queue.new_cards_left_today(alice, settings, end + timedelta(minutes=1)) == 2
    assert start.utcoffset() == timedelta(hours=9) and end - start == timedelta(days=1)


def test_a_review_is_due_for_its_whole_local_day():
    card = Card(state=Card.State.REVIEW, due=datetime(2026, 3, 2, 20, 0, tzinfo=UTC))
    # 23:00 in Moscow on 2 March is 20:00 UTC; at 21:30 UTC (00:30, 3 March) it is overdue,
    # and at 09:00 UTC on 2 March (12:00 Moscow, same local day) it is due already.
    morning = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    _start, end = scheduling.day_bounds("Europe/Moscow", morning)
    assert scheduling.is_due(card, morning, end)
    _start, end = scheduling.day_bounds("Europe/Moscow", datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    assert not scheduling.is_due(card, datetime(2026, 3, 1, 9, 0, tzinfo=UTC), end)


def test_the_time_zone_and_the_cap_are_editable_and_checked(learner_client, alice):
    response = learner_client.post(
        "/study/settings/", {"time_zone": "Asia/Vladivostok", "new_cards_per_day": 5}
    )
    assert response.status_code == 302
    settings = StudySettings.objects.get(learner=alice)
    assert (settings.time_zone, settings.new_cards_per_day) == ("Asia/Vladivostok", 5)
    bad = learner_client.post(
        "/study/settings/", {"time_zone": "Mars/Olympus", "new_cards_per_day": 5}
    )
    assert bad.status_code == 400
    assert StudySettings.objects.get(learner=alice).time_zone == "Asia/Vladivostok"
    bad = learner_client.post(
        "/study/settings/", {"time_zone": "Europe/Moscow", "new_cards_per_day": 9999}
    )
    assert bad.status_code == 400


def test_a_new_learner_gets_moscow_time(learner_client, alice):
    learner_client.get("/study/")
    assert StudySettings.objects.get(learner=alice).time_zone == "Europe/Moscow"


def state_of(card_id: int) -> tuple:
    card = Card.objects.get(pk=card_id)
    return (card.state, card.version, card.due, card.reps, ReviewLog.objects.count())


def test_a_rating_for_another_learners_card_is_refused_and_changes_nothing(
    client, alice, bob, deck
):
    client.force_login(bob)
    shown = shown_card(client.get(REVIEW).content.decode())
    before = state_of(shown["card"])
    client.force_login(alice)
    response = rate(client, shown, 3)
    assert response.status_code == 404
    assert "Это не ваша карточка" in response.content.decode()
    assert response["HX-Retarget"] == "#study-card-status"
    assert state_of(shown["card"]) == before


def test_a_replayed_rating_is_refused_and_changes_nothing(learner_client):
    shown = shown_card(learner_client.get(REVIEW).content.decode())
    assert rate(learner_client, shown, 1).status_code == 200
    # "Again" makes the card due in a minute: replay it after that, with the new version too.
    Card.objects.filter(pk=shown["card"]).update(due=datetime.now(UTC) - timedelta(minutes=5))
    before = state_of(shown["card"])
    for attempt in (shown, {**shown, "version": before[1]}):
        response = rate(learner_client, attempt, 3)
        assert response.status_code == 409
        assert state_of(shown["card"]) == before
    assert "уже записана" in response.content.decode()


def test_a_rating_of_a_card_that_is_not_due_is_refused(learner_client):
    shown = shown_card(learner_client.get(REVIEW).content.decode())
    rate(learner_client, shown, 4)  # Easy: next review in days
    before = state_of(shown["card"])
    response = rate(learner_client, {**shown, "version": before[1], "token": "fresh-token-1"}, 3)
    assert response.status_code == 409 and "ещё рано" in response.content.decode()
    assert state_of(shown["card"]) == before


@pytest.mark.parametrize(
    "changes",
    [{"rating": 7}, {"rating": "x"}, {"version": ""}, {"token": "short"}, {"token": "<script>"}],
)
def test_a_tampered_rating_form_is_refused(learner_client, changes):
    shown = shown_card(learner_client.get(REVIEW).content.decode())
    before = state_of(shown["card"])
    data = {**shown, "rating": 3, **changes}
    response = learner_client.post(
        f"/study/cards/{shown['card']}/rate/", data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    assert state_of(shown["card"]) == before


def test_two_tabs_rating_the_same_card_count_once(learner_client, client, alice):
    first = shown_card(learner_client.get(REVIEW).content.decode())
    second = shown_card(learner_client.get(REVIEW).content.decode())  # the other tab
    assert first["card"] == second["card"] and first["token"] != second["token"]
    assert rate(learner_client, first, 3).status_code == 200
    response = rate(learner_client, second, 4)
    assert response.status_code == 409
    assert "в другой вкладке" in response.content.decode()
    assert ReviewLog.objects.filter(card_id=first["card"]).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_simultaneous_ratings_of_one_card_count_once(alice):
    course, _items = make_deck()
    settings = services.settings_for(alice)
    card = queue.next_card(alice, decks.Deck(course), settings, datetime.now(UTC))
    outcomes = []
    barrier = threading.Barrier(4)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            services.rate_card(alice, card.pk, 3, 0, f"tab-token-{n}")
            outcomes.append("ok")
        except services.StudyRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    assert ReviewLog.objects.filter(card=card).count() == 1
    assert Card.objects.get(pk=card.pk).reps == 1


def test_the_review_log_downloads_in_the_fsrs_optimisers_schema(learner_client, alice, bob):
    body = learner_client.get(REVIEW).content.decode()
    ratings = [3, 1, 4]
    for rating in ratings:
        body = rate(learner_client, shown_card(body), rating).content.decode()
    response = learner_client.get("/study/revlog.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="revlog.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    logs = list(ReviewLog.objects.filter(learner=alice).order_by("reviewed_at", "id"))
    assert list(rows[0]) == [
        "card_id", "review_time", "review_rating", "review_state", "review_duration",
    ]  # fmt: skip
    assert [int(r["review_rating"]) for r in rows] == ratings
    for row, log in zip(rows, logs, strict=True):
        assert int(row["card_id"]) == log.card_id
        assert int(row["review_time"]) == int(log.reviewed_at.timestamp() * 1000)
        assert row["review_state"] == "0"  # each was new when rated
    # Only the learner's own reviews, readable by the fsrs package as ReviewLogs.
    import fsrs

    parsed = [
        fsrs.ReviewLog(
            card_id=int(r["card_id"]),
            rating=fsrs.Rating(int(r["review_rating"])),
            review_datetime=datetime.fromtimestamp(int(r["review_time"]) / 1000, UTC),
            review_duration=int(r["review_duration"]) if r["review_duration"] else None,
        )
        for r in rows
    ]
    assert len(parsed) == 3
    learner_client.force_login(bob)
    assert b"".join(learner_client.get("/study/revlog.csv").streaming_content).count(b"\n") == 1


def test_the_review_page_takes_the_same_number_of_queries_for_any_deck_size(
    learner_client, django_assert_max_num_queries
):
    counts = []
    for _ in range(3):
        with django_assert_max_num_queries(30) as captured:
            body = learner_client.get(REVIEW).content.decode()
        counts.append(len(captured.captured_queries))
        rate(learner_client, shown_card(body), 4)
    assert len(set(counts[1:])) == 1
