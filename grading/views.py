"""The learner's side of grading: the lab list with each learner's best score, a lab's page
(statement, editor, their submissions), submitting, and a submission's page with its results
as they arrive and, once a newer judge has regraded it, the new result beside the original."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from accounts.access import login_required
from courses.highlighting import render_markdown
from grading.access import get_submission_for_user
from grading.forms import SubmissionForm
from grading.models import Regrade, Submission
from grading.queues import Tier
from grading.services import RateLimited, Upload, queue_position, submit_solution
from labs.models import Lab

# The regrades a learner sees: those that produced a result (an internal error is the
# operators' to re-run, not news for the learner).
SHOWN_REGRADES = (Regrade.Status.DONE, Regrade.Status.FAILED, Regrade.Status.TIMED_OUT)


@login_required
def lab_list(request: HttpRequest) -> HttpResponse:
    labs = (
        Lab.objects.live()
        .select_related("course")
        .annotate(
            best_score=Max(
                "submissions__score",
                # Exam submissions count for their exam only, not for practice.
                filter=Q(submissions__learner=request.user, submissions__tier=Tier.PRACTICE),
            )
        )
        .order_by("course__title", "ticket_number", "slug")
    )
    return render(request, "labs/lab_list.html", {"labs": labs})


@login_required
def lab_detail(request: HttpRequest, slug: str) -> HttpResponse:
    lab = get_object_or_404(Lab.objects.live().select_related("course"), slug=slug)
    history = list(
        Submission.objects.filter(lab=lab, learner=request.user, tier=Tier.PRACTICE)
        .only("id", "status", "score", "created_at", "kind", "lab_id")
        .order_by("-created_at")[:50]
    )
    last_source = (
        Submission.objects.filter(lab=lab, learner=request.user, tier=Tier.PRACTICE)
        .exclude(source="")
        .values_list("source", flat=True)
        .first()
    )
    scores = [s.score for s in history if s.score is not None]
    context = {
        "lab": lab,
        "statement_html": render_markdown(lab.statement),
        "form": SubmissionForm(initial={"source": last_source or lab.starter_code}),
        "history": history,
        "best_score": max(scores) if scores else None,
    }
    return render(request, "labs/lab_detail.html", context)


@login_required
@require_POST
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    lab = get_object_or_404(Lab.objects.live(), slug=slug)
    form = SubmissionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()) or _("Check the form."))
        return redirect(lab)
    upload = form.cleaned_data.get("file")
    try:
        submission = submit_solution(
            request.user,
            lab,
            source=None if upload else form.cleaned_data["source"],
            upload=Upload(upload.name, upload.read()) if upload else None,
        )
    except RateLimited as refusal:
        messages.error(request, str(refusal))
        return redirect(lab)
    if request.htmx:
        return HttpResponseClientRedirect(submission.get_absolute_url())
    return redirect(submission)


def regrade_history(submission: Submission) -> list[dict]:
    """The regrades of a submission that produced a result, oldest first, each with the score
    it replaced on the page ("was"): the original's for the first, the previous one's after."""
    shown = submission.regrades.filter(status__in=SHOWN_REGRADES).order_by(
        "judge_version", "finished_at"
    )
    history, previous = [], submission.score
    for regrade in shown:
        history.append({"regrade": regrade, "was": previous})
        previous = regrade.score
    return history


def _status_context(submission: Submission) -> dict:
    results = list(submission.results.all())
    done = len(results)
    total = submission.tests_total or len(submission.lab.tests) or 1
    return {
        "submission": submission,
        "results": results,
        "artifacts": list(
            submission.artifacts.only("id", "name", "content_type", "grader", "titles").order_by(
                "-grader", "name"
            )
        ),
        "position": queue_position(submission),
        "progress": 100 if submission.is_final else int(100 * done / total),
        "regrades": regrade_history(submission) if submission.is_final else [],
    }


@login_required
def submission_detail(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = get_submission_for_user(request.user, submission_id)
    return render(request, "grading/submission_detail.html", _status_context(submission))


@login_required
def submission_status(request: HttpRequest, submission_id: int) -> HttpResponse:
    """The polled fragment; HTTP 286 tells htmx to stop polling once the grade is final."""
    submission = get_submission_for_user(request.user, submission_id)
    response = render(request, "grading/submission_detail.html#status", _status_context(submission))
    if submission.is_final:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@login_required
def submission_report(request: HttpRequest, submission_id: int) -> HttpResponse:
    # nbconvert is heavy and this page is rare: import it here, not in every web process.
    from grading.reports import notebook_report_html

    submission = get_submission_for_user(request.user, submission_id)
    if not submission.notebook or not submission.is_final:
        return redirect(submission)
    response = HttpResponse(notebook_report_html(submission), content_type="text/html")
    # The notebook is the learner's own HTML: download it, never render it on our origin.
    response["Content-Disposition"] = f'attachment; filename="report-{submission.pk}.html"'
    response["Content-Security-Policy"] = "sandbox"
    return response


@login_required
def submission_artifact(request: HttpRequest, submission_id: int, name: str) -> HttpResponse:
    submission = get_submission_for_user(request.user, submission_id)
    artifact = get_object_or_404(submission.artifacts, name=name)
    content_type = (
        artifact.content_type
        if artifact.content_type == "image/png"
        else ("application/octet-stream")
    )
    response = HttpResponse(bytes(artifact.content), content_type=content_type)
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
