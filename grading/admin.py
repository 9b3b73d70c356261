"""Submissions in the admin, read-only (services.py alone changes them), and the operations
page: workers online per queue, queue lengths, recent failures (grading/operations.py)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from grading import operations
from grading.models import Submission, TestResult


class TestResultInline(admin.TabularInline):
    model = TestResult
    fields = ("position", "name", "passed", "weight", "duration_s", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Submission | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Submission | None = None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "lab",
        "learner",
        "status",
        "score",
        "deliveries",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "lab", "kind", "created_at")
    list_select_related = ("lab", "learner")
    search_fields = ("learner__username", "learner__email", "lab__slug", "message")
    date_hierarchy = "created_at"
    inlines = [TestResultInline]
    change_list_template = "admin/grading/submission/change_list.html"

    # Read-only: a status changed by hand would bypass the claims that make grading
    # idempotent; an operator re-sends or times out jobs through the sweeper instead.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Submission | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Submission | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "operations/",
                self.admin_site.admin_view(self.operations_view),
                name="grading_operations",
            ),
            *super().get_urls(),
        ]

    def operations_view(self, request: HttpRequest) -> HttpResponse:
        """Staff only (admin_view); among staff, those who may view submissions."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        workers = operations.workers_by_queue(timeout=1.0)
        lengths = operations.queue_lengths()
        queues = [
            {
                "name": name,
                "length": lengths.get(name),
                "workers": None if workers is None else workers.get(name, []),
            }
            for name in dict.fromkeys([*operations.configured_queues(), *(workers or {})])
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Grading operations"),
            "opts": self.model._meta,
            "queues": queues,
            "broker_answered": workers is not None,
            "failures": operations.recent_failures(limit=20),
        }
        return TemplateResponse(request, "admin/grading/operations.html", context)
