"""Grading an exam: rubric range, the practical points, the 5-point mark, publication, the
audit of a published grade, and what the learner sees."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from exams import sessions
from exams.models import CriterionScore, ExamSession, GradeChange, RubricCriterion
from tests.exam_factories import make_course_bank, make_ticket_set, open_exam

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_session(ivan, alice):
    course, _items = make_course_bank()
    exam = open_exam(course, make_ticket_set(course, tickets=1), ivan, [alice])
    session = sessions.start_session(exam, alice)
    sessions.save_answer(alice.pk, session.pk, 1, "Мой ответ про свёртки", 0)
    sessions.save_answer(alice.pk, session.pk, 0, "print('решение')", 0)
    return sessions.submit_session(session.pk)


@pytest.fixture
def staff(client, ivan):
    client.force_login(ivan)
    return client


def criteria(session):
    return list(
        RubricCriterion.objects.filter(exam=session.exam).order_by("question__position", "position")
    )


def full_marks(session, **extra):
    """Every criterion at its maximum: 2 questions x (5 + 3 + 2) = 20 points."""
    return {
        **{f"score-{c.pk}": str(c.max_points) for c in criteria(session)},
        "feedback": "",
        **extra,
    }


def grade(staff, session, data):
    return staff.post(reverse("exams:session_grade", args=[session.pk]), data)


def test_the_grading_page_shows_the_answer_beside_the_reference_and_the_rubric(
    staff, closed_session
):
    page = staff.get(reverse("exams:session_grade", args=[closed_session.pk])).content.decode()
    assert "Мой ответ про свёртки" in page
    assert "Эталонный ответ 1.1" in page
    assert "Ключевые идеи изложены верно" in page
    assert page.count('name="score-') == 6
    queue = staff.get(reverse("exams:grading_queue")).content.decode()
    assert reverse("exams:session_grade", args=[closed_session.pk]) in queue


def test_points_outside_a_rubric_range_are_refused_and_nothing_changes(staff, closed_session):
    first = criteria(closed_session)[0]
    data = full_marks(closed_session, practical_override="8")
    data[f"score-{first.pk}"] = "6"
    response = grade(staff, closed_session, data)
    assert response.status_code == 409
    assert (
        "«Ключевые идеи изложены верно» оценивается от 0 до 5.0 баллов; 6 — вне диапазона рубрики."
        in response.content.decode()
    )
    data[f"score-{first.pk}"] = "-1"
    assert grade(staff, closed_session, data).status_code == 409
    data[f"score-{first.pk}"] = "пять"
    assert "не число" in grade(staff, closed_session, data).content.decode()
    closed_session.refresh_from_db()
    assert closed_session.grading == ExamSession.Grading.UNGRADED
    assert not CriterionScore.objects.exists()


def test_a_hand_graded_task_needs_its_points_and_they_stay_in_range(staff, closed_session):
    missing = grade(staff, closed_session, full_marks(closed_session))
    assert (
        "Практическое задание здесь проверяется вручную: выставьте баллы за него."
        in missing.content.decode()
    )
    too_many = grade(staff, closed_session, full_marks(closed_session, practical_override="11"))
    assert "Практическое задание оценивается от 0 до 10 баллов" in too_many.content.decode()
    assert not CriterionScore.objects.exists()


def test_the_mark_follows_the_exams_thresholds(staff, closed_session):
    data = full_marks(closed_session, practical_override="7", feedback="Хорошо раскрыта тема")
    assert grade(staff, closed_session, data).status_code == 302
    closed_session.refresh_from_db()
    # 20 + 7 of 30 points = 90% >= 85%: excellent.
    assert (closed_session.percent, closed_session.mark) == (Decimal("90.0"), 5)
    exam = closed_session.exam
    exam.excellent_from = 95
    exam.save()
    grade(staff, closed_session, data)
    closed_session.refresh_from_db()
    assert closed_session.mark == 4 and closed_session.get_mark_display() == "хорошо"


def test_publishing_an_ungraded_session_is_refused(staff, closed_session):
    response = staff.post(reverse("exams:session_publish", args=[closed_session.pk]))
    assert response.status_code == 409
    assert (
        "Сессия ещё не проверена: сначала проверьте её, потом публикуйте."
        in response.content.decode()
    )
    closed_session.refresh_from_db()
    assert closed_session.grading == ExamSession.Grading.UNGRADED


def test_grading_an_open_session_is_refused(staff, ivan, alice, bob):
    course, _items = make_course_bank()
    exam = open_exam(course, make_ticket_set(course, tickets=1), ivan, [bob])
    session = sessions.start_session(exam, bob)
    response = grade(staff, session, full_marks(session, practical_override="5"))
    assert "Слушатель ещё сдаёт экзамен" in response.content.decode()


def test_the_learner_sees_the_grade_only_once_it_is_published(staff, closed_session, alice):
    grade(
        staff,
        closed_session,
        full_marks(closed_session, practical_override="4", feedback="Молодец"),
    )
    learner = Client()
    learner.force_login(alice)
    url = reverse("exams:session_result", args=[closed_session.pk])
    assert "Молодец" not in learner.get(url).content.decode()
    staff.post(reverse("exams:session_publish", args=[closed_session.pk]))
    page = learner.get(url).content.decode()
    assert "Молодец" in page and "4 — хорошо" in page  # 24 of 30 = 80%


def test_a_published_grade_changes_only_with_a_reason_and_the_history_is_shown(
    staff, closed_session, alice
):
    grade(staff, closed_session, full_marks(closed_session, practical_override="4"))
    staff.post(reverse("exams:session_publish", args=[closed_session.pk]))
    no_reason = grade(staff, closed_session, full_marks(closed_session, practical_override="10"))
    assert no_reason.status_code == 409
    assert "Оценка опубликована: укажите причину изменения" in no_reason.content.decode()
    closed_session.refresh_from_db()
    assert closed_session.practical_points == Decimal("4.0")
    assert not GradeChange.objects.exists()
    grade(
        staff,
        closed_session,
        full_marks(
            closed_session, practical_override="10", reason="Апелляция: задание решено верно"
        ),
    )
    change = GradeChange.objects.get()
    assert (change.before["mark"], change.after["mark"]) == (4, 5)
    assert change.reason == "Апелляция: задание решено верно"
    assert (
        "Апелляция: задание решено верно"
        in staff.get(reverse("exams:session_grade", args=[closed_session.pk])).content.decode()
    )
    learner = Client()
    learner.force_login(alice)
    learner_page = learner.get(
        reverse("exams:session_result", args=[closed_session.pk])
    ).content.decode()
    assert "5 — отлично" in learner_page and "Апелляция" in learner_page


def test_the_rubric_is_editable_per_exam_but_keeps_points_already_given(staff, closed_session):
    question_id = criteria(closed_session)[0].question_id
    url = reverse("exams:exam_rubric", args=[closed_session.exam_id])
    first, second, third = [c for c in criteria(closed_session) if c.question_id == question_id]
    edited = staff.post(url, {
        "question": question_id,
        "criterion": [first.pk, second.pk, third.pk, ""],
        "title": ["Идеи", "Полнота", "Точность", "Пример из практики"],
        "points": ["6", "3", "2", "1,5"],
    })  # fmt: skip
    assert edited.status_code == 302
    rows = list(RubricCriterion.objects.filter(exam=closed_session.exam, question_id=question_id))
    assert [(r.title, r.max_points) for r in rows] == [
        ("Идеи", 6), ("Полнота", 3), ("Точность", 2), ("Пример из практики", Decimal("1.5"))
    ]  # fmt: skip
    grade(staff, closed_session, full_marks(closed_session, practical_override="1"))
    shrink = staff.post(url, {
        "question": question_id, "criterion": [r.pk for r in rows],
        "title": [r.title for r in rows], "points": ["3", "3", "2", "1.5"],
    })  # fmt: skip
    assert shrink.status_code == 409
    assert "«Идеи»: по нему уже выставлено 6.0 балла." in shrink.content.decode()
    remove = staff.post(url, {
        "question": question_id, "criterion": [r.pk for r in rows], "remove": [rows[3].pk],
        "title": [r.title for r in rows], "points": ["6", "3", "2", "1.5"],
    })  # fmt: skip
    assert "уже использован при проверке, удалить его нельзя" in remove.content.decode()
    assert (
        RubricCriterion.objects.filter(exam=closed_session.exam, question_id=question_id).count()
        == 4
    )


def test_only_instructors_grade(client, closed_session, alice):
    client.force_login(alice)
    assert client.get(reverse("exams:grading_queue")).status_code == 403
    assert (
        grade(
            client, closed_session, full_marks(closed_session, practical_override="10")
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("exams:session_publish", args=[closed_session.pk])).status_code == 403
    )
    closed_session.refresh_from_db()
    assert closed_session.grading == ExamSession.Grading.UNGRADED
