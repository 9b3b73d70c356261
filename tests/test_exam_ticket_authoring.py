"""Instructor pages for tickets: the imported set, sets and versions, tickets, the bank search,
the print view; learners are kept out."""

import pytest
from django.urls import reverse

from exams.models import Ticket, TicketQuestion, TicketSet
from exams.tickets import ensure_imported_set
from tests.exam_factories import make_course_bank, make_ticket_set, open_exam

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    return make_course_bank()


@pytest.fixture
def staff(client, ivan):
    client.force_login(ivan)
    return client


def test_the_imported_tickets_are_there_from_the_start(staff, bank):
    course, _items = bank
    page = staff.get(reverse("exams:course_tickets", args=[course.slug]))
    imported = TicketSet.objects.get(course=course, origin=TicketSet.Origin.IMPORTED)
    assert imported.name == "Билеты из документов курса"
    assert "Билеты из документов курса" in page.content.decode()
    tickets = list(imported.tickets.prefetch_related("questions"))
    assert [t.number for t in tickets] == [1, 2]
    assert next(q.text for q in tickets[0].questions.all()).startswith("Билет 1, вопрос 1")
    assert tickets[0].practical_task.text == tickets[0].task_text
    assert ensure_imported_set(course) == imported  # opened again: the same set, no copy


def test_learners_and_visitors_cannot_author(client, alice, bank):
    course, _items = bank
    url = reverse("exams:course_tickets", args=[course.slug])
    assert client.get(url).status_code == 302  # to the log-in page
    client.force_login(alice)
    assert client.get(url).status_code == 403
    assert (
        client.post(reverse("exams:set_create", args=[course.slug]), {"name": "x"}).status_code
        == 403
    )
    assert not TicketSet.objects.filter(name="x").exists()


def test_a_ticket_is_made_from_a_bank_question_found_by_htmx_search(staff, bank):
    course, items = bank
    ticket_set = make_ticket_set(course, tickets=1)
    found = staff.get(
        reverse("exams:bank_search", args=[course.slug]), {"q": "приём 3"}, HTTP_HX_REQUEST="true"
    )
    assert f'value="qa:{items[2].pk}"' in found.content.decode()
    assert "<html" not in found.content.decode()
    response = staff.post(
        reverse("exams:ticket_create", args=[ticket_set.pk]),
        {"bank_item": f"qa:{items[2].pk}", "task_text": "Напишите свёртку", "lab": ""},
    )
    ticket = Ticket.objects.get(ticket_set=ticket_set, number=2)
    assert response.status_code == 302
    question = ticket.questions.get()
    assert (question.qa_item, question.text) == (items[2], items[2].question)
    assert question.reference_answer == items[2].answer


def test_a_new_question_needs_its_reference_answer(staff, bank):
    course, _items = bank
    ticket_set = make_ticket_set(course, tickets=1)
    response = staff.post(
        reverse("exams:ticket_create", args=[ticket_set.pk]),
        {"question_text": "Что такое BPTT?", "reference_answer": "", "task_text": "Задание"},
    )
    assert response.status_code == 409
    assert "Для нового вопроса нужен эталонный ответ." in response.content.decode()
    assert ticket_set.tickets.count() == 1


def test_a_ticket_without_a_theory_question_is_refused(staff, bank):
    course, _items = bank
    ticket_set = make_ticket_set(course, tickets=1)
    created = staff.post(
        reverse("exams:ticket_create", args=[ticket_set.pk]), {"task_text": "Задание"}
    )
    assert created.status_code == 409
    assert "В билете нужен теоретический вопрос" in created.content.decode()
    ticket = ticket_set.tickets.get()
    staff.post(reverse("exams:ticket_remove_question", args=[ticket.pk, 1]))
    refused = staff.post(reverse("exams:ticket_remove_question", args=[ticket.pk, 1]))
    assert refused.status_code == 409
    assert "В билете должен остаться хотя бы один теоретический вопрос" in refused.content.decode()
    assert ticket.questions.count() == 1


def test_a_question_written_new_is_added_and_a_forged_bank_key_refused(staff, bank):
    course, _items = bank
    _other, other_items = make_course_bank(slug="mle")
    ticket = make_ticket_set(course, tickets=1).tickets.get()
    staff.post(
        reverse("exams:ticket_add_question", args=[ticket.pk]),
        {
            "question_text": "Что такое BPTT?",
            "reference_answer": "Обратное распространение во времени.",
        },
    )
    assert ticket.questions.last().text == "Что такое BPTT?"
    forged = staff.post(
        reverse("exams:ticket_add_question", args=[ticket.pk]),
        {"bank_item": f"qa:{other_items[0].pk}"},
    )
    assert forged.status_code == 409
    assert "Этого вопроса нет в банке вопросов курса." in forged.content.decode()
    assert ticket.questions.count() == 3


def test_duplicate_and_retire_a_ticket(staff, bank):
    course, _items = bank
    ticket_set = make_ticket_set(course, tickets=2)
    first = ticket_set.tickets.get(number=1)
    staff.post(reverse("exams:ticket_duplicate", args=[first.pk]))
    copy = ticket_set.tickets.get(number=3)
    assert [q.text for q in copy.questions.all()] == [q.text for q in first.questions.all()]
    staff.post(reverse("exams:ticket_retire", args=[first.pk]), {"retire": "1"})
    first.refresh_from_db()
    assert first.retired_at is not None
    page = staff.get(reverse("exams:set_detail", args=[ticket_set.pk])).content.decode()
    assert "выведен" in page


def test_a_change_to_a_set_an_exam_uses_goes_to_a_new_version(staff, bank, ivan, alice):
    course, _items = bank
    ticket_set = make_ticket_set(course, tickets=2)
    open_exam(course, ticket_set, ivan, [alice])
    ticket_set.refresh_from_db()
    assert ticket_set.is_locked
    ticket = ticket_set.tickets.get(number=1)
    staff.post(
        reverse("exams:ticket_practical", args=[ticket.pk]),
        {"task_text": "Новое задание", "task_reference": ""},
    )
    ticket.refresh_from_db()
    assert ticket.task_text == "Практическое задание 1"  # the exam's version never changes
    newer = TicketSet.objects.get(course=course, name=ticket_set.name, version=2)
    assert newer.tickets.get(number=1).task_text == "Новое задание"
    assert newer.tickets.count() == 2 and not newer.is_locked
    assert TicketQuestion.objects.filter(ticket__ticket_set=newer).count() == 4


def test_the_print_view_has_one_ticket_per_page_and_no_site_chrome(staff, bank, ivan):
    course, _items = bank
    ticket_set = make_ticket_set(course, tickets=3)
    exam = open_exam(course, ticket_set, ivan, open_to_all=True)
    page = staff.get(reverse("exams:exam_print", args=[exam.pk]), follow=True).content.decode()
    assert page.count('class="ticket-page"') == 3
    assert course.title in page and exam.title in page
    assert "<nav" not in page and "<footer" not in page and "exam-print.css" in page
    assert "Экзаменационный билет № 2" in page
    from pathlib import Path

    css = (Path(__file__).parent.parent / "static/css/exam-print.css").read_text()
    assert "break-after: page" in css


def test_the_generation_page_previews_and_saves_nothing_until_asked(staff, bank):
    course, _items = bank
    url = reverse("exams:generate", args=[course.slug])
    preview = staff.post(url, {"count": 3, "seed": 4, "action": "preview"})
    assert preview.status_code == 200
    assert preview.content.decode().count("preview-ticket") == 3
    assert not TicketSet.objects.filter(origin=TicketSet.Origin.GENERATED).exists()
    too_many = staff.post(url, {"count": 8, "action": "save", "name": "Много"})
    assert too_many.status_code == 409
    assert "не больше 5 билетов (запрошено 8)" in too_many.content.decode()
    assert not TicketSet.objects.filter(name="Много").exists()
    saved = staff.post(url, {"count": 3, "seed": 4, "action": "save", "name": "Зима"})
    made = TicketSet.objects.get(name="Зима")
    assert saved.status_code == 302 and made.tickets.count() == 3
