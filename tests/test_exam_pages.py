"""Exam pages in English mode, and a fixed number of queries on the instructors' list pages
whatever their size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exams import sessions
from exams.models import Ticket
from tests.exam_factories import make_course_bank, make_ticket_set, open_exam
from tests.factories import LearnerFactory

pytestmark = pytest.mark.django_db


def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def test_the_instructors_pages_speak_english_in_english_mode(client, ivan):
    course, _items = make_course_bank()
    ticket_set = make_ticket_set(course)
    exam = open_exam(course, ticket_set, ivan, open_to_all=True)
    client.force_login(ivan)
    english(client)
    pages = {
        reverse("exams:manage"): "Exams and tickets",
        reverse("exams:course_tickets", args=[course.slug]): "Ticket sets",
        reverse("exams:set_detail", args=[ticket_set.pk]): "New ticket",
        reverse("exams:generate", args=[course.slug]): "Generate a balanced set",
        reverse("exams:exam_rubric", args=[exam.pk]): "Each theory question has its own criteria",
        reverse("exams:grading_queue"): "Grading queue",
        reverse("exams:gradebook", args=[course.slug]): "Download CSV",
    }
    for url, text in pages.items():
        page = client.get(url).content.decode()
        assert text in page, url
        assert "Билеты и экзамены" not in page and "Очередь проверки" not in page


def test_the_learners_pages_speak_english_in_english_mode(client, ivan, alice):
    course, _items = make_course_bank()
    exam = open_exam(course, make_ticket_set(course), ivan, [alice])
    client.force_login(alice)
    english(client)
    assert "Exams you may sit" in client.get(reverse("exams:exam_list")).content.decode()
    assert (
        "Draw a ticket and start"
        in client.get(reverse("exams:exam_detail", args=[exam.pk])).content.decode()
    )
    session = sessions.start_session(exam, alice)
    page = client.get(reverse("exams:session_take", args=[session.pk])).content.decode()
    assert "Time left" in page and "Submit the exam" in page


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_list_pages_make_a_fixed_number_of_queries(client, ivan):
    course, _items = make_course_bank()
    ticket_set = make_ticket_set(course, tickets=2)
    exam = open_exam(course, ticket_set, ivan, open_to_all=True)
    for name in ("l1", "l2"):
        sessions.submit_session(sessions.start_session(exam, LearnerFactory(username=name)).pk)
    client.force_login(ivan)
    urls = [
        reverse("exams:set_detail", args=[ticket_set.pk]),
        reverse("exams:grading_queue"),
        reverse("exams:gradebook", args=[course.slug]),
        reverse("exams:exam_overview", args=[exam.pk]),
    ]
    before = [queries(client, url) for url in urls]
    for number in range(3, 9):
        source = Ticket.objects.get(ticket_set=ticket_set, number=1)
        from exams.tickets import _copy_ticket

        _copy_ticket(
            Ticket.objects.prefetch_related("questions__topics").get(pk=source.pk),
            ticket_set,
            number,
        )
    for name in ("l3", "l4", "l5", "l6"):
        sessions.submit_session(sessions.start_session(exam, LearnerFactory(username=name)).pk)
    assert [queries(client, url) for url in urls] == before
