"""Questions imported from GIFT / Moodle XML arrive as drafts: learners see nothing until an
instructor previews and publishes them; an essay without an answer cannot be published; the
instructor gives a topic to a question that has none; exported names are human."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import MCQ, QuestionDraft
from courses.models import QAItem
from tests.quiz_factories import CourseFactory, TopicFactory, make_bank

pytestmark = pytest.mark.django_db

GIFT = """// topics: cnn
::pooling::Что уменьшает размерность карты признаков?{
=Пулинг
~Dropout
~Батч-нормализация
~Свёртка 1x1 с шагом 1
}

::essay::Что такое dropout?{}
"""


def upload(client, course, text=GIFT, name="bank.gift"):
    return client.post(
        "/quizzes/manage/import/",
        {"course": course.pk, "file": SimpleUploadedFile(name, text.encode())},
    )


def test_an_upload_makes_drafts_that_learners_do_not_see(client, ivan, alice):
    course, _ = make_bank(1)
    client.force_login(ivan)
    response = upload(client, course)
    assert response.status_code == 302 and "/quizzes/manage/drafts/" in response["Location"]
    assert QuestionDraft.objects.filter(status=QuestionDraft.Status.DRAFT).count() == 2
    assert not MCQ.objects.filter(question__startswith="Что уменьшает").exists()
    assert not QAItem.objects.filter(question="Что такое dropout?").exists()

    page = client.get(response["Location"]).content.decode()
    assert "Что уменьшает размерность карты признаков?" in page
    assert "✓ правильный ответ" in page  # the preview marks the key
    assert "Нельзя опубликовать:" in page and "Нет эталонного ответа" in page
    assert "Нет темы" in page  # the essay's file names no topic

    client.force_login(alice)
    assert client.get("/quizzes/manage/drafts/").status_code == 403


def test_publishing_puts_ready_drafts_in_the_bank_and_holds_the_rest(client, ivan):
    course, _ = make_bank(1)
    rnn = TopicFactory(slug="rnn")
    client.force_login(ivan)
    upload(client, course)
    mcq_draft = QuestionDraft.objects.get(kind="multichoice")
    essay = QuestionDraft.objects.get(kind="essay")
    response = client.post(
        "/quizzes/manage/drafts/",
        {"draft": [mcq_draft.pk, essay.pk], "action": "publish", f"topic-{essay.pk}": "rnn"},
        follow=True,
    )
    body = response.content.decode()
    assert "1 вопрос опубликован" in body and "1 вопрос не опубликован" in body
    mcq = MCQ.objects.get(question="Что уменьшает размерность карты признаков?")
    assert list(mcq.topics.values_list("slug", flat=True)) == ["cnn"]
    assert mcq.options.get(is_correct=True).text == "Пулинг"
    mcq_draft.refresh_from_db()
    essay.refresh_from_db()
    assert mcq_draft.status == QuestionDraft.Status.PUBLISHED
    assert essay.status == QuestionDraft.Status.DRAFT  # held: it has no answer
    assert not QAItem.objects.filter(question="Что такое dropout?").exists()
    assert rnn.pk  # offered on the form; an essay with an answer would take it


def test_an_essay_with_an_answer_takes_the_topic_the_instructor_chose(client, ivan):
    course = CourseFactory(slug="dl2", title="Курс")
    rnn = TopicFactory(slug="rnn", name="Рекуррентные сети")
    client.force_login(ivan)
    upload(client, course, "::e::Что такое LSTM?{####Рекуррентная сеть с памятью.}\n")
    draft = QuestionDraft.objects.get()
    client.post(
        "/quizzes/manage/drafts/",
        {"draft": [draft.pk], "action": "publish", f"topic-{draft.pk}": "rnn"},
    )
    item = QAItem.objects.get(question="Что такое LSTM?")
    assert item.answer == "Рекуррентная сеть с памятью."
    assert list(item.topics.all()) == [rnn]


def test_discarded_drafts_never_reach_the_bank_and_a_reupload_updates_open_drafts(client, ivan):
    course, _ = make_bank(1)
    client.force_login(ivan)
    upload(client, course)
    upload(client, course)  # the same file again: no copies
    assert QuestionDraft.objects.count() == 2
    ids = list(QuestionDraft.objects.values_list("pk", flat=True))
    client.post("/quizzes/manage/drafts/", {"draft": ids, "action": "discard"})
    assert QuestionDraft.objects.filter(status=QuestionDraft.Status.DISCARDED).count() == 2
    assert not MCQ.objects.filter(question__startswith="Что уменьшает").exists()


def test_a_malformed_file_makes_no_draft_and_names_its_line(client, ivan):
    course, _ = make_bank(1)
    client.force_login(ivan)
    response = upload(client, course, "::a::Вопрос{=да ~нет\n")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Ничего не импортировано. Строка 1: не закрыт блок ответов" in body
    assert not QuestionDraft.objects.exists()


def test_exported_questions_have_human_names(client, ivan):
    make_bank(3)
    client.force_login(ivan)
    gift = client.get("/quizzes/manage/courses/dl/gift.txt").content.decode()
    assert "::dl MCQ 001::" in gift and "::dl MCQ 003::" in gift
    assert "test.txt:mcq" not in gift  # no internal keys
    xml = client.get("/quizzes/manage/courses/dl/moodle.xml").content.decode()
    assert "<text>dl MCQ 002</text>" in xml
