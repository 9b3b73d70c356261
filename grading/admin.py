"""Submissions and regrades in the admin, read-only (services.py alone changes them); the
"regrade" action on submissions (grading/regrading.py); and the operations page: workers
online per queue, queue lengths, recent failures (grading/operations.py)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from grading import operations
from grading import queues as queues_module
from grading.models import Regrade, Submission, TestResult
from grading.regrading import request_regrade
from labs.models import Lab


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
        "judge_version",
        "tier",
        "deliveries",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "lab", "kind", "tier", "judge_version", "created_at")
    list_select_related = ("lab", "learner")
    search_fields = ("learner__username", "learner__email", "lab__slug", "message")
    date_hierarchy = "created_at"
    inlines = [TestResultInline]
    change_list_template = "admin/grading/submission/change_list.html"
    actions = ["regrade_with_current_judge"]

    # Read-only: a status changed by hand would bypass the claims that make grading
    # idempotent; an operator re-sends or times out jobs through the sweeper instead.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Submission | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Submission | None = None) -> bool:
        return False

    def has_regrade_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("grading.add_regrade")

    @admin.action(
        description=gettext_lazy("Regrade with the current judge (kept beside the original)"),
        permissions=["regrade"],
    )
    def regrade_with_current_judge(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Queue a regrade of each selected submission that an older judge graded, in the
        low-priority queue; those already regraded by the current judge are left alone."""
        queued = already = skipped = 0
        selected = queryset.order_by()
        for lab in Lab.objects.filter(pk__in=selected.values("lab_id")):
            report = request_regrade(
                lab, submissions=selected.filter(lab=lab), requested_by=request.user
            )
            queued += len(report.queued)
            already += report.already
            skipped += selected.filter(lab=lab).count() - report.candidates
        self.message_user(
            request,
            ngettext("%(count)d regrade queued.", "%(count)d regrades queued.", queued)
            % {"count": queued}
            + " "
            + _(
                "Already regraded or waiting: %(already)d. Not graded, or graded by the current "
                "judge: %(skipped)d."
            )
            % {"already": already, "skipped": skipped},
            messages.SUCCESS if queued else messages.INFO,
        )

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
            "gpu_worker": queues_module.gpu_worker_beating(),
            "failures": operations.recent_failures(limit=20),
        }
        return TemplateResponse(request, "admin/grading/operations.html", context)


@admin.register(Regrade)
class RegradeAdmin(admin.ModelAdmin):
    """Regrades, read-only: asked for with the submissions' action or `manage.py regrade`."""

    list_display = (
        "id", "submission", "judge_version", "status", "score", "deliveries", "created_at",
        "finished_at",
    )  # fmt: skip
    list_filter = ("status", "judge_version", "submission__lab")
    list_select_related = ("submission__lab",)
    search_fields = ("submission__learner__username", "submission__lab__slug", "message")
    raw_id_fields = ("submission", "requested_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Regrade | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Regrade | None = None) -> bool:
        return False
