"""The review queue: which card a deck shows next and the deck's counts, from one hand-written
query, checked against the rules written out plainly in Python over decks of random states:
due cards first (earliest first), then cards brought forward by evidence, then new cards
within the daily cap; cards of retired items, retired collections and retired tickets left
out; a topic deck holds only its topic."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import caches

from assessments.models import ExamTicket, TicketTheoryQuestion
from courses.models import QACollection, QAItem
from study import queue, scheduling, services
from study.decks import Deck, deck_qa_items, deck_theory_questions
from study.models import Card, ReviewLog
from tests.exam_factories import make_course_bank

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # 12:30 in Moscow


def expected(learner, deck: Deck, settings, now: datetime) -> tuple[int | None, dict]:
    """The queue's rules, spelled out: (the id of the card to show, or None when a new card
    is to be introduced or nothing is left; the counts)."""
    day_start, day_end = scheduling.day_bounds(settings.time_zone, now)
    live_qa = set(deck_qa_items(deck).values_list("id", flat=True))
    live_theory = set(deck_theory_questions(deck).values_list("id", flat=True))
    cards = [
        card
        for card in Card.objects.filter(learner=learner, course=deck.course)
        if (card.qa_item_id in live_qa) or (card.theory_question_id in live_theory)
    ]

    def rank(card: Card) -> tuple:
        if scheduling.is_due(card, now, day_end) and card.state != Card.State.NEW:
            return (0, card.due, card.pk)
        if card.state == Card.State.NEW and card.evidence:
            return (1, card.evidence_at, card.pk)
        if card.state == Card.State.NEW:
            return (2, card.created_at, card.pk)
        return (3, card.created_at, card.pk)

    learning = sum(c.state in (1, 3) and c.due <= now for c in cards)
    review = sum(c.state == 2 and c.due < day_end for c in cards)
    rated = sum(c.state != 0 for c in cards)
    forwarded = sum(c.state == 0 and bool(c.evidence) for c in cards)
    introduced = ReviewLog.objects.filter(
        learner=learner, state_before=0, reviewed_at__gte=day_start
    ).count()
    left = max(0, settings.new_cards_per_day - introduced)
    unseen = len(live_qa) + len(live_theory) - rated
    counts = {
        "learning": learning,
        "review": review,
        "new": forwarded + min(left, max(0, unseen - forwarded)),
    }
    first = min(cards, key=rank, default=None)
    if first is None:
        return None, counts
    kind = rank(first)[0]
    if kind in (0, 1) or (kind == 2 and left > 0):
        return first.pk, counts
    return None, counts


def random_cards(learner, course, rng: random.Random) -> None:
    """A card for most items of the course, in every state, due around now."""
    qa = list(QAItem.objects.filter(collection__courses=course))
    theory = list(TicketTheoryQuestion.objects.filter(ticket__course=course))
    for item in rng.sample(qa, k=len(qa) - 1) + rng.sample(theory, k=len(theory) - 1):
        state = rng.choice([0, 0, 1, 2, 2, 3])
        due = NOW + timedelta(minutes=rng.randint(-3000, 3000))
        fields = {"qa_item": item} if isinstance(item, QAItem) else {"theory_question": item}
        card = Card.objects.create(
            learner=learner,
            course=course,
            state=state,
            due=due,
            stability=None if state == 0 else 3.0,
            difficulty=None if state == 0 else 5.0,
            last_review=None if state == 0 else NOW - timedelta(days=3),
            evidence="quiz" if state == 0 and rng.random() < 0.3 else "",
            evidence_at=NOW - timedelta(minutes=rng.randint(1, 500)),
            **fields,
        )
        Card.objects.filter(pk=card.pk).update(
            created_at=NOW - timedelta(minutes=rng.randint(1, 900))
        )
    for n in range(rng.randint(0, 3)):  # new cards already introduced today
        card = Card.objects.filter(learner=learner).order_by("?").first()
        ReviewLog.objects.create(
            card=card, learner=learner, rating=3, state_before=0,
            reviewed_at=NOW - timedelta(minutes=n + 1), stability_after=1, difficulty_after=5,
            due_after=NOW, token=f"intro-{learner.pk}-{n}-{rng.random()}",
        )  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_the_next_card_and_the_counts_follow_the_rules(alice, seed):
    rng = random.Random(seed)
    course, items = make_course_bank(qa_items=10, tickets=3)
    random_cards(alice, course, rng)
    # Items leave the deck in each way there is; their cards stay but are not shown.
    QAItem.objects.filter(pk=rng.choice(items).pk).update(retired_at=NOW)
    question = rng.choice(list(TicketTheoryQuestion.objects.filter(ticket__course=course)))
    TicketTheoryQuestion.objects.filter(pk=question.pk).update(retired_at=NOW)
    ExamTicket.objects.filter(course=course, number=rng.randint(1, 3)).update(retired_at=NOW)
    if seed == 5:
        QACollection.objects.filter(courses=course).update(retired_at=NOW)
    settings = services.settings_for(alice)
    settings.new_cards_per_day = rng.choice([0, 1, 2, 20])
    settings.save()
    for topic in ("", "cnn", "rnn"):
        caches["local"].clear()  # the deck's items are cached for a minute
        deck = Deck(course, topic)
        card_id, counts = expected(alice, deck, settings, NOW)
        shown = queue.review_queue(alice, deck, settings, NOW)
        got = {k: getattr(shown.counts, k) for k in ("learning", "review", "new")}
        assert got == counts, (seed, topic)
        if card_id is None:  # nothing to show, or a card introduced for an item without one
            assert shown.card is None or (shown.card.state, shown.card.reps) == (0, 0)
        else:
            assert shown.card is not None and shown.card.pk == card_id, (seed, topic)
            assert shown.card.question == shown.card.item.question
            assert (
                shown.card.item.question
                == type(shown.card.item).objects.get(pk=shown.card.item.pk).question
            )  # the item the card was shown with is the card's own


def test_a_learner_without_cards_is_introduced_to_the_first_item(alice):
    course, items = make_course_bank(qa_items=3, tickets=1)
    settings = services.settings_for(alice)
    shown = queue.review_queue(alice, Deck(course), settings, NOW)
    assert shown.card.qa_item_id == items[0].pk and shown.card.state == Card.State.NEW
    assert (shown.counts.new, shown.counts.learning, shown.counts.review) == (5, 0, 0)
    assert shown.card.qa_item.collection.title == items[0].collection.title


def test_a_retired_item_leaves_the_deck_with_its_card(alice):
    course, items = make_course_bank(qa_items=2, tickets=0)
    settings = services.settings_for(alice)
    for item in items:
        Card.objects.create(
            learner=alice, course=course, qa_item=item, state=2, due=NOW - timedelta(days=1),
            stability=3, difficulty=5, last_review=NOW - timedelta(days=4),
        )  # fmt: skip
    deck = Deck(course)
    assert queue.review_queue(alice, deck, settings, NOW).counts.review == 2
    QAItem.objects.filter(pk=items[0].pk).update(retired_at=NOW)
    caches["local"].clear()  # the deck's items are cached for a minute, in each process
    shown = queue.review_queue(alice, deck, settings, NOW)
    assert shown.counts.review == 1 and shown.card.qa_item_id == items[1].pk
    assert Card.objects.filter(learner=alice).count() == 2  # kept, with its reviews
