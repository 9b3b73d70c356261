from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.access import login_required
from courses.highlighting import render_markdown
from labs.handout import handout_notebook
from labs.models import Lab


@login_required
def lab_list(request: HttpRequest) -> HttpResponse:
    labs = (
        Lab.objects.live()
        .select_related("course")
        .annotate(
            best_score=Max(
                "submissions__score",
                # Exam submissions count for their exam only, not for practice.
                filter=Q(submissions__learner=request.user, submissions__purpose="practice"),
            )
        )
        .order_by("course__title", "ticket_number", "slug")
    )
    return render(request, "labs/lab_list.html", {"labs": labs})


@login_required
def lab_detail(request: HttpRequest, slug: str) -> HttpResponse:
    from grading.forms import SubmissionForm
    from grading.models import Submission

    lab = get_object_or_404(Lab.objects.live().select_related("course"), slug=slug)
    history = list(
        Submission.objects.filter(
            lab=lab, learner=request.user, purpose=Submission.Purpose.PRACTICE
        )
        .only("id", "status", "score", "created_at", "kind", "lab_id")
        .order_by("-created_at")[:50]
    )
    last_source = (
        Submission.objects.filter(
            lab=lab, learner=request.user, purpose=Submission.Purpose.PRACTICE
        )
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
def lab_handout(request: HttpRequest, slug: str) -> HttpResponse:
    lab = get_object_or_404(Lab.objects.live(), slug=slug)
    response = HttpResponse(handout_notebook(lab), content_type="application/x-ipynb+json")
    response["Content-Disposition"] = f'attachment; filename="{lab.slug}.ipynb"'
    return response
