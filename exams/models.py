"""Exams on tickets ("билеты"): ticket sets (named, versioned), their tickets, exams opened on a
set, learners' sessions with their answers, rubrics, scores, and the audit of published grades.

A ticket set version is locked once an exam uses it: its tickets and questions never change
after that (an edit makes the next version), so sessions, rubrics and scores can point at them.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.models import ExamTicket, PracticalTask, TicketTheoryQuestion
from courses.models import Course, QAItem, Topic
from labs.models import Lab


class TicketSet(models.Model):
    class Origin(models.TextChoices):
        IMPORTED = "imported", _("imported from the seeds")
        GENERATED = "generated", _("generated")
        AUTHORED = "authored", _("written by hand")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="ticket_sets")
    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveIntegerField(_("version"), default=1)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.AUTHORED)
    based_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # How it was made: seed, requested count and the balance report of a generated set; the
    # seeds' content hash of an imported one.
    generation = models.JSONField(default=dict, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course", "name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name", "version"], name="ticket_set_version")
        ]
        verbose_name = _("ticket set")
        verbose_name_plural = _("ticket sets")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class Ticket(models.Model):
    ticket_set = models.ForeignKey(TicketSet, on_delete=models.CASCADE, related_name="tickets")
    number = models.PositiveIntegerField(_("number"))
    # The practical task: graded by its lab when it has one, by the instructor otherwise.
    task_text = models.TextField(_("practical task"))
    task_reference = models.TextField(_("reference solution"), blank=True)
    lab = models.ForeignKey(
        Lab,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lab"),
    )
    practical_task = models.ForeignKey(
        PracticalTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_ticket = models.ForeignKey(
        ExamTicket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    difficulty = models.FloatField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket_set", "number"]
        constraints = [
            models.UniqueConstraint(fields=["ticket_set", "number"], name="ticket_number_in_set")
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"{self.ticket_set}: {self.number}"


class TicketQuestion(models.Model):
    """A theory question of a ticket: its own text and reference answer (copied from the bank
    item it came from, if any, so an edited bank never changes a ticket)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField()
    text = models.TextField(_("question"))
    reference_answer = models.TextField(_("reference answer"))
    qa_item = models.ForeignKey(
        QAItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    seed_question = models.ForeignKey(
        TicketTheoryQuestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    topics = models.ManyToManyField(Topic, related_name="+", blank=True)

    class Meta:
        ordering = ["ticket", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "position"], name="ticket_question_position")
        ]

    def __str__(self) -> str:
        return self.text[:120]

    @property
    def bank_key(self) -> str:
        if self.qa_item_id:
            return f"qa:{self.qa_item_id}"
        if self.seed_question_id:
            return f"theory:{self.seed_question_id}"
        return f"written:{self.pk}"


class Exam(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="exams")
    title = models.CharField(_("title"), max_length=200)
    ticket_set = models.ForeignKey(
        TicketSet, on_delete=models.PROTECT, related_name="exams", verbose_name=_("ticket set")
    )
    time_limit_minutes = models.PositiveIntegerField(_("time limit, minutes"), default=90)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    open_to_all = models.BooleanField(_("every learner may sit it"), default=False)
    practical_points = models.PositiveIntegerField(_("points for the practical task"), default=10)
    # Grade thresholds, in percent of the points of the ticket.
    excellent_from = models.PositiveIntegerField(_("excellent from, %"), default=85)
    good_from = models.PositiveIntegerField(_("good from, %"), default=70)
    satisfactory_from = models.PositiveIntegerField(_("satisfactory from, %"), default=50)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at", "title"]
        verbose_name = _("exam")
        verbose_name_plural = _("exams")

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


class ExamCandidate(models.Model):
    """A learner named for an exam: who may sit it (unless it is open to all) and any extra
    time they have."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="candidates")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_candidacies"
    )
    extra_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["exam", "learner"], name="exam_candidate_once")
        ]

    def __str__(self) -> str:
        return f"{self.exam_id}: {self.learner_id} +{self.extra_minutes}"


class RubricCriterion(models.Model):
    """One criterion of the rubric of one question in one exam."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="criteria")
    question = models.ForeignKey(TicketQuestion, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    title = models.CharField(_("criterion"), max_length=300)
    max_points = models.DecimalField(_("points"), max_digits=5, decimal_places=1)

    class Meta:
        ordering = ["exam", "question", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["exam", "question", "position"], name="rubric_criterion_position"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ExamSession(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        SUBMITTED = "submitted", _("submitted")
        EXPIRED = "expired", _("closed at the deadline")

    class Grading(models.TextChoices):
        UNGRADED = "ungraded", _("not graded")
        GRADED = "graded", _("graded")
        PUBLISHED = "published", _("published")

    class Mark(models.IntegerChoices):
        EXCELLENT = 5, _("excellent")
        GOOD = 4, _("good")
        SATISFACTORY = 3, _("satisfactory")
        UNSATISFACTORY = 2, _("unsatisfactory")

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="sessions")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_sessions"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="sessions")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    grading = models.CharField(max_length=10, choices=Grading.choices, default=Grading.UNGRADED)
    feedback = models.TextField(_("feedback"), blank=True)
    # None: the lab's score counts; a number: the instructor's points for the practical task.
    practical_override = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    theory_points = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    practical_points = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    max_points = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    percent = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    mark = models.PositiveSmallIntegerField(choices=Mark.choices, null=True, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    graded_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # One sitting per learner and exam: the draw happens once.
            models.UniqueConstraint(fields=["exam", "learner"], name="one_session_per_exam")
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="exam_session_deadline")]
        verbose_name = _("exam session")
        verbose_name_plural = _("exam sessions")

    def __str__(self) -> str:
        return f"{self.exam}: {self.learner}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.IN_PROGRESS

    @property
    def is_published(self) -> bool:
        return self.grading == self.Grading.PUBLISHED


class SessionAnswer(models.Model):
    """A learner's text for one theory question (position 1..n) or, for a practical task graded
    by hand, for the task (position 0, no question). Autosaved; `version` refuses stale tabs."""

    PRACTICAL_POSITION = 0

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="answers")
    position = models.PositiveIntegerField()
    question = models.ForeignKey(
        TicketQuestion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)
    saved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="session_answer_position")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.position}"


class CriterionScore(models.Model):
    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.PROTECT, related_name="scores")
    points = models.DecimalField(max_digits=5, decimal_places=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "criterion"], name="criterion_score_once")
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.points}"


class PracticalSubmission(models.Model):
    """A lab submission sent from inside an exam session (Submission.tier is "exam")."""

    session = models.ForeignKey(
        ExamSession, on_delete=models.CASCADE, related_name="practical_submissions"
    )
    submission = models.OneToOneField(
        "grading.Submission", on_delete=models.CASCADE, related_name="exam_link"
    )

    class Meta:
        ordering = ["session", "-submission__created_at"]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.submission_id}"


class GradeChange(models.Model):
    """A change to a published grade: who, when, why, and the figures before and after."""

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField()
    reason = models.TextField()
    before = models.JSONField()
    after = models.JSONField()

    class Meta:
        ordering = ["session", "-changed_at"]

    def __str__(self) -> str:
        return f"{self.session_id} {self.changed_at:%Y-%m-%d %H:%M}"
