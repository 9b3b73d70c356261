"""Each exam ticket's practical task links to the lab whose lab.toml names that course and
ticket, wherever the task is shown: the ticket set, its print view, the generator's preview,
the learner's exam pages and the grading page; the course page and the lab's own page say which
ticket a lab belongs to. A lab synced after the imported tickets gives them a new version with
the link, and the pages read the labs in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from exams import sessions
from exams.models import Ticket, TicketSet
from labs.models import Lab
from tests.exam_factories import make_course_bank, make_ticket_set, open_exam

pytestmark = pytest.mark.django_db


def make_lab(course, number: int, slug: str | None = None) -> Lab:
    return Lab.objects.create(
        slug=slug or f"dl-{number:02d}-lab",
        title=f"Лабораторная <{number}>",
        course=course,
        ticket_number=number,
        statement="Условие",
        starter_code="",
        catalog_hash="x",
    )


def lab_href(lab: Lab) -> str:
    return f'href="{reverse("lab_detail", args=[lab.slug])}"'


def ticket_html(body: str, number: int) -> str:
    start = body.index(f'id="ticket-{number}"')
    end = body.find('<article class="ticket', start + 1)
    return body[start : end if end > 0 else len(body)]


def test_the_imported_tickets_link_their_labs_even_labs_synced_later(client, ivan):
    course, _items = make_course_bank(slug="deep-learning", tickets=3)
    first = make_lab(course, 1)
    client.force_login(ivan)
    client.get(reverse("exams:course_tickets", args=[course.slug]))
    imported = TicketSet.objects.get(course=course, origin=TicketSet.Origin.IMPORTED)
    assert imported.tickets.get(number=1).lab == first

    later = make_lab(course, 3)  # a lab added to the catalogue after the set was made
    client.get(reverse("exams:course_tickets", args=[course.slug]))
    latest = TicketSet.objects.filter(course=course, origin=TicketSet.Origin.IMPORTED).latest(
        "version"
    )
    assert latest.version == imported.version + 1
    assert {t.number: t.lab for t in latest.tickets.all()} == {1: first, 2: None, 3: later}
    client.get(reverse("exams:course_tickets", args=[course.slug]))  # nothing new: no copy
    assert TicketSet.objects.filter(course=course, origin=TicketSet.Origin.IMPORTED).count() == 2

    body = client.get(reverse("exams:set_detail", args=[latest.pk])).content.decode()
    assert lab_href(first) in ticket_html(body, 1)
    assert "Лабораторная: Лабораторная &lt;1&gt;" in ticket_html(body, 1)  # escaped, in Russian
    assert 'class="chip lab-link"' not in ticket_html(body, 2)
    assert lab_href(later) in ticket_html(body, 3)

    printed = client.get(reverse("exams:set_print", args=[latest.pk])).content.decode()
    assert "Проверяется лабораторной «Лабораторная &lt;3&gt;» (dl-03-lab)." in printed


def test_the_set_page_reads_the_labs_in_a_fixed_number_of_queries(
    client, ivan, django_assert_num_queries
):
    course, _items = make_course_bank(slug="deep-learning", tickets=0)
    client.force_login(ivan)

    def ticket_set_with_labs(name: str, count: int) -> TicketSet:
        ticket_set = make_ticket_set(course, tickets=count, name=name)
        for ticket in ticket_set.tickets.all():
            ticket.lab = make_lab(course, ticket.number, slug=f"{name}-{ticket.number}")
            ticket.save()
        return ticket_set

    small, large = ticket_set_with_labs("a", 1), ticket_set_with_labs("b", 6)
    url = reverse("exams:set_detail", args=[small.pk])
    client.get(url)  # sessions, caches: whatever the first request alone costs
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one_ticket:
        client.get(url)
    with django_assert_num_queries(len(one_ticket.captured_queries)):
        body = client.get(reverse("exams:set_detail", args=[large.pk])).content.decode()
    assert body.count('class="chip lab-link"') == 6


def test_the_generators_preview_links_the_lab_of_each_task(client, ivan):
    course, _items = make_course_bank(slug="deep-learning", qa_items=8, tickets=2)
    lab = make_lab(course, 2)
    client.force_login(ivan)
    body = client.post(
        reverse("exams:generate", args=[course.slug]),
        {"count": 2, "seed": 1, "name": "Сгенерированный", "action": "preview"},
    ).content.decode()
    assert lab_href(lab) in body


def test_the_exam_pages_link_the_lab_for_learner_and_grader(client, ivan, alice):
    course, _items = make_course_bank(slug="deep-learning", tickets=0)
    lab = make_lab(course, 1)
    exam = open_exam(course, make_ticket_set(course, tickets=1, lab=lab), ivan, [alice])
    session = sessions.start_session(exam, alice)
    client.force_login(alice)
    taking = client.get(reverse("exams:session_take", args=[session.pk])).content.decode()
    practical = taking[taking.index('id="practical"') :]
    assert lab_href(lab) in practical and 'target="_blank"' in practical
    sessions.submit_session(session.pk)
    result = client.get(reverse("exams:session_result", args=[session.pk])).content.decode()
    assert lab_href(lab) in result
    client.force_login(ivan)
    grading = client.get(reverse("exams:session_grade", args=[session.pk])).content.decode()
    assert lab_href(lab) in grading[grading.index('id="practical"') :]


def test_a_hand_graded_ticket_links_no_lab(client, ivan, alice):
    course, _items = make_course_bank(slug="deep-learning", tickets=0)
    exam = open_exam(course, make_ticket_set(course, tickets=1), ivan, [alice])
    session = sessions.start_session(exam, alice)
    client.force_login(alice)
    taking = client.get(reverse("exams:session_take", args=[session.pk])).content.decode()
    assert "lab-link" not in taking
    assert Ticket.objects.get(pk=session.ticket_id).lab is None


def test_a_retired_lab_is_named_but_not_linked(client, ivan):
    from django.utils import timezone

    course, _items = make_course_bank(slug="deep-learning", tickets=0)
    lab = make_lab(course, 1)
    ticket_set = make_ticket_set(course, tickets=1, lab=lab)
    Lab.objects.filter(pk=lab.pk).update(retired_at=timezone.now())
    client.force_login(ivan)
    body = client.get(reverse("exams:set_detail", args=[ticket_set.pk])).content.decode()
    assert lab_href(lab) not in body and "dl-01-lab" in body


def test_the_course_page_and_the_lab_page_name_the_ticket(client, alice):
    course, _items = make_course_bank(slug="deep-learning", tickets=1)
    lab = make_lab(course, 1)
    body = client.get(reverse("course_detail", args=[course.slug])).content.decode()
    assert lab_href(lab) in body and "практическое задание билета 1" in body
    client.force_login(alice)
    page = client.get(reverse("lab_detail", args=[lab.slug])).content.decode()
    assert "Практическое задание экзаменационного билета 1 курса" in page
    assert f'href="{reverse("course_detail", args=[course.slug])}"' in page
