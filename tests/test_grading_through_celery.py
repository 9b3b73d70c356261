"""A submission goes through Redis to a real Celery worker, the sandbox and the judge."""

import time

import nbformat
import pytest
from django.urls import reverse
from nbformat.v4 import new_code_cell, new_notebook

from grading.models import Submission
from grading.services import Upload, submit_solution
from labs.catalog import load_lab
from labs.models import Lab
from labs.sync import sync_labs
from tests.factories import PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_final(submission: Submission, seconds: float = 120) -> Submission:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        submission.refresh_from_db()
        if submission.is_final:
            return submission
        time.sleep(0.3)
    pytest.fail(f"submission {submission.pk} still {submission.status} after {seconds} s")


@pytest.mark.parametrize(
    "slug",
    # mle-02: a lab of the ML-engineering environment, served by the worker's second zygote.
    ["dl-07-iou", "dl-10-mlops-onnx-pipeline", "mle-02-flask-predict-api"],
)
def test_a_reference_solution_is_graded_by_the_worker(celery_worker_process, alice, slug):
    sync_labs()
    lab = Lab.objects.get(slug=slug)
    source = (load_lab(slug).folder / "reference.py").read_text(encoding="utf-8")
    submission = wait_final(submit_solution(alice, lab, source=source))
    assert submission.status == Submission.Status.DONE, submission.message
    assert submission.score == 1.0
    assert submission.results.count() == len(lab.tests)
    assert submission.deliveries == 1


def test_a_notebook_is_graded_and_its_report_downloads(celery_worker_process, client, alice):
    sync_labs()
    lab = Lab.objects.get(slug="dl-07-iou")
    reference = (load_lab("dl-07-iou").folder / "reference.py").read_text(encoding="utf-8")
    notebook = new_notebook(
        cells=[
            new_code_cell(reference),
            new_code_cell("while True: pass  # an experiment", metadata={"tags": ["skip"]}),
        ]
    )
    upload = Upload("solution.ipynb", nbformat.writes(notebook).encode())
    submission = wait_final(submit_solution(alice, lab, upload=upload))
    assert submission.score == 1.0
    client.login(username="alice", password=PASSWORD)
    report = client.get(reverse("submission_report", args=[submission.pk]))
    assert report.status_code == 200
    assert report["Content-Disposition"].startswith("attachment")
    assert "Результат проверки" in report.content.decode()
