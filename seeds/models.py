"""Import runs: who imported which files when, the report, and (for the admin's two-step
upload) the uploaded files kept until the dry run is applied."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportRun(models.Model):
    class Status(models.TextChoices):
        DRY_RUN = "dry_run", _("dry run")
        APPLIED = "applied", _("applied")
        FAILED = "failed", _("failed")

    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("user"),
    )
    status = models.CharField(max_length=10, choices=Status.choices, verbose_name=_("status"))
    file_names = models.JSONField(default=list, verbose_name=_("files"))
    report = models.JSONField(default=dict, verbose_name=_("report"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    applied_run = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dry_run_of",
        verbose_name=_("applied as"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("seed import")
        verbose_name_plural = _("seed imports")

    def __str__(self) -> str:
        return f"{self.get_status_display()} {', '.join(self.file_names)}"


class UploadedSeedFile(models.Model):
    """A file uploaded through the admin, kept with its dry run so that "apply" imports
    exactly the bytes that were checked."""

    run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, related_name="files", verbose_name=_("import run")
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    content = models.BinaryField(verbose_name=_("content"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))

    class Meta:
        ordering = ["run", "name"]
        verbose_name = _("uploaded seed file")
        verbose_name_plural = _("uploaded seed files")

    def __str__(self) -> str:
        return self.name
