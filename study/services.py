"""Rating flashcards, and the learner's study settings. Views never save cards; which card
comes next is study/queue.py.

A rating is refused, changing nothing, when the card is not the learner's (the access helper
gives a 404 first), when its idempotency token was used already (a replay), when the card was
rated since it was shown (its version moved on: another tab), or when it is not due.

`rate_card` is the rule: the card row locked (`select_for_update`), checked, written with a
conditional UPDATE on the version it was shown with and logged, so two tabs rating at once count
once. `rate_card_fast` is the same rating in two statements and no explicit transaction, for
PostgreSQL and the common case (a rating every rule allows): the card read with the learner's
settings, then one statement that updates the card on the version it was read with and logs the
review. Whenever it cannot simply succeed it changes nothing and returns None, and the view
calls `rate_card`, which says why.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from courses.models import Course
from study import scheduling
from study.models import Card, ReviewLog, StudySettings

TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_DURATION_MS = 10 * 60 * 1000


class StudyRefused(Exception):
    """A rating the rules refuse; `str(error)` is the learner-facing reason, `status` the
    HTTP status that says it (404 for a card that is not the learner's, else 409)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def settings_for(learner: AbstractBaseUser) -> StudySettings:
    settings, _created = StudySettings.objects.get_or_create(learner=learner)
    return settings


# --- Rating -----------------------------------------------------------------------------------


@dataclass
class RatedCard:
    card: Card  # as rated, with its course
    settings: StudySettings  # the learner's, read with the card


def rate_card(
    learner: AbstractBaseUser,
    card_id: int,
    rating: int,
    version: int,
    token: str,
    *,
    duration_ms: int | None = None,
    now: datetime | None = None,
    settings: StudySettings | None = None,
) -> RatedCard:
    """Apply one rating (1 Again .. 4 Easy) to the learner's card and log it. The learner's
    settings (their day) are read with the card unless given."""
    now = now or timezone.now()
    if rating not in (1, 2, 3, 4):
        raise StudyRefused(_("Choose one of Again, Hard, Good or Easy."))
    if not TOKEN.match(token or ""):
        raise StudyRefused(_("This rating form is incomplete; reload the page."))
    duration_ms = _clamped(duration_ms)
    with transaction.atomic():
        card = (
            Card.objects.select_for_update(of=("self",))
            .filter(pk=card_id, learner=learner)
            .select_related("course", "learner__study_settings")
            .first()
        )
        if card is None:
            raise StudyRefused(_("This card is not one of yours."), status=404)
        if settings is None:
            try:
                settings = card.learner.study_settings
            except StudySettings.DoesNotExist:
                settings = settings_for(learner)
        if card.version != version:
            if ReviewLog.objects.filter(token=token).exists():  # a replay: say so
                raise StudyRefused(_("This rating was already recorded; nothing changed."))
            raise StudyRefused(
                _("This card was rated in another tab or window since it was shown here.")
            )
        _start, day_end = scheduling.day_bounds(settings.time_zone, now)
        if not scheduling.is_due(card, now, day_end):
            local_due = timezone.localtime(card.due, scheduling.ZoneInfo(settings.time_zone))
            raise StudyRefused(
                _("This card is not due yet; it comes back on %(date)s.")
                % {"date": date_format(local_due, "SHORT_DATETIME_FORMAT")}
            )
        outcome = scheduling.review(card, rating, now)
        # The log first: its unique token is the idempotency key. A replay inserts nothing
        # and is refused; raising inside the transaction undoes everything.
        if not _insert_review(card, learner, rating, token, duration_ms, outcome, now):
            raise StudyRefused(_("This rating was already recorded; nothing changed."))
        claimed = Card.objects.filter(pk=card.pk, version=version).update(
            state=outcome.state,
            step=outcome.step,
            stability=outcome.stability,
            difficulty=outcome.difficulty,
            due=outcome.due,
            last_review=now,
            reps=F("reps") + 1,
            lapses=F("lapses") + int(outcome.lapse),
            version=F("version") + 1,
            evidence="",
            evidence_detail="",
        )
        if not claimed:  # cannot happen under the row lock; kept as the invariant's guard
            raise StudyRefused(_("This card was rated in another tab or window."))
    _as_rated(card, outcome, now, version)
    return RatedCard(card, settings)


def _as_rated(card: Card, outcome: scheduling.Outcome, now: datetime, version: int) -> None:
    """The card object as the rating left its row."""
    card.state, card.step, card.due = outcome.state, outcome.step, outcome.due
    card.stability, card.difficulty, card.last_review = outcome.stability, outcome.difficulty, now
    card.reps, card.lapses = card.reps + 1, card.lapses + int(outcome.lapse)
    card.version, card.evidence, card.evidence_detail = version + 1, "", ""


def _clamped(duration_ms: int | None) -> int | None:
    return None if duration_ms is None else max(0, min(duration_ms, MAX_DURATION_MS))


_CARD = Card._meta
_CARD_ATTNAMES = [field.attname for field in _CARD.concrete_fields]
# Table names are formatted in; every value is a parameter.
_READ_CARD_SQL = f"""
SELECT {", ".join(f"c.{field.column}" for field in _CARD.concrete_fields)},
    course.slug, course.title, settings.id, settings.time_zone, settings.new_cards_per_day
FROM {_CARD.db_table} c
JOIN {Course._meta.db_table} course ON course.id = c.course_id
LEFT JOIN {StudySettings._meta.db_table} settings ON settings.learner_id = c.learner_id
WHERE c.id = %(card)s AND c.learner_id = %(learner)s
"""  # noqa: S608
# The card is updated only on the version it was read with (a rating in between, from another
# tab, makes this update nothing and log nothing); the log row's unique token makes a replay
# fail the whole statement.
_RATE_SQL = f"""
WITH rated AS (
    UPDATE {_CARD.db_table} SET state = %(state)s, step = CAST(%(step)s AS smallint),
        stability = %(stability)s, difficulty = %(difficulty)s, due = %(due)s,
        last_review = %(now)s, reps = reps + 1, lapses = lapses + %(lapse)s,
        version = version + 1, evidence = '', evidence_detail = ''
    WHERE id = %(card)s AND learner_id = %(learner)s AND version = %(version)s
    RETURNING id
)
INSERT INTO {ReviewLog._meta.db_table} (card_id, learner_id, rating, state_before, reviewed_at,
    duration_ms, stability_after, difficulty_after, due_after, token)
SELECT id, %(learner)s, %(rating)s, %(state_before)s, %(now)s, CAST(%(duration)s AS integer),
    %(stability)s, %(difficulty)s, %(due)s, %(token)s
FROM rated
RETURNING id
"""  # noqa: S608


def rate_card_fast(
    learner_id: int,
    card_id: int,
    rating: int,
    version: int,
    token: str,
    *,
    duration_ms: int | None = None,
    now: datetime | None = None,
) -> RatedCard | None:
    """`rate_card` for a rating that every rule allows, on PostgreSQL, in two statements; None
    (nothing changed) for anything else: then call `rate_card`."""
    if connection.vendor != "postgresql" or rating not in (1, 2, 3, 4):
        return None
    if not TOKEN.match(token or ""):
        return None
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_READ_CARD_SQL, {"card": card_id, "learner": learner_id})
        row = cursor.fetchone()
    if row is None:
        return None
    card_values, (slug, title, settings_id, time_zone, cap) = row[:-5], row[-5:]
    card = Card.from_db(connection.alias, _CARD_ATTNAMES, card_values)
    if settings_id is None or card.version != version:
        return None
    _start, day_end = scheduling.day_bounds(time_zone, now)
    if not scheduling.is_due(card, now, day_end):
        return None
    outcome = scheduling.review(card, rating, now)
    values = {
        "card": card.pk, "learner": learner_id, "version": version, "rating": rating,
        "state_before": card.state, "state": outcome.state, "step": outcome.step,
        "stability": outcome.stability, "difficulty": outcome.difficulty, "due": outcome.due,
        "now": now, "lapse": int(outcome.lapse), "duration": _clamped(duration_ms),
        "token": token,
    }  # fmt: skip
    try:
        with _statement_on_its_own(), connection.cursor() as cursor:
            cursor.execute(_RATE_SQL, values)
            logged = cursor.fetchone()
    except IntegrityError:  # the token was used already: a replay
        return None
    if logged is None:  # rated in another tab since it was read
        return None
    _as_rated(card, outcome, now, version)
    card.course = Course(id=card.course_id, slug=slug, title=title)
    settings = StudySettings(
        id=settings_id, learner_id=learner_id, time_zone=time_zone, new_cards_per_day=cap
    )
    return RatedCard(card, settings)


def _statement_on_its_own() -> contextlib.AbstractContextManager:
    """A single statement is atomic by itself in autocommit mode. Inside a caller's transaction
    (a test's, say) a failing statement would abort that transaction: it gets a savepoint."""
    return transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()


_INSERT_REVIEW = (
    "INSERT INTO {table} (card_id, learner_id, rating, state_before, reviewed_at, duration_ms,"
    " stability_after, difficulty_after, due_after, token)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (token) DO NOTHING RETURNING id"
)


def _insert_review(card, learner, rating, token, duration_ms, outcome, now) -> bool:
    """Insert the review unless its token was used; one statement on both databases."""
    fields = ReviewLog._meta
    values = [
        card.pk, learner.pk, rating, card.state,
        fields.get_field("reviewed_at").get_db_prep_value(now, connection),
        duration_ms, outcome.stability, outcome.difficulty,
        fields.get_field("due_after").get_db_prep_value(outcome.due, connection),
        token,
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_REVIEW.format(table=fields.db_table), values)
        return cursor.fetchone() is not None
