"""Which card a deck shows next, and the deck's counts for today, in one query.

The order: due learning steps and reviews (earliest due first), then new cards brought forward
by graded evidence, then new cards while the daily cap allows (a new card shown but not rated
yet comes back before another is introduced). A card is introduced (made for the first item of
the deck that has none) only when no card of the deck may be shown and the cap allows.

The query is written by hand: it runs after every rating, and the ORM spent several times
longer building it than the database spent running it. The deck's live items come from
`decks.deck_items` (cached) as two id lists, so the database ranks and counts the learner's
card rows alone instead of joining every card to its item, collection and ticket; only the
chosen card is joined to its item. It runs on PostgreSQL and SQLite (3.30 or later: aggregate
window functions with FILTER), the id lists passed as an array literal there and as JSON here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, models, transaction

from assessments.models import ExamTicket, TicketTheoryQuestion
from courses.models import QACollection, QAItem
from study import scheduling
from study.decks import (
    Deck,
    DeckCounts,
    DeckItems,
    deck_items,
    deck_qa_items,
    deck_theory_questions,
)
from study.models import Card, ReviewLog, StudySettings

RANK_DUE, RANK_FORWARDED, RANK_NEW, RANK_LATER = range(4)


@dataclass
class ReviewQueue:
    """What a deck's review page shows: the card to study next (None when the deck is done for
    today) and the deck's counts for today."""

    card: Card | None
    counts: DeckCounts


def review_queue(
    learner: AbstractBaseUser, deck: Deck, settings: StudySettings, now: datetime
) -> ReviewQueue:
    """The next card of the deck, with its item, and the deck's counts for today."""
    day_start, day_end = scheduling.day_bounds(settings.time_zone, now)
    items = deck_items(deck)
    first = _first_ranked(learner, deck, items, now, day_start, day_end)
    if first is None:  # no card of this deck yet
        counts = DeckCounts(unseen=items.size)
        left = new_cards_left_today(learner, settings, now)
    else:
        counts = DeckCounts(
            learning=first.n_learning,
            review=first.n_review,
            unseen=max(0, items.size - first.n_rated),
            forwarded=first.n_forwarded,
        )
        left = max(0, settings.new_cards_per_day - first.n_introduced)
    counts.apply_cap(left)
    if first is not None and first.rank in (RANK_DUE, RANK_FORWARDED):
        return ReviewQueue(first, counts)
    if left <= 0:
        return ReviewQueue(None, counts)
    if first is not None and first.rank == RANK_NEW:
        return ReviewQueue(first, counts)
    return ReviewQueue(_introduce(learner, deck, now), counts)


def next_card(
    learner: AbstractBaseUser, deck: Deck, settings: StudySettings, now: datetime
) -> Card | None:
    """The card to show next in the deck (see `review_queue`)."""
    return review_queue(learner, deck, settings, now).card


def new_cards_left_today(learner: AbstractBaseUser, settings: StudySettings, now: datetime) -> int:
    """How many more new cards the daily cap allows today (the learner's day)."""
    day_start, _end = scheduling.day_bounds(settings.time_zone, now)
    introduced = ReviewLog.objects.filter(
        learner=learner, state_before=Card.State.NEW, reviewed_at__gte=day_start
    ).count()
    return max(0, settings.new_cards_per_day - introduced)


# Learning and relearning steps are due at their minute, reviews for the learner's whole day
# (scheduling.due_q says the same for the ORM).
_DUE_NOW = "((c.state IN (1, 3) AND c.due <= %(now)s) OR (c.state = 2 AND c.due < %(day_end)s))"
_FORWARDED = "(c.state = 0 AND c.evidence <> '')"

# Table names and constants from this module are formatted in; every value is a parameter.
_RANKED_SQL = f"""
SELECT {{card_columns}},
    ranked.rank, ranked.n_learning, ranked.n_review, ranked.n_rated, ranked.n_forwarded,
    (SELECT COUNT(*) FROM {ReviewLog._meta.db_table} r
     WHERE r.learner_id = %(learner)s AND r.state_before = 0 AND r.reviewed_at >= %(day_start)s
    ) AS n_introduced,
    qa.question AS qa_question, qa.answer AS qa_answer, qa.collection_id AS qa_collection_id,
    collection.title AS collection_title,
    tq.question AS tq_question, tq.reference_answer AS tq_reference_answer,
    tq.ticket_id AS tq_ticket_id, ticket.number AS ticket_number
FROM (
    SELECT c.id AS card_id,
        CASE WHEN {_DUE_NOW} THEN {RANK_DUE} WHEN {_FORWARDED} THEN {RANK_FORWARDED}
             WHEN c.state = 0 THEN {RANK_NEW} ELSE {RANK_LATER} END AS rank,
        CASE WHEN {_DUE_NOW} THEN c.due WHEN {_FORWARDED} THEN c.evidence_at
             ELSE c.created_at END AS rank_key,
        COUNT(*) FILTER (WHERE c.state IN (1, 3) AND c.due <= %(now)s) OVER () AS n_learning,
        COUNT(*) FILTER (WHERE c.state = 2 AND c.due < %(day_end)s) OVER () AS n_review,
        COUNT(*) FILTER (WHERE c.state <> 0) OVER () AS n_rated,
        COUNT(*) FILTER (WHERE {_FORWARDED}) OVER () AS n_forwarded
    FROM {Card._meta.db_table} c
    WHERE c.learner_id = %(learner)s AND c.course_id = %(course)s
        AND (c.qa_item_id {{in_qa}} OR c.theory_question_id {{in_theory}})
    ORDER BY rank, rank_key, c.id
    LIMIT 1
) ranked
JOIN {Card._meta.db_table} c ON c.id = ranked.card_id
LEFT JOIN {QAItem._meta.db_table} qa ON qa.id = c.qa_item_id
LEFT JOIN {QACollection._meta.db_table} collection ON collection.id = qa.collection_id
LEFT JOIN {TicketTheoryQuestion._meta.db_table} tq ON tq.id = c.theory_question_id
LEFT JOIN {ExamTicket._meta.db_table} ticket ON ticket.id = tq.ticket_id
"""  # noqa: S608
_CARD_COLUMNS = ", ".join(f"c.{field.column}" for field in Card._meta.concrete_fields)
_CARD_ATTNAMES = [field.attname for field in Card._meta.concrete_fields]
_CARD_DATETIMES = [
    index
    for index, field in enumerate(Card._meta.concrete_fields)
    if isinstance(field, models.DateTimeField)
]


def _listed(ids: tuple[int, ...], brackets: str) -> str:
    return brackets[0] + ",".join(map(str, ids)) + brackets[1]


def _first_ranked(
    learner: AbstractBaseUser,
    deck: Deck,
    items: DeckItems,
    now: datetime,
    day_start: datetime,
    day_end: datetime,
) -> Card | None:
    """The deck's first card in rank order with its item attached and the deck's counts as
    attributes (n_learning, n_review, n_rated, n_forwarded, n_introduced); None when the
    learner has no card of the deck."""
    postgresql = connection.vendor == "postgresql"
    if postgresql:  # the ids as array literals: psycopg's list adapter cost more than the query
        in_qa, in_theory = "= ANY(%(qa_ids)s::bigint[])", "= ANY(%(theory_ids)s::bigint[])"
        qa_ids, theory_ids = _listed(items.qa_ids, "{}"), _listed(items.theory_ids, "{}")
    else:
        in_qa = "IN (SELECT value FROM json_each(%(qa_ids)s))"
        in_theory = "IN (SELECT value FROM json_each(%(theory_ids)s))"
        qa_ids, theory_ids = _listed(items.qa_ids, "[]"), _listed(items.theory_ids, "[]")
    sql = _RANKED_SQL.format(card_columns=_CARD_COLUMNS, in_qa=in_qa, in_theory=in_theory)
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "learner": learner.pk,
        "course": deck.course.pk,
        "now": adapt(now),
        "day_start": adapt(day_start),
        "day_end": adapt(day_end),
        "qa_ids": qa_ids,
        "theory_ids": theory_ids,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values, extra = list(row[: len(_CARD_ATTNAMES)]), row[len(_CARD_ATTNAMES) :]
    if not postgresql:  # SQLite hands back naive UTC datetimes (or text)
        for index in _CARD_DATETIMES:
            values[index] = connection.ops.convert_datetimefield_value(
                values[index], None, connection
            )
    card = Card.from_db(connection.alias, _CARD_ATTNAMES, values)
    (card.rank, card.n_learning, card.n_review, card.n_rated, card.n_forwarded,
     card.n_introduced, qa_question, qa_answer, qa_collection_id, collection_title,
     tq_question, tq_reference_answer, tq_ticket_id, ticket_number) = extra  # fmt: skip
    card.course = deck.course
    if card.qa_item_id:
        card.qa_item = QAItem(
            id=card.qa_item_id,
            question=qa_question,
            answer=qa_answer,
            collection=QACollection(id=qa_collection_id, title=collection_title),
        )
    else:
        card.theory_question = TicketTheoryQuestion(
            id=card.theory_question_id,
            question=tq_question,
            reference_answer=tq_reference_answer,
            ticket=ExamTicket(id=tq_ticket_id, number=ticket_number),
        )
    return card


def _introduce(learner: AbstractBaseUser, deck: Deck, now: datetime) -> Card | None:
    """A new card for the first item of the deck that has none yet (Q&A first, then tickets'
    theory questions)."""
    seen = Card.objects.filter(learner=learner, course=deck.course)
    item = (
        deck_qa_items(deck)
        .exclude(id__in=seen.filter(qa_item__isnull=False).values("qa_item_id"))
        .select_related("collection")
        .order_by("collection__title", "position", "id")
        .first()
    )
    fields = {"qa_item": item}
    if item is None:
        question = (
            deck_theory_questions(deck)
            .exclude(id__in=seen.filter(theory_question__isnull=False).values("theory_question"))
            .select_related("ticket")
            .order_by("ticket__number", "position", "id")
            .first()
        )
        if question is None:
            return None
        fields = {"theory_question": question}
    try:
        with transaction.atomic():
            return Card.objects.create(learner=learner, course=deck.course, due=now, **fields)
    except IntegrityError:  # introduced a moment ago in another tab: show that one
        return Card.objects.get(learner=learner, course=deck.course, **fields)
