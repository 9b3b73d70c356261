"""The assessment bank imported from the seeds: multiple-choice questions and exam tickets
(two theory questions with reference answers and one practical task with reference code).
Quizzes over this bank, attempts with their answers, and per-topic results."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from courses.models import Course, QAItem, SeedContent, Topic


class MCQ(SeedContent):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="mcqs", verbose_name=_("course")
    )
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))
    block = models.PositiveIntegerField(default=0, verbose_name=_("block"))
    question = models.TextField(_("question"))
    # The answer text as the seed states it; when it disagrees with the option's own text the
    # import reports it and the item analysis flags the question.
    stated_answer_text = models.TextField(
        blank=True, verbose_name=_("answer text as the seed states it")
    )
    answer_text_mismatch = models.BooleanField(
        default=False, verbose_name=_("answer text disagrees with the key")
    )
    topics = models.ManyToManyField(
        Topic, related_name="mcqs", blank=True, verbose_name=_("topics")
    )

    class Meta:
        ordering = ["course", "position"]
        verbose_name = _("multiple-choice question")
        verbose_name_plural = _("multiple-choice questions")

    def __str__(self) -> str:
        return self.question[:120]


class MCQOption(models.Model):
    mcq = models.ForeignKey(
        MCQ,
        on_delete=models.CASCADE,
        related_name="options",
        verbose_name=_("multiple-choice question"),
    )
    position = models.PositiveIntegerField(verbose_name=_("position"))
    letter = models.CharField(max_length=4, verbose_name=_("letter"))
    text = models.TextField(_("text"))
    is_correct = models.BooleanField(default=False, verbose_name=_("right"))

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
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="tickets", verbose_name=_("course")
    )
    number = models.PositiveIntegerField(verbose_name=_("number"))

    class Meta:
        ordering = ["course", "number"]
        verbose_name = _("exam ticket")
        verbose_name_plural = _("exam tickets")

    def __str__(self) -> str:
        return _("%(course)s: ticket %(number)d") % {
            "course": self.course.title,
            "number": self.number,
        }


class TicketTheoryQuestion(SeedContent):
    ticket = models.ForeignKey(
        ExamTicket, on_delete=models.CASCADE, related_name="questions", verbose_name=_("ticket")
    )
    position = models.PositiveIntegerField(verbose_name=_("position"))
    question = models.TextField(_("question"))
    reference_answer = models.TextField(_("reference answer"), blank=True)
    topics = models.ManyToManyField(
        Topic, related_name="ticket_questions", blank=True, verbose_name=_("topics")
    )
    # Q&A items that ask the same question elsewhere in the seeds.
    see_also = models.ManyToManyField(
        QAItem, related_name="ticket_questions", blank=True, verbose_name=_("see also")
    )

    class Meta:
        ordering = ["ticket", "position"]
        verbose_name = _("theory question")
        verbose_name_plural = _("theory questions")

    def __str__(self) -> str:
        return self.question[:120]


class PracticalTask(SeedContent):
    ticket = models.OneToOneField(
        ExamTicket,
        on_delete=models.CASCADE,
        related_name="practical_task",
        verbose_name=_("ticket"),
    )
    text = models.TextField(_("task"))
    seed_code = models.TextField(_("reference code as in the seed"), blank=True)
    restored_code = models.TextField(_("reference code"), blank=True)
    code_restored = models.BooleanField(default=False, verbose_name=_("code restored"))
    restoration_problem = models.TextField(_("restoration problem"), blank=True)
    # What a grader must know about the reference code (network access, removed APIs...).
    notes = models.JSONField(_("notes"), default=list, blank=True)
    # The import's warnings about the code ({"code", "line", "detail"}, detail a message to
    # translate): what restoration guessed, what the code needs. Shown next to the code.
    code_warnings = models.JSONField(_("warnings about the code"), default=list, blank=True)
    # What running the code in the sandbox found (same shape), and when it last ran; kept
    # out of the content hash: an import that does not run the code leaves them as they are.
    run_findings = models.JSONField(_("findings of a test run"), default=list, blank=True)
    run_checked_at = models.DateTimeField(_("test run at"), null=True, blank=True)
    topics = models.ManyToManyField(
        Topic, related_name="practical_tasks", blank=True, verbose_name=_("topics")
    )

    class Meta:
        ordering = ["ticket"]
        verbose_name = _("practical task")
        verbose_name_plural = _("practical tasks")

    def __str__(self) -> str:
        return self.text[:120]


# --- Quizzes and attempts ---------------------------------------------------------------------


class Quiz(models.Model):
    """A timed quiz an instructor defines. Practice quizzes are not rows here: a learner makes
    them on the fly, and their attempts carry their own settings (Attempt.quiz is null)."""

    class Selection(models.TextChoices):
        FIXED = "fixed", _("fixed set of questions")
        RANDOM = "random", _("random draw from topics")

    class Layout(models.TextChoices):
        ONE = "one", _("one question at a time")
        ALL = "all", _("all questions on one page")

    class ShowAnswers(models.TextChoices):
        AFTER_SUBMIT = "after_submit", _("right after submission")
        AFTER_CLOSE = "after_close", _("after the quiz closes")
        NEVER = "never", _("never (score only)")

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="quizzes", verbose_name=_("course")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    selection = models.CharField(
        _("questions"), max_length=10, choices=Selection.choices, default=Selection.RANDOM
    )
    mcqs = models.ManyToManyField(MCQ, related_name="quizzes", blank=True, verbose_name=_("pool"))
    topics = models.ManyToManyField(
        Topic, related_name="quizzes", blank=True, verbose_name=_("topics")
    )
    question_count = models.PositiveIntegerField(_("number of questions"), default=10)
    time_limit_minutes = models.PositiveIntegerField(_("time limit, minutes"), default=20)
    attempts_allowed = models.PositiveIntegerField(
        _("attempts allowed"), default=1, help_text=_("0 means unlimited")
    )
    layout = models.CharField(_("layout"), max_length=4, choices=Layout.choices, default=Layout.ONE)
    show_answers = models.CharField(
        _("show answers"),
        max_length=20,
        choices=ShowAnswers.choices,
        default=ShowAnswers.AFTER_SUBMIT,
    )
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["course", "title"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return self.title

    def is_closed(self, now: datetime) -> bool:
        return self.closes_at is not None and now >= self.closes_at


class Attempt(models.Model):
    class Mode(models.TextChoices):
        PRACTICE = "practice", _("practice")
        TIMED = "timed", _("timed")

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        SUBMITTED = "submitted", _("handed in")
        EXPIRED = "expired", _("closed at the deadline")

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="quiz_attempts",
        verbose_name=_("learner"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="quiz_attempts", verbose_name=_("course")
    )
    quiz = models.ForeignKey(
        Quiz,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attempts",
        verbose_name=_("quiz"),
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, verbose_name=_("mode"))
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.IN_PROGRESS, verbose_name=_("status")
    )
    # Settings copied from the quiz at the start: editing a quiz never changes running attempts.
    layout = models.CharField(
        max_length=4, choices=Quiz.Layout.choices, default=Quiz.Layout.ONE, verbose_name=_("layout")
    )
    show_answers = models.CharField(
        max_length=20,
        choices=Quiz.ShowAnswers.choices,
        default=Quiz.ShowAnswers.AFTER_SUBMIT,
        verbose_name=_("show answers"),
    )
    topics = models.ManyToManyField(Topic, related_name="+", blank=True, verbose_name=_("topics"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    deadline = models.DateTimeField(null=True, blank=True, verbose_name=_("deadline"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    current_position = models.PositiveIntegerField(default=1, verbose_name=_("current question"))
    question_count = models.PositiveIntegerField(default=0, verbose_name=_("number of questions"))
    correct_count = models.PositiveIntegerField(default=0, verbose_name=_("right answers"))

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # One running attempt per learner and quiz: a second start resumes it.
            models.UniqueConstraint(
                fields=["learner", "quiz"],
                condition=models.Q(status="in_progress", quiz__isnull=False),
                name="one_running_attempt_per_quiz",
            )
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="attempt_status_deadline")]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")

    def __str__(self) -> str:
        return f"{self.learner} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.IN_PROGRESS

    @property
    def is_practice(self) -> bool:
        return self.mode == self.Mode.PRACTICE

    @property
    def outcome_label(self) -> str:
        """What became of the attempt, in words that never suggest a pass: a practice is
        finished, a timed quiz handed in or closed at its deadline."""
        if self.is_open:
            return str(self.Status.IN_PROGRESS.label)
        if self.is_practice:
            return str(_("finished"))
        return str(self.get_status_display())

    @property
    def score_percent(self) -> int:
        if not self.question_count:
            return 0
        return round(100 * self.correct_count / self.question_count)

    def answers_visible(self, now: datetime) -> bool:
        """Whether the learner may see right answers now (practice: always, per question)."""
        if self.is_practice:
            return True
        if self.is_open:
            return False
        if self.show_answers == Quiz.ShowAnswers.AFTER_SUBMIT:
            return True
        if self.show_answers == Quiz.ShowAnswers.AFTER_CLOSE:
            return self.quiz is not None and self.quiz.is_closed(now)
        return False


class AttemptQuestion(models.Model):
    """One question of one attempt, with its answer. The option order is shuffled once at the
    start and stored, so a reload shows the same order; the right option is copied too, so
    grading an answer needs no join and an edited bank never regrades old attempts."""

    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="questions", verbose_name=_("attempt")
    )
    mcq = models.ForeignKey(
        MCQ,
        on_delete=models.PROTECT,
        related_name="attempt_questions",
        verbose_name=_("multiple-choice question"),
    )
    position = models.PositiveIntegerField(verbose_name=_("position"))
    option_order = models.JSONField(
        verbose_name=_("order of the options")
    )  # [MCQOption.id, ...] as shown
    # SET_NULL: a re-import may drop an option; the attempt keeps its is_correct.
    correct_option = models.ForeignKey(
        MCQOption,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        verbose_name=_("right option"),
    )
    chosen_option = models.ForeignKey(
        MCQOption,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("chosen option"),
    )
    is_correct = models.BooleanField(null=True, verbose_name=_("right"))
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("answered at"))
    # Bumped by every saved answer; a form carries the version it was rendered with, so a
    # replayed or stale POST is refused instead of overwriting a newer answer.
    version = models.PositiveIntegerField(default=0, verbose_name=_("version"))

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attempt_question_pos"),
            models.UniqueConstraint(fields=["attempt", "mcq"], name="attempt_question_mcq"),
        ]
        verbose_name = _("question of an attempt")
        verbose_name_plural = _("questions of attempts")

    def __str__(self) -> str:
        return f"{self.attempt_id}/{self.position}"


class TopicResult(models.Model):
    """Per-topic score of one finished attempt, kept for the mastery view to combine with
    flashcards and labs (learner and course are copied so it queries without joins)."""

    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="topic_results", verbose_name=_("attempt")
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="quiz_topic_results",
        verbose_name=_("learner"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="+", verbose_name=_("course")
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="quiz_results", verbose_name=_("topic")
    )
    correct = models.PositiveIntegerField(verbose_name=_("correct"))
    total = models.PositiveIntegerField(verbose_name=_("total"))
    finished_at = models.DateTimeField(verbose_name=_("finished at"))

    class Meta:
        ordering = ["topic__position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "topic"], name="topic_result_once")
        ]
        indexes = [models.Index(fields=["learner", "topic"], name="topic_result_learner")]
        verbose_name = _("result by topic")
        verbose_name_plural = _("results by topic")

    def __str__(self) -> str:
        return f"{self.topic}: {self.correct}/{self.total}"


# --- Questions imported from Moodle XML / GIFT, waiting for review ----------------------------


class QuestionDraft(models.Model):
    """A question read from an uploaded Moodle XML or GIFT file. Nothing reaches learners until
    an instructor previews it and publishes it into the bank (assessments/question_drafts.py);
    a draft can also be discarded. Uploading the same file again updates its open drafts."""

    class Kind(models.TextChoices):
        MULTICHOICE = "multichoice", _("multiple choice")
        ESSAY = "essay", _("essay (question and answer)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        DISCARDED = "discarded", _("discarded")

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="question_drafts", verbose_name=_("course")
    )
    source = models.CharField(_("file"), max_length=200)
    line = models.PositiveIntegerField(_("line"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    text = models.TextField(_("question"))
    options = models.JSONField(_("options"), default=list, blank=True)  # [{"text", "is_correct"}]
    answer = models.TextField(_("answer"), blank=True)
    category = models.CharField(_("category"), max_length=300, blank=True)
    topic_slugs = models.JSONField(_("topics in the file"), default=list, blank=True)
    topic = models.ForeignKey(
        Topic,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("topic"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["course", "source", "line", "pk"]
        verbose_name = _("imported question")
        verbose_name_plural = _("imported questions")

    def __str__(self) -> str:
        return self.text[:120]
