"""The assessment bank imported from the seeds: multiple-choice questions and exam tickets
(two theory questions with reference answers and one practical task with reference code).
Quizzes and attempts over this bank come with the quiz issue."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from courses.models import Course, QAItem, SeedContent, Topic


class MCQ(SeedContent):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="mcqs")
    position = models.PositiveIntegerField(default=0)
    block = models.PositiveIntegerField(default=0)
    question = models.TextField(_("question"))
    # The answer text as the seed states it; when it disagrees with the option's own text the
    # import reports it and the item analysis flags the question.
    stated_answer_text = models.TextField(blank=True)
    answer_text_mismatch = models.BooleanField(default=False)
    topics = models.ManyToManyField(Topic, related_name="mcqs", blank=True)

    class Meta:
        ordering = ["course", "position"]
        verbose_name = _("multiple-choice question")
        verbose_name_plural = _("multiple-choice questions")

    def __str__(self) -> str:
        return self.question[:120]


class MCQOption(models.Model):
    mcq = models.ForeignKey(MCQ, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveIntegerField()
    letter = models.CharField(max_length=4)
    text = models.TextField(_("text"))
    is_correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["mcq", "position"]
        constraints = [
            models.UniqueConstraint(fields=["mcq", "position"], name="mcq_option_position"),
            models.UniqueConstraint(
                fields=["mcq"],
                condition=models.Q(is_correct=True),
                name="mcq_has_one_correct_option",
            ),
        ]
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self) -> str:
        return f"{self.letter}) {self.text}"


class ExamTicket(SeedContent):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="tickets")
    number = models.PositiveIntegerField()

    class Meta:
        ordering = ["course", "number"]
        verbose_name = _("exam ticket")
        verbose_name_plural = _("exam tickets")

    def __str__(self) -> str:
        return f"{self.course.title}: {_('ticket')} {self.number}"


class TicketTheoryQuestion(SeedContent):
    ticket = models.ForeignKey(ExamTicket, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField()
    question = models.TextField(_("question"))
    reference_answer = models.TextField(_("reference answer"), blank=True)
    topics = models.ManyToManyField(Topic, related_name="ticket_questions", blank=True)
    # Q&A items that ask the same question elsewhere in the seeds.
    see_also = models.ManyToManyField(QAItem, related_name="ticket_questions", blank=True)

    class Meta:
        ordering = ["ticket", "position"]
        verbose_name = _("theory question")
        verbose_name_plural = _("theory questions")

    def __str__(self) -> str:
        return self.question[:120]


class PracticalTask(SeedContent):
    ticket = models.OneToOneField(
        ExamTicket, on_delete=models.CASCADE, related_name="practical_task"
    )
    text = models.TextField(_("task"))
    seed_code = models.TextField(_("reference code as in the seed"), blank=True)
    restored_code = models.TextField(_("reference code"), blank=True)
    code_restored = models.BooleanField(default=False)
    restoration_problem = models.TextField(blank=True)
    # What a grader must know about the reference code (network access, removed APIs...).
    notes = models.JSONField(default=list, blank=True)
    topics = models.ManyToManyField(Topic, related_name="practical_tasks", blank=True)

    class Meta:
        ordering = ["ticket"]
        verbose_name = _("practical task")
        verbose_name_plural = _("practical tasks")

    def __str__(self) -> str:
        return self.text[:120]
