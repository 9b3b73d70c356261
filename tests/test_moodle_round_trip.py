"""Export a course's bank (the real seeds) and import it into an empty bank: the same
questions, options, right answers, topics and essay answers come back, in both formats.
Imports go through the instructor's upload page; a bad file imports nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import MCQ, MCQOption, QuestionDraft
from courses.models import Course, QACollection, QAItem
from seeds.loader import import_parsed, parse_paths
from tests.seed_files import ALL_SEEDS

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def bank(course: Course) -> tuple[list, list]:
    mcqs = sorted(
        (
            mcq.question,
            tuple((o.text, o.is_correct) for o in mcq.options.all()),
            tuple(sorted(t.slug for t in mcq.topics.all())),
        )
        for mcq in MCQ.objects.live().filter(course=course).prefetch_related("options", "topics")
    )
    items = sorted(
        (item.question, item.answer, tuple(sorted(t.slug for t in item.topics.all())))
        for item in QAItem.objects.live()
        .filter(collection__courses=course)
        .distinct()
        .prefetch_related("topics")
    )
    return mcqs, items


def empty_the_bank() -> None:
    MCQOption.objects.all().delete()
    MCQ.objects.all().delete()
    QAItem.see_also.through.objects.all().delete()
    QAItem.objects.all().delete()
    QACollection.objects.all().delete()


@pytest.mark.parametrize(
    ("export", "filename"), [("moodle.xml", "bank.xml"), ("gift.txt", "bank.gift")]
)
def test_a_round_trip_through_an_empty_bank_gives_the_same_questions(
    client, ivan, export, filename
):
    import_parsed(parse_paths(ALL_SEEDS))
    course = Course.objects.get(slug="deep-learning")
    before = bank(course)
    assert len(before[0]) == 75 and len(before[1]) > 50
    client.force_login(ivan)
    response = client.get(f"/quizzes/manage/courses/deep-learning/{export}")
    assert response.status_code == 200
    data = response.content

    empty_the_bank()
    assert bank(course) == ([], [])
    upload = SimpleUploadedFile(filename, data)
    response = client.post("/quizzes/manage/import/", {"course": course.pk, "file": upload})
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert bank(course) == ([], [])  # drafts only, until an instructor publishes them
    publish_all(client)
    assert bank(course) == before

    # Importing the same file again changes nothing and duplicates nothing.
    upload = SimpleUploadedFile(filename, data)
    client.post("/quizzes/manage/import/", {"course": course.pk, "file": upload})
    publish_all(client)
    assert bank(course) == before


def publish_all(client) -> None:
    drafts = list(
        QuestionDraft.objects.filter(status=QuestionDraft.Status.DRAFT).values_list("pk", flat=True)
    )
    assert drafts
    response = client.post("/quizzes/manage/drafts/", {"draft": drafts, "action": "publish"})
    assert response.status_code == 302
    assert not QuestionDraft.objects.filter(status=QuestionDraft.Status.DRAFT).exists()


def test_the_export_puts_questions_in_categories_per_topic(client, ivan):
    import_parsed(parse_paths(ALL_SEEDS))
    client.force_login(ivan)
    body = client.get("/quizzes/manage/courses/ml-engineer/gift.txt").content.decode()
    assert "$CATEGORY: $course$/Machine Learning Engineer (Профессиональный уровень)/MLOps" in body
    xml = client.get("/quizzes/manage/courses/ml-engineer/moodle.xml").content.decode()
    assert '<question type="category">' in xml and '<question type="essay">' in xml


def test_a_malformed_file_is_refused_naming_the_line_and_imports_nothing(client, ivan):
    course = Course.objects.create(
        seed_key="t:course", source_file="t", source_first_line=1, source_last_line=1,
        content_hash="x", slug="c", title="C",
    )  # fmt: skip
    good = "::a::Первый{=да ~нет}\n\n::b::Второй{=да ~нет}\n\n"
    bad = good + "::c::Третий{~да ~нет}\n"
    client.force_login(ivan)
    response = client.post(
        "/quizzes/manage/import/",
        {"course": course.pk, "file": SimpleUploadedFile("bad.gift", bad.encode())},
    )
    assert response.status_code == 400
    assert "Ничего не импортировано. Строка 5" in response.content.decode()
    assert not MCQ.objects.exists()
    response = client.post(
        "/quizzes/manage/import/",
        {"course": course.pk, "file": SimpleUploadedFile("bad.xml", b"<quiz>\n<question>")},
    )
    assert response.status_code == 400
    assert "Строка 2" in response.content.decode()
    assert not MCQ.objects.exists()


def test_learners_cannot_export_or_import(client, alice):
    client.force_login(alice)
    assert client.get("/quizzes/manage/courses/deep-learning/moodle.xml").status_code == 403
    assert client.post("/quizzes/manage/import/").status_code == 403
