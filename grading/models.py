"""Submissions and their results. The Submission row is the source of truth of a grading job:
queued -> running -> done | failed | timed_out, or rejected before it is queued. Workers claim
a row with a conditional UPDATE and write its results only while their claim holds, so a job
delivered twice (a worker killed mid-job) is recorded once."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from labs.models import Lab


class Submission(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("graded")
        FAILED = "failed", _("failed to run")
        TIMED_OUT = "timed_out", _("timed out")
        REJECTED = "rejected", _("rejected")

    FINAL = (Status.DONE, Status.FAILED, Status.TIMED_OUT, Status.REJECTED)

    class Purpose(models.TextChoices):
        PRACTICE = "practice", _("practice")
        # Sent from inside an exam session: counts for the exam only, graded ahead of practice.
        EXAM = "exam", _("exam")

    class Kind(models.TextChoices):
        EDITOR = "editor", _("editor")
        PYTHON = "py", "solution.py"
        NOTEBOOK = "ipynb", "solution.ipynb"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    lab = models.ForeignKey(Lab, on_delete=models.PROTECT, related_name="submissions")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.EDITOR)
    purpose = models.CharField(
        max_length=10, choices=Purpose.choices, default=Purpose.PRACTICE, db_index=True
    )
    source = models.TextField()  # the Python that runs (a notebook's code cells, joined)
    notebook = models.TextField(blank=True)  # the uploaded notebook, for the HTML report
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    score = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)
    stdout = models.TextField(blank=True)
    stderr = models.TextField(blank=True)
    limit_hit = models.CharField(max_length=20, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A fresh token per claim: only the holder of the current claim may write results.
    claim = models.UUIDField(null=True, blank=True)
    deliveries = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
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

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @staticmethod
    def new_claim() -> uuid.UUID:
        return uuid.uuid4()


class TestResult(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    weight = models.FloatField()
    passed = models.BooleanField()
    message = models.TextField(blank=True)
    duration_s = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["submission", "position"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "name"], name="one_result_per_test")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {'pass' if self.passed else 'fail'}"


class Artifact(models.Model):
    """A file a grader produced (an image shown on the result page)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="artifacts")
    name = models.CharField(max_length=200)
    content = models.BinaryField()
    content_type = models.CharField(max_length=100, default="application/octet-stream")

    class Meta:
        ordering = ["submission", "name"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "name"], name="one_artifact_per_name")
        ]

    def __str__(self) -> str:
        return self.name
