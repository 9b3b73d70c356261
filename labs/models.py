"""A Lab row per folder of the catalogue (labs/catalog/<slug>/), kept in step by `sync_labs`."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from courses.models import Course, Topic


class LabQuerySet(models.QuerySet):
    def live(self) -> LabQuerySet:
        return self.filter(retired_at__isnull=True)


class Lab(models.Model):
    class Device(models.TextChoices):
        CPU = "cpu", "CPU"
        GPU = "gpu", "GPU"

    slug = models.SlugField(unique=True)
    title = models.CharField(_("title"), max_length=300)
    course = models.ForeignKey(Course, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="labs")  # fmt: skip
    # The exam ticket of the course whose practical task this lab grades.
    ticket_number = models.PositiveIntegerField(null=True, blank=True)
    device = models.CharField(max_length=3, choices=Device.choices, default=Device.CPU)
    statement = models.TextField(_("statement"))
    starter_code = models.TextField(_("starter code"))
    limits = models.JSONField(default=dict)
    tests = models.JSONField(default=list)  # [{"name", "weight", "title"}] from the judge
    # lab.toml's judge_version: results graded by an older one may be regraded.
    judge_version = models.PositiveIntegerField(default=1)
    topics = models.ManyToManyField(Topic, related_name="labs", blank=True)
    catalog_hash = models.CharField(max_length=64)
    synced_at = models.DateTimeField(auto_now=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = LabQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        verbose_name = _("lab")
        verbose_name_plural = _("labs")

    def __str__(self) -> str:
        return f"{self.slug}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("lab_detail", args=[self.slug])

    def reference_source(self) -> str | None:
        """The lab's reference solution as the catalogue holds it (labs/catalog/<slug>/
        reference.py), for instructors only; None when this machine's catalogue lacks it.
        Read as a file: the web process never loads the catalogue's judges."""
        path = Path(settings.LAB_CATALOG_DIR) / self.slug / "reference.py"
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
