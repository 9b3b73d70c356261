"""The admin's grading operations page: workers online per queue, queue lengths and recent
failures, for staff only; and the read-only submissions list that links to it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from kombu import Connection

from grading import operations
from grading.models import Submission
from grading.tasks import grade_submission
from labs.models import Lab
from labs.sync import sync_labs
from tests.factories import UserFactory
from tests.test_grading_reliability import free_port, own_redis

OPERATIONS_URL = reverse("admin:grading_operations")


def make_submission(learner, lab: Lab, status: str, message: str = "", **fields) -> Submission:
    return Submission.objects.create(
        learner=learner,
        lab=lab,
        source="x = 1",
        status=status,
        message=message,
        finished_at=timezone.now() if status in Submission.FINAL else None,
        **fields,
    )


@pytest.fixture
def lab(db) -> Lab:
    sync_labs()
    return Lab.objects.get(slug="dl-07-iou")


def queue_row(response, name: str) -> dict:
    return next(queue for queue in response.context["queues"] if queue["name"] == name)


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_admin_sees_the_workers_online_per_queue(celery_worker_process, client, ada):
    client.force_login(ada)
    response = client.get(OPERATIONS_URL)
    assert response.status_code == 200
    hostname = f"pytest-{os.getpid()}@{os.uname().nodename}"
    for name in QUEUES:
        row = queue_row(response, name)
        assert hostname in row["workers"]
        assert isinstance(row["length"], int)
    assert hostname in response.content.decode()


@pytest.mark.django_db
def test_the_page_lists_recent_failures_with_their_messages(client, ada, alice, lab):
    make_submission(alice, lab, Submission.Status.FAILED, "Решение не удалось импортировать")
    make_submission(
        alice, lab, Submission.Status.TIMED_OUT, "Превышено время выполнения", limit_hit="wall"
    )
    make_submission(alice, lab, Submission.Status.DONE, "Проверка завершена.", score=1.0)
    make_submission(alice, lab, Submission.Status.QUEUED)
    client.force_login(ada)
    response = client.get(OPERATIONS_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Решение не удалось импортировать" in page
    assert "Превышено время выполнения" in page and "(wall)" in page
    assert "Проверка завершена." not in page
    assert [s.status for s in response.context["failures"]] == ["timed_out", "failed"]
    # Every configured queue has a row, whatever the broker says about it.
    assert [queue["name"] for queue in response.context["queues"]][: len(QUEUES)] == QUEUES
    assert "Состояние проверки решений" in page  # the title, through the Russian catalog


@pytest.mark.django_db
def test_recent_failures_are_read_in_one_query_newest_first(alice, lab, django_assert_num_queries):
    for number in range(5):
        make_submission(alice, lab, Submission.Status.FAILED, f"сбой {number}")
    with django_assert_num_queries(1):
        failures = operations.recent_failures(limit=3)
        labels = [(s.message, s.lab.slug, s.learner.username) for s in failures]
    assert labels == [(f"сбой {n}", "dl-07-iou", "alice") for n in (4, 3, 2)]


@pytest.fixture(params=["redis", "filesystem"])
def idle_broker(request, tmp_path: Path):
    """A broker no worker consumes from: a private redis-server, or the filesystem
    transport that `make run` uses."""
    if request.param == "redis":
        with (
            own_redis(tmp_path) as (port, _servers),
            Connection(f"redis://127.0.0.1:{port}/0") as connection,
        ):
            yield connection
    else:
        folder = tmp_path / "broker"
        (folder / "control").mkdir(parents=True)
        options = {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
        }
        with Connection("filesystem://", transport_options=options) as connection:
            yield connection


QUEUES = [
    "default",
    "labs.cpu.exam",
    "labs.gpu.exam",
    "labs.cpu",
    "labs.gpu",
    "labs.cpu.regrade",
    "labs.gpu.regrade",
]


@pytest.mark.integration
def test_queue_lengths_count_the_jobs_waiting_on_the_broker(idle_broker):
    assert operations.queue_lengths(idle_broker) == dict.fromkeys(QUEUES, 0)
    for queue in ["labs.cpu", "labs.cpu", "default", "labs.gpu.regrade"]:
        grade_submission.apply_async(args=[0], queue=queue, connection=idle_broker)
    assert operations.queue_lengths(idle_broker) == {
        **dict.fromkeys(QUEUES, 0), "default": 1, "labs.cpu": 2, "labs.gpu.regrade": 1,
    }  # fmt: skip
    assert operations.workers_by_queue(timeout=0.5, connection=idle_broker) == {
        name: [] for name in QUEUES
    }


def test_a_broker_that_does_not_answer_is_reported_as_unknown():
    nobody = Connection(f"redis://127.0.0.1:{free_port()}/0")
    assert operations.workers_by_queue(timeout=0.5, connection=nobody) is None
    assert operations.queue_lengths(nobody) == dict.fromkeys(QUEUES, None)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["alice", "ivan"])
def test_learners_and_instructors_cannot_open_the_page(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(OPERATIONS_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(OPERATIONS_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_staff_without_the_right_to_view_submissions_cannot_open_the_page(client):
    staff = UserFactory(username="stas", is_staff=True)
    client.force_login(staff)
    assert client.get(OPERATIONS_URL).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_submission"))
    client.force_login(staff)
    assert client.get(OPERATIONS_URL).status_code == 200


@pytest.mark.django_db
def test_the_submissions_list_links_to_the_page_and_changes_nothing(client, ada, alice, lab):
    submission = make_submission(alice, lab, Submission.Status.FAILED, "сбой")
    client.force_login(ada)
    changelist = client.get(reverse("admin:grading_submission_changelist"), {"status": "failed"})
    assert changelist.status_code == 200
    assert f'href="{OPERATIONS_URL}"' in changelist.content.decode()
    assert reverse("admin:grading_submission_add") not in changelist.content.decode()
    change_url = reverse("admin:grading_submission_change", args=[submission.pk])
    assert client.get(change_url).status_code == 200
    assert client.post(change_url, {"status": "done"}).status_code == 403
    submission.refresh_from_db()
    assert submission.status == Submission.Status.FAILED
