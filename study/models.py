"""Spaced-repetition flashcards: one card per learner, course and study item (a Q&A item or an
exam ticket's theory question), scheduled with FSRS (study/scheduling.py), and every review
kept in full (ReviewLog) so that the learner can download it for FSRS's optimiser.

A card row is made the first time the item is shown, so the bank's size never costs rows;
an item without a card is a new card of its deck. Each course has its own deck: an item that
feeds two courses has a card in each."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.models import TicketTheoryQuestion
from courses.models import Course, QAItem

DEFAULT_TIME_ZONE = "Europe/Moscow"


class StudySettings(models.Model):
    """A learner's study preferences; made on first use with the defaults."""

    learner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_settings"
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        help_text=_("Your day starts at midnight in this time zone."),
    )
    new_cards_per_day = models.PositiveSmallIntegerField(
        _("new cards per day"),
        default=20,
        validators=[MinValueValidator(0), MaxValueValidator(500)],
    )
    # Graded evidence (quiz answers, lab results) up to this moment has been applied to cards.
    evidence_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("study settings")
        verbose_name_plural = _("study settings")

    def __str__(self) -> str:
        return f"{self.learner}: {self.time_zone}"


class Card(models.Model):
    class State(models.IntegerChoices):
        # FSRS's own states are 1-3; 0 is a card shown but never rated (still new).
        NEW = 0, _("new")
        LEARNING = 1, _("learning")
        REVIEW = 2, _("review")
        RELEARNING = 3, _("relearning")

    class Evidence(models.TextChoices):
        QUIZ = "quiz", _("a wrong quiz answer")
        LAB = "lab", _("a failed lab test")

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_cards"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="study_cards")
    qa_item = models.ForeignKey(
        QAItem, on_delete=models.CASCADE, null=True, blank=True, related_name="study_cards"
    )
    theory_question = models.ForeignKey(
        TicketTheoryQuestion,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="study_cards",
    )
    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.NEW)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    # Bumped by every rating: a rating carries the version it was shown with, so a second tab
    # or a replay finds the card changed and is refused.
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # Why the card was brought forward by graded evidence, shown on the card until it is rated.
    evidence = models.CharField(max_length=8, choices=Evidence.choices, blank=True)
    evidence_detail = models.CharField(max_length=300, blank=True)
    evidence_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(qa_item__isnull=False, theory_question__isnull=True)
                | models.Q(qa_item__isnull=True, theory_question__isnull=False),
                name="study_card_one_item",
            ),
            models.UniqueConstraint(
                fields=["learner", "course", "qa_item"],
                condition=models.Q(qa_item__isnull=False),
                name="study_card_once_per_qa_item",
            ),
            models.UniqueConstraint(
                fields=["learner", "course", "theory_question"],
                condition=models.Q(theory_question__isnull=False),
                name="study_card_once_per_theory_question",
            ),
        ]
        indexes = [models.Index(fields=["learner", "course", "due"], name="study_card_due")]
        verbose_name = _("flashcard")
        verbose_name_plural = _("flashcards")

    def __str__(self) -> str:
        return f"{self.learner} #{self.pk}"

    @property
    def item(self) -> QAItem | TicketTheoryQuestion:
        return self.qa_item if self.qa_item_id else self.theory_question

    @property
    def question(self) -> str:
        return self.item.question

    @property
    def answer(self) -> str:
        if self.qa_item_id:
            return self.qa_item.answer
        return self.theory_question.reference_answer


class ReviewLog(models.Model):
    """One rating, kept for ever; the CSV export is what FSRS's optimiser reads."""

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="reviews")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_reviews"
    )
    rating = models.PositiveSmallIntegerField()  # fsrs.Rating: 1 Again .. 4 Easy
    state_before = models.PositiveSmallIntegerField(choices=Card.State.choices)
    reviewed_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    stability_after = models.FloatField()
    difficulty_after = models.FloatField()
    due_after = models.DateTimeField()
    # The idempotency key of the rating: a replayed request carries the same one.
    token = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["reviewed_at", "id"]
        indexes = [models.Index(fields=["learner", "reviewed_at"], name="study_review_learner")]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.card_id}: {self.rating} at {self.reviewed_at:%Y-%m-%d %H:%M}"
