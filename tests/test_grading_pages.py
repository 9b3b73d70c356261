"""The lab and submission pages: who sees what, submitting, the polled status fragment."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grading.models import Submission, TestResult
from labs.models import Lab
from labs.sync import sync_labs
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(db) -> Lab:
    sync_labs()
    return Lab.objects.get(slug="dl-07-iou")


def login(client, user):
    client.login(username=user.username, password=PASSWORD)


def test_the_lab_page_shows_the_statement_the_editor_and_the_handout(client, alice, lab):
    login(client, alice)
    body = client.get(lab.get_absolute_url()).content.decode()
    assert "IoU для ограничивающих рамок" in body
    assert 'name="source"' in body and "def iou_matrix" in body
    assert reverse("lab_handout", args=[lab.slug]) in body


def test_the_handout_is_a_valid_notebook_with_a_skipped_cell(client, alice, lab):
    import nbformat

    login(client, alice)
    response = client.get(reverse("lab_handout", args=[lab.slug]))
    notebook = nbformat.reads(response.content.decode(), as_version=4)
    nbformat.validate(notebook)
    assert ["skip"] in [cell.metadata.get("tags") for cell in notebook.cells]


def test_submitting_from_the_editor_queues_a_submission(client, alice, lab):
    login(client, alice)
    response = client.post(
        reverse("submit_solution", args=[lab.slug]), {"source": "def iou(a, b):\n    return 0\n"}
    )
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == submission.get_absolute_url()
    assert submission.status == Submission.Status.QUEUED
    assert submission.learner == alice


def test_an_upload_that_is_not_utf8_is_rejected_with_a_message(client, alice, lab):
    login(client, alice)
    upload = SimpleUploadedFile("solution.py", "# решение\n".encode("cp1251"))
    client.post(reverse("submit_solution", args=[lab.slug]), {"file": upload})
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.REJECTED
    page = client.get(submission.get_absolute_url()).content.decode()
    assert "UTF-8" in page


def test_a_learner_cannot_see_another_learners_submission(client, alice, bob, lab):
    theirs = Submission.objects.create(learner=alice, lab=lab, source="x = 1")
    login(client, bob)
    for name in ("submission_detail", "submission_status", "submission_report"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404


def test_an_instructor_can_see_a_learners_submission(client, alice, ivan, lab):
    theirs = Submission.objects.create(learner=alice, lab=lab, source="x = 1")
    login(client, ivan)
    assert client.get(theirs.get_absolute_url()).status_code == 200


def test_the_status_fragment_polls_until_the_grade_is_final(client, alice, lab):
    login(client, alice)
    submission = Submission.objects.create(learner=alice, lab=lab, source="x = 1", tests_total=11)
    url = reverse("submission_status", args=[submission.pk])
    queued = client.get(url, headers={"HX-Request": "true"})
    assert queued.status_code == 200
    assert 'hx-trigger="every 1s"' in queued.content.decode()
    TestResult.objects.create(
        submission=submission, position=1, name="identical", title="Совпадающие рамки",
        weight=1, passed=True, message="Верно.",
    )  # fmt: skip
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.DONE, score=1.0)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.status_code == 286  # htmx stops polling
    body = done.content.decode()
    assert "Совпадающие рамки" in body and "100%" in body
    assert "hx-trigger" not in body


def test_too_many_submissions_in_a_row_are_refused(client, alice, lab, settings):
    settings.GRADING_MAX_ACTIVE_PER_LEARNER = 2
    login(client, alice)
    url = reverse("submit_solution", args=[lab.slug])
    for _ in range(3):
        response = client.post(url, {"source": "x = 1\n"}, follow=True)
    assert Submission.objects.count() == 2
    assert "в очереди" in response.content.decode()


def test_the_lab_list_shows_the_learners_best_score(
    client, alice, bob, lab, django_assert_max_num_queries
):
    Submission.objects.create(learner=alice, lab=lab, source="x", status="done", score=0.5)
    Submission.objects.create(learner=bob, lab=lab, source="x", status="done", score=1.0)
    login(client, alice)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("lab_list")).content.decode()
    assert "50%" in body
    assert "100%" not in body
