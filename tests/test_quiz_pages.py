"""Quiz pages: who sees what, fixed query counts on list pages, the instructor's quiz form."""

from __future__ import annotations

import pytest

from assessments import services
from assessments.models import Quiz
from tests.quiz_factories import CourseFactory, QuizFactory, make_bank, make_mcq, make_qa_item

pytestmark = pytest.mark.django_db


def finished_attempts(learner, quiz, count):
    for _ in range(count):
        attempt = services.start_quiz_attempt(learner, quiz)
        for question in attempt.questions.all():
            services.record_answer(attempt.pk, question.position, question.option_order[0], 0)
        services.submit_attempt(attempt.pk)


def test_the_quiz_home_lists_courses_and_open_quizzes_in_fixed_queries(
    client, alice, django_assert_max_num_queries
):
    course, _ = make_bank(4)
    for _ in range(5):
        QuizFactory(course=course)
    QuizFactory(course=course, title="Черновик", is_published=False)
    client.force_login(alice)
    with django_assert_max_num_queries(10):
        body = client.get("/quizzes/").content.decode()
    assert body.count("/quizzes/") > 5
    assert "Черновик" not in body


def test_history_and_review_take_a_fixed_number_of_queries(
    client, alice, django_assert_max_num_queries
):
    course, mcqs = make_bank(8)
    for mcq in mcqs:
        make_qa_item(course, f"Что изучить к {mcq.question}", "Ответ", mcq.topics.all())
    quiz = QuizFactory(course=course, question_count=8, attempts_allowed=0)
    finished_attempts(alice, quiz, 6)
    attempt = quiz.attempts.first()
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        assert client.get("/quizzes/history/").status_code == 200
    with django_assert_max_num_queries(16):
        body = client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()
    assert body.count("question-card") == 8
    assert "Что изучить к" in body


def test_a_draft_quiz_is_invisible_to_learners(client, alice):
    course, _ = make_bank(3)
    quiz = QuizFactory(course=course, is_published=False)
    client.force_login(alice)
    assert client.get(f"/quizzes/{quiz.pk}/").status_code == 404
    assert client.post(f"/quizzes/{quiz.pk}/start/").status_code == 404


def test_learners_cannot_reach_the_instructor_pages(client, alice):
    course, _ = make_bank(3)
    quiz = QuizFactory(course=course)
    client.force_login(alice)
    for url in ("/quizzes/manage/", "/quizzes/manage/new/", f"/quizzes/manage/{quiz.pk}/analysis/"):
        assert client.get(url).status_code == 403


def test_an_instructor_defines_a_timed_quiz(client, ivan):
    course, mcqs = make_bank(4)
    client.force_login(ivan)
    response = client.post(
        "/quizzes/manage/new/",
        {
            "course": course.pk,
            "title": "Итоговый тест",
            "selection": "fixed",
            "mcqs": [m.pk for m in mcqs[:3]],
            "question_count": 3,
            "time_limit_minutes": 15,
            "attempts_allowed": 2,
            "layout": "all",
            "show_answers": "after_submit",
            "is_published": "on",
        },
    )
    assert response.status_code == 302
    quiz = Quiz.objects.get(title="Итоговый тест")
    assert quiz.created_by == ivan and quiz.mcqs.count() == 3 and quiz.layout == "all"


def test_a_fixed_quiz_refuses_questions_of_another_course(client, ivan):
    course, _ = make_bank(2)
    second = CourseFactory(slug="ml", title="ML")
    stranger = make_mcq(second, "Чужой?", ["a", "b"])
    client.force_login(ivan)
    response = client.post(
        "/quizzes/manage/new/",
        {
            "course": course.pk,
            "title": "Смешанный",
            "selection": "fixed",
            "mcqs": [stranger.pk],
            "question_count": 1,
            "time_limit_minutes": 5,
            "attempts_allowed": 1,
            "layout": "one",
            "show_answers": "never",
        },
    )
    assert response.status_code == 200
    assert not Quiz.objects.filter(title="Смешанный").exists()
