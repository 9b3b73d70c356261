"""The lab catalogue's own page: the handout notebook. The lab list and a lab's page, where
learners submit and see their grades, belong to grading (grading/views.py): grading depends
on labs, never the other way round."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.access import login_required
from labs.handout import handout_notebook
from labs.models import Lab


@login_required
def lab_handout(request: HttpRequest, slug: str) -> HttpResponse:
    lab = get_object_or_404(Lab.objects.live(), slug=slug)
    response = HttpResponse(handout_notebook(lab), content_type="application/x-ipynb+json")
    response["Content-Disposition"] = f'attachment; filename="{lab.slug}.ipynb"'
    return response
