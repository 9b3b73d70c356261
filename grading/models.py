"""Grading jobs and their results.

A job's row is the source of truth of its grading: queued -> running -> done | failed |
timed_out | error, or rejected before it is queued. Two kinds of job share that life
(``GradingJob``): a learner's ``Submission``, and a ``Regrade``, which re-runs a stored
submission through a newer judge and keeps its result beside the original one, never over it.

Workers claim a row with a conditional UPDATE and write its results only while their claim
holds, so a job delivered twice (a worker killed mid-job) is recorded once. Every claim counts
as one attempt (``deliveries``); past GRADING_MAX_ATTEMPTS a job ends as an internal error
instead of being tried again (grading/services.py).

Messages: ``message`` is the Russian text (the site's language, and what the judges write);
``messages`` may hold the same message in other languages by language code ({"en": ...}), and
``message_in(language)`` picks the viewer's, falling back to ``message``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from grading.queues import Tier
from labs.models import Lab


def message_in(message: str, messages: dict | None, language: str | None) -> str:
    """The text of a message in ``language`` ("en", "ru", "en-us"), else the Russian one."""
    if messages and language:
        for code in (language, language.split("-")[0]):
            text = messages.get(code)
            if isinstance(text, str) and text:
                return text
    return message


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("graded")
    FAILED = "failed", _("failed to run")
    TIMED_OUT = "timed_out", _("timed out")
    ERROR = "error", _("grading error")  # ours, not the learner's: the attempts ran out
    REJECTED = "rejected", _("rejected")


class GradingJob(models.Model):
    """What every grading job holds: its state, its claim and attempts, its overall result."""

    Status = JobStatus
    FINAL = (Status.DONE, Status.FAILED, Status.TIMED_OUT, Status.ERROR, Status.REJECTED)

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    score = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)
    messages = models.JSONField(default=dict, blank=True)  # the message by language code
    stdout = models.TextField(blank=True)
    stderr = models.TextField(blank=True)
    limit_hit = models.CharField(max_length=20, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    # The version of the lab's judge that produced the result (lab.toml's judge_version).
    judge_version = models.PositiveIntegerField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)  # the last time it was sent
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A fresh token per claim: only the holder of the current claim may write results.
    claim = models.UUIDField(null=True, blank=True)
    # Attempts: how many times a worker claimed (started) the job.
    deliveries = models.PositiveIntegerField(default=0)
    # How many times the sweeper sent the job again because its message seemed lost.
    resends = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    # The device whose queues the job was sent to ("cpu" or "gpu": a GPU lab goes to the CPU
    # when no GPU worker is online), then the device of the worker that claimed it; blank
    # for jobs from before it was kept, and for rejected submissions.
    device = models.CharField(
        max_length=3, blank=True, choices=[("cpu", "CPU"), ("gpu", "GPU")], default=""
    )
    # For operators, never shown to learners: why the last attempt failed on our side.
    internal_error = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    def message_in(self, language: str | None) -> str:
        return message_in(self.message, self.messages, language)

    @staticmethod
    def new_claim() -> uuid.UUID:
        return uuid.uuid4()


class Submission(GradingJob):
    class Kind(models.TextChoices):
        EDITOR = "editor", _("editor")
        PYTHON = "py", "solution.py"
        NOTEBOOK = "ipynb", "solution.ipynb"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    lab = models.ForeignKey(Lab, on_delete=models.PROTECT, related_name="submissions")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EDITOR)
    # Which queue tier grades it: practice, or exam (grading.queues.lab_queue).
    tier = models.CharField(
        max_length=10,
        choices=[(Tier.EXAM.value, _("exam")), (Tier.PRACTICE.value, _("practice"))],
        default=Tier.PRACTICE.value,
    )
    source = models.TextField()  # the Python that runs (a notebook's code cells, joined)
    notebook = models.TextField(blank=True)  # the uploaded notebook, for the HTML report
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    tests_total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["learner", "lab", "-created_at"])]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")

    def __str__(self) -> str:
        return f"#{self.pk} {self.lab.slug} {self.status}"

    def get_absolute_url(self) -> str:
        return reverse("submission_detail", args=[self.pk])


class TestResult(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    titles = models.JSONField(default=dict, blank=True)  # the title by language code
    weight = models.FloatField()
    passed = models.BooleanField()
    message = models.TextField(blank=True)
    messages = models.JSONField(default=dict, blank=True)  # the message by language code
    duration_s = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["submission", "position"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "name"], name="one_result_per_test")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {'pass' if self.passed else 'fail'}"

    def message_in(self, language: str | None) -> str:
        return message_in(self.message, self.messages, language)

    def title_in(self, language: str | None) -> str:
        return message_in(self.title, self.titles, language)


class Artifact(models.Model):
    """A file that came with a submission's grading, served only to those who may see the
    submission: a file the job wrote under ``out/``, or (``grader``) a figure the lab's
    judge made from the evidence, written as a PNG by trusted code (grading/figures.py) and
    shown on the result page with its title as the image's alt text."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="artifacts")
    name = models.CharField(max_length=200)
    content = models.BinaryField()
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    grader = models.BooleanField(default=False)  # a judge's figure, not a file of the job
    titles = models.JSONField(default=dict, blank=True)  # a figure's title by language code

    class Meta:
        ordering = ["submission", "name"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "name"], name="one_artifact_per_name")
        ]

    def __str__(self) -> str:
        return self.name

    def title_in(self, language: str | None) -> str:
        return message_in(self.name, self.titles, language)


class Regrade(GradingJob):
    """A stored submission graded again by a newer version of its lab's judge. The learner's
    original result stays as it was; this row holds the new one beside it. One row per
    submission and judge version, so asking twice queues nothing the second time.

    ``tests`` holds the per-test results as the result page shows them:
    [{"name", "title", "weight", "passed", "message", "messages", "duration_s"}]."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="regrades")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    tests = models.JSONField(default=list, blank=True)

    tier = Tier.REGRADE.value

    class Meta:
        ordering = ["submission", "judge_version"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "judge_version"], name="one_regrade_per_judge_version"
            )
        ]
        verbose_name = _("regrade")
        verbose_name_plural = _("regrades")

    def __str__(self) -> str:
        return f"regrade of #{self.submission_id} (judge v{self.judge_version}) {self.status}"
