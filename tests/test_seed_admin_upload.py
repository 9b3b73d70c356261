"""The admin's upload page: a dry-run report first, then apply; others cannot use it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import ExamTicket
from seeds.models import ImportRun
from tests.factories import PASSWORD
from tests.seed_files import MLE

pytestmark = pytest.mark.django_db


def upload(client, *files):
    return client.post(reverse("admin:seeds_upload"), {"files": list(files)}, follow=True)


def seed_upload(path):
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/plain")


def test_an_admin_sees_a_dry_run_report_then_applies_it(client, ada):
    client.login(username="ada", password=PASSWORD)
    response = upload(client, seed_upload(MLE))
    body = response.content.decode()
    assert response.status_code == 200
    assert "truncated_ticket" in body  # the warnings are listed with file and line
    assert ExamTicket.objects.count() == 0  # nothing written by the dry run
    run = ImportRun.objects.get(status=ImportRun.Status.DRY_RUN)

    response = client.post(reverse("admin:seeds_apply", args=[run.pk]), follow=True)
    assert response.status_code == 200
    assert ExamTicket.objects.count() == 5
    assert ImportRun.objects.filter(status=ImportRun.Status.APPLIED).count() == 1

    again = client.post(reverse("admin:seeds_apply", args=[run.pk]), follow=True)
    assert ImportRun.objects.filter(status=ImportRun.Status.APPLIED).count() == 1
    assert again.status_code == 200


def test_a_bad_upload_is_reported_and_nothing_is_kept(client, ada):
    client.login(username="ada", password=PASSWORD)
    response = upload(client, SimpleUploadedFile("bad.txt", "тест".encode("cp1251")))
    body = response.content.decode()
    assert "bad.txt:1:" in body
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert not run.files.exists()


@pytest.mark.parametrize("persona", ["alice", "ivan"])
def test_learners_and_instructors_cannot_import(client, persona, request):
    request.getfixturevalue(persona)
    client.login(username=persona, password=PASSWORD)
    response = client.post(reverse("admin:seeds_upload"), {"files": [seed_upload(MLE)]})
    assert response.status_code == 302  # the admin site sends non-staff to its log-in page
    assert not ImportRun.objects.exists()
