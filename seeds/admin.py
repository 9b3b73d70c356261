"""The admin's seed import: upload files, read the dry-run report, apply it."""

from pathlib import Path

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seeds.forms import SeedUploadForm
from seeds.imports import AlreadyApplied, apply_dry_run, dry_run_uploads
from seeds.loader import SeedInput
from seeds.models import ImportRun
from seeds.report import for_display


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status", "file_names", "user")
    list_filter = ("status",)
    readonly_fields = ("created_at", "status", "file_names", "user", "error", "applied_run")
    exclude = ("report",)
    change_form_template = "admin/seeds/importrun/change_form.html"
    change_list_template = "admin/seeds/importrun/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="seeds_upload"),
            path(
                "<int:run_id>/apply/",
                self.admin_site.admin_view(require_POST(self.apply_view)),
                name="seeds_apply",
            ),
            *super().get_urls(),
        ]

    def _check_import_permission(self, request: HttpRequest) -> None:
        if not request.user.has_perm("seeds.add_importrun"):
            raise PermissionDenied

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        self._check_import_permission(request)
        form = SeedUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            uploads = [
                SeedInput(Path(upload.name).name, upload.read())
                for upload in form.cleaned_data["files"]
            ]
            run = dry_run_uploads(uploads, request.user)
            return redirect(reverse("admin:seeds_importrun_change", args=[run.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import seed documents"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/seeds/importrun/upload.html", context)

    def apply_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        self._check_import_permission(request)
        run = get_object_or_404(ImportRun, pk=run_id)
        try:
            applied = apply_dry_run(run, request.user)
        except AlreadyApplied:
            messages.error(request, _("This dry run was already applied; nothing was changed."))
            return redirect(reverse("admin:seeds_importrun_change", args=[run.pk]))
        if applied.status == ImportRun.Status.FAILED:
            messages.error(request, _("Nothing was imported: %(error)s") % {"error": applied.error})
        else:
            messages.success(request, _("The import was applied."))
        return redirect(reverse("admin:seeds_importrun_change", args=[applied.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = get_object_or_404(ImportRun, pk=object_id)
        extra_context = {
            **(extra_context or {}),
            "run": run,
            "report": for_display(run.report) if run.report else None,
            "can_apply": run.status == ImportRun.Status.DRY_RUN and run.applied_run_id is None,
        }
        return super().change_view(request, object_id, form_url, extra_context)
