"""The practical task through the lab grader inside an exam: exam submissions go to the exam
queue of the lab's device, count for the exam only, and obey the session's deadline."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams import sessions
from exams.models import ExamSession, PracticalSubmission
from exams.tickets import ExamRefused
from grading import queues, services
from grading.models import Submission
from grading.queues import Tier
from labs.models import Lab
from labs.sync import sync_labs
from tests.exam_factories import make_course_bank, make_ticket_set, open_exam

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab_session(ivan, alice, monkeypatch):
    course, _items = make_course_bank(slug="deep-learning")
    sync_labs()
    lab = Lab.objects.get(slug="dl-07-iou")
    exam = open_exam(course, make_ticket_set(course, tickets=1, lab=lab), ivan, [alice])
    return sessions.start_session(exam, alice)


@pytest.fixture
def sent(monkeypatch):
    queued = []
    monkeypatch.setattr(
        queues, "send_job", lambda task, pk, queue, **limits: queued.append((pk, queue))
    )
    return queued


def test_an_exam_submission_goes_to_the_exam_queue_of_its_device(
    client, alice, lab_session, sent, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exams:session_practical", args=[lab_session.pk]),
            {"source": "def iou(a, b): return 0"},
        )
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.tier == Tier.EXAM
    assert sent == [(submission.pk, "labs.cpu.exam")]
    assert PracticalSubmission.objects.get().session == lab_session


def test_practice_submissions_keep_the_practice_queue(
    alice, lab_session, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submission = services.submit_solution(alice, lab_session.ticket.lab, source="x = 1")
    assert submission.tier == Tier.PRACTICE
    assert sent == [(submission.pk, "labs.cpu")]


def test_exam_submissions_stay_out_of_the_practice_pages(client, alice, lab_session, sent):
    sessions.send_practical(lab_session, "def iou(a, b): return 1.0  # exam")
    Submission.objects.update(status=Submission.Status.DONE, score=1.0)
    client.force_login(alice)
    lab_page = client.get(reverse("lab_detail", args=["dl-07-iou"])).content.decode()
    assert "# exam" not in lab_page and "Лучший результат" not in lab_page
    assert "100%" not in client.get(reverse("lab_list")).content.decode()


def test_a_practical_answer_after_the_deadline_or_the_submit_is_refused(
    client, alice, lab_session, sent
):
    ExamSession.objects.filter(pk=lab_session.pk).update(
        deadline=timezone.now() - timedelta(seconds=30)
    )
    lab_session.refresh_from_db()
    with pytest.raises(ExamRefused, match="Время вышло"):
        sessions.send_practical(lab_session, "x = 1")
    client.force_login(alice)
    response = client.post(
        reverse("exams:session_practical", args=[lab_session.pk]), {"source": "x = 1"}
    )
    assert response.status_code == 409
    assert not Submission.objects.exists() and sent == []


def test_an_empty_solution_is_refused_with_the_graders_reason(client, alice, lab_session, sent):
    client.force_login(alice)
    response = client.post(
        reverse("exams:session_practical", args=[lab_session.pk]), {"source": "  "}
    )
    assert response.status_code == 409
    assert sent == []
