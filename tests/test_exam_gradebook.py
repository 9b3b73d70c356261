"""The course gradebook and its CSV: opens in a spreadsheet with Cyrillic intact."""

import csv
import io

import pytest
from django.urls import reverse

from exams import marking, sessions
from exams.models import RubricCriterion
from tests.exam_factories import make_course_bank, make_ticket_set, open_exam
from tests.factories import LearnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(ivan, alice):
    course, _items = make_course_bank()
    exam = open_exam(
        course, make_ticket_set(course, tickets=1), ivan, [alice], title="Итоговый экзамен"
    )
    alice.first_name, alice.last_name = "Алиса", "Иванова"
    alice.save()
    session = sessions.submit_session(sessions.start_session(exam, alice).pk)
    scores = {c.pk: c.max_points / 2 for c in RubricCriterion.objects.filter(exam=exam)}
    marking.grade_session(
        session,
        ivan,
        scores=scores,
        practical_override=marking.parse_points("7,5", "x"),
        feedback="",
    )
    marking.publish(session, ivan)
    return course, exam


def rows(content: bytes, delimiter: str):
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheets need for UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


def test_the_csv_has_a_bom_semicolons_and_a_decimal_comma_in_russian(client, ivan, graded):
    course, _exam = graded
    client.force_login(ivan)
    response = client.get(reverse("exams:gradebook_csv", args=[course.slug]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="dl-gradebook.csv"' in response["Content-Disposition"]
    table = rows(response.content, ";")
    assert table[0][:4] == ["Слушатель", "Имя", "Электронная почта", "Экзамен"]
    row = dict(zip(table[0], table[1], strict=True))
    assert row["Имя"] == "Алиса Иванова" and row["Экзамен"] == "Итоговый экзамен"
    # 10 of 20 theory points + 7.5 of 10 = 17.5 of 30 = 58.3%: satisfactory.
    assert (row["Баллы за теорию"], row["Баллы за практику"], row["Из"], row["Процент"]) == (
        "10,0",
        "7,5",
        "30,0",
        "58,3",
    )
    assert row["Оценка"] == "удовлетворительно" and row["Проверка"] == "опубликован"


def test_in_english_the_csv_uses_commas_and_a_decimal_point(client, ivan, graded):
    course, _exam = graded
    client.force_login(ivan)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    table = rows(client.get(reverse("exams:gradebook_csv", args=[course.slug])).content, ",")
    assert table[0][0] == "Learner"
    assert table[1][9] == "58.3" and table[1][10] == "satisfactory"


def test_the_gradebook_is_for_instructors_only(client, graded):
    course, _exam = graded
    client.force_login(LearnerFactory(username="eve"))
    assert client.get(reverse("exams:gradebook_csv", args=[course.slug])).status_code == 403
    assert client.get(reverse("exams:gradebook", args=[course.slug])).status_code == 403
