"""The rating's fast path (PostgreSQL: the card read, then one UPDATE+INSERT statement) gives
the same card and the same log row as the rule (`rate_card`, the card locked), and whenever a
rule would refuse it changes nothing and hands over to `rate_card`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from study import services
from study.models import Card, ReviewLog, StudySettings
from tests.exam_factories import make_course_bank

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the fast path is PostgreSQL's"),
]
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CARD_FIELDS = ["state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses",
               "version", "evidence", "evidence_detail"]  # fmt: skip
LOG_FIELDS = ["rating", "state_before", "reviewed_at", "duration_ms", "stability_after",
              "difficulty_after", "due_after"]  # fmt: skip


def deck_of(learner, course, items):
    StudySettings.objects.get_or_create(learner=learner)
    return [
        Card.objects.create(
            learner=learner, course=course, qa_item=item, due=NOW - timedelta(minutes=1),
            evidence="quiz", evidence_detail="Неверный ответ", evidence_at=NOW,
        )
        for item in items
    ]  # fmt: skip


def state_of(card_id: int) -> dict:
    card = Card.objects.filter(pk=card_id).values(*CARD_FIELDS).get()
    logs = list(ReviewLog.objects.filter(card_id=card_id).order_by("id").values(*LOG_FIELDS))
    return {"card": card, "logs": logs}


def test_the_fast_path_and_the_rule_leave_the_same_card_and_log(alice, bob):
    course, items = make_course_bank(qa_items=3, tickets=0)
    fast_cards, rule_cards = deck_of(alice, course, items), deck_of(bob, course, items)
    moment = NOW
    # Every rating in turn, through learning, review, a lapse and relearning.
    for step, rating in enumerate([3, 3, 1, 2, 4, 1, 3, 4]):
        for fast, rule in zip(fast_cards, rule_cards, strict=True):
            fast_version = Card.objects.get(pk=fast.pk).version
            rated = services.rate_card_fast(
                alice.pk, fast.pk, rating, fast_version, f"fast-{fast.pk}-{step}",
                duration_ms=4000 + step, now=moment,
            )  # fmt: skip
            assert rated is not None and rated.card.version == fast_version + 1
            assert rated.card.course.slug == course.slug
            assert rated.settings.time_zone == StudySettings.objects.get(learner=alice).time_zone
            services.rate_card(
                bob, rule.pk, rating, Card.objects.get(pk=rule.pk).version,
                f"rule-{rule.pk}-{step}", duration_ms=4000 + step, now=moment,
            )  # fmt: skip
            fast_state, rule_state = state_of(fast.pk), state_of(rule.pk)
            assert fast_state == rule_state
            assert {f: getattr(rated.card, f) for f in CARD_FIELDS} == fast_state["card"]
        moment = max(Card.objects.filter(learner=alice).values_list("due", flat=True))


def test_whenever_a_rule_refuses_the_fast_path_changes_nothing(alice, bob):
    course, items = make_course_bank(qa_items=3, tickets=0)
    first, second, third = deck_of(alice, course, items)
    assert services.rate_card_fast(alice.pk, first.pk, 3, 0, "used-token-1", now=NOW)
    before = [state_of(card.pk) for card in (first, second, third)]
    refused = [
        # not the learner's card
        (bob.pk, second.pk, 3, 0, "other-learner-1"),
        # shown before another tab rated it (stale version)
        (alice.pk, first.pk, 3, 0, "stale-version-1"),
        # the same rating replayed, and a used token sent with another card
        (alice.pk, first.pk, 3, 1, "used-token-1"),
        (alice.pk, second.pk, 3, 0, "used-token-1"),
        # a rating or a token the form cannot send
        (alice.pk, second.pk, 5, 0, "fine-token-1"),
        (alice.pk, second.pk, 3, 0, "bad token"),
    ]
    for args in refused:
        assert services.rate_card_fast(*args, now=NOW) is None, args
    # not due: the first card is in learning for a few minutes now
    assert services.rate_card_fast(alice.pk, first.pk, 3, 1, "too-early-1", now=NOW) is None
    # a learner without settings yet: the rule makes them
    StudySettings.objects.filter(learner=alice).delete()
    assert services.rate_card_fast(alice.pk, third.pk, 3, 0, "no-settings-1", now=NOW) is None
    assert [state_of(card.pk) for card in (first, second, third)] == before
    assert ReviewLog.objects.count() == 1


def test_a_replayed_token_on_another_card_leaves_that_card_as_it_was(alice):
    """The token's conflict fails the whole statement: the card's update is undone too."""
    course, items = make_course_bank(qa_items=2, tickets=0)
    first, second = deck_of(alice, course, items)
    assert services.rate_card_fast(alice.pk, first.pk, 4, 0, "replayed-1", now=NOW)
    before = state_of(second.pk)
    assert services.rate_card_fast(alice.pk, second.pk, 4, 0, "replayed-1", now=NOW) is None
    assert state_of(second.pk) == before and before["card"]["version"] == 0
    with pytest.raises(services.StudyRefused, match="уже"):
        services.rate_card(alice, second.pk, 4, 0, "replayed-1", now=NOW)


@pytest.mark.django_db(transaction=True)
def test_tabs_that_all_read_the_card_before_any_rates_it_count_once(alice, monkeypatch):
    """Four ratings read the card, all wait until every one has read it, then write: the
    update on the version read lets one through; the others hand over to the rule, which
    refuses them."""
    course, items = make_course_bank(qa_items=1, tickets=0)
    (card,) = deck_of(alice, course, items)
    read_by_all = threading.Barrier(4, timeout=20)
    review = services.scheduling.review

    def review_when_all_have_read(*args, **kwargs):
        read_by_all.wait()
        return review(*args, **kwargs)

    monkeypatch.setattr(services.scheduling, "review", review_when_all_have_read)
    outcomes = []

    def tab(n: int) -> None:
        try:
            rated = services.rate_card_fast(alice.pk, card.pk, 3, 0, f"tab-token-{n}", now=NOW)
            if rated is None:  # the view's hand-over to the rule
                services.rate_card(alice, card.pk, 3, 0, f"tab-token-{n}", now=NOW)
            outcomes.append("ok" if rated else "rule accepted")
        except services.StudyRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    tabs = [threading.Thread(target=tab, args=(n,)) for n in range(4)]
    for thread in tabs:
        thread.start()
    for thread in tabs:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    assert ReviewLog.objects.filter(card=card).count() == 1
    assert Card.objects.get(pk=card.pk).version == 1
