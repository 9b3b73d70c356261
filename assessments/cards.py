"""What a question card shows: the attempt's questions with their options in the attempt's
order, the learner's choice, and, where the rules allow, the right option and what to study.
Built for many questions in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from assessments.models import MCQ, Attempt, AttemptQuestion, MCQOption
from assessments.related import related_qa_items
from courses.models import QAItem


@dataclass
class CardOption:
    id: int
    letter: str  # the letter shown in this attempt (A, B, ... in shuffled order)
    text: str
    chosen: bool
    correct: bool


@dataclass
class Card:
    question: AttemptQuestion
    mcq: MCQ
    options: list[CardOption]
    reveal: bool  # show right/wrong
    related: list[QAItem] = field(default_factory=list)

    @property
    def position(self) -> int:
        return self.question.position

    @property
    def answered(self) -> bool:
        return self.question.chosen_option_id is not None

    @property
    def locked(self) -> bool:
        """A practice answer is final once given (its feedback was shown)."""
        return self.reveal or not self.question.attempt.is_open


def build_cards(
    attempt: Attempt, positions: list[int] | None, now: datetime, *, with_related: bool = True
) -> list[Card]:
    questions = AttemptQuestion.objects.filter(attempt=attempt).order_by("position")
    if positions is not None:
        questions = questions.filter(position__in=positions)
    questions = list(questions.select_related("mcq").prefetch_related("mcq__topics"))
    option_ids = [option_id for q in questions for option_id in q.option_order]
    options = {o.pk: o for o in MCQOption.objects.filter(pk__in=option_ids)}
    visible = attempt.answers_visible(now)
    cards = []
    for question in questions:
        question.attempt = attempt  # spare a query per card
        # During practice a question is revealed once answered; once the attempt is over,
        # every question is (an unanswered one shows its right answer too).
        reveal = visible and (not attempt.is_open or question.chosen_option_id is not None)
        shown = [options[o] for o in question.option_order if o in options]
        cards.append(
            Card(
                question=question,
                mcq=question.mcq,
                reveal=reveal,
                options=[
                    CardOption(
                        id=option.pk,
                        letter=chr(ord("A") + i),
                        text=option.text,
                        chosen=option.pk == question.chosen_option_id,
                        correct=option.pk == question.correct_option_id,
                    )
                    for i, option in enumerate(shown)
                ],
            )
        )
    revealed = [card for card in cards if card.reveal]
    if with_related and revealed:
        correct_texts = {
            card.mcq.pk: next((o.text for o in card.options if o.correct), "") for card in revealed
        }
        related = related_qa_items([card.mcq for card in revealed], correct_texts)
        for card in revealed:
            card.related = related.get(card.mcq.pk, [])
    return cards


@dataclass
class NavEntry:
    position: int
    answered: bool
    correct: bool | None


def navigation(attempt: Attempt) -> list[NavEntry]:
    rows = AttemptQuestion.objects.filter(attempt=attempt).order_by("position")
    reveal = attempt.is_practice
    return [
        NavEntry(position, chosen is not None, is_correct if reveal and chosen else None)
        for position, chosen, is_correct in rows.values_list(
            "position", "chosen_option_id", "is_correct"
        )
    ]
