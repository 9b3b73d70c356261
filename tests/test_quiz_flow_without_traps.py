"""The quiz flow has no traps: the practice form offers only topics of the chosen course that
have questions, a refusal brings the form back, nothing chosen gets a hint (not a 409),
finishing with unanswered questions asks first, the review shows every right answer, a
practice is "finished" (never "handed in"), and the statistics count answered questions only."""

from __future__ import annotations

import pytest

from assessments import item_report, services
from assessments.models import Attempt
from tests.quiz_factories import CourseFactory, QuizFactory, TopicFactory, make_bank, make_mcq

pytestmark = pytest.mark.django_db


def topic_values(body: str) -> set[str]:
    return {chunk.split('"')[0] for chunk in body.split('name="topics" value="')[1:]}


def test_the_practice_form_lists_only_the_topics_of_the_chosen_course(client, alice):
    course, _ = make_bank(4)  # topics cnn and rnn
    other = CourseFactory(slug="ml", title="Инженер ML")
    mlops = TopicFactory(slug="mlops", name="MLOps", position=3)
    TopicFactory(slug="empty", name="Тема без вопросов", position=4)
    make_mcq(other, "Что такое MLflow?", ["a", "b", "c", "d"], topics=(mlops,))
    client.force_login(alice)

    body = client.get("/quizzes/?course=dl").content.decode()
    assert topic_values(body) == {str(t) for t in course.mcqs.values_list("topics", flat=True)}
    assert "Свёрточные сети (2)" in body and "MLOps" not in body
    assert "Тема без вопросов" not in body

    # htmx swaps only the topics when the course changes.
    response = client.get(
        "/quizzes/?course=ml", headers={"HX-Request": "true", "HX-Target": "practice-topics"}
    )
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="practice-topics"')
    assert topic_values(fragment) == {str(mlops.pk)} and "<html" not in fragment


def test_a_topic_of_another_course_is_refused_on_the_form_not_on_a_dead_end(client, alice):
    _course, _ = make_bank(2)
    other = CourseFactory(slug="ml", title="Инженер ML")
    mlops = TopicFactory(slug="mlops", name="MLOps", position=3)
    make_mcq(other, "Что такое MLflow?", ["a", "b", "c", "d"], topics=(mlops,))
    client.force_login(alice)
    response = client.post("/quizzes/practice/", {"course": "dl", "topics": [mlops.pk], "count": 5})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'action="/quizzes/practice/"' in body  # the form is back, with the right topics
    assert "Свёрточные сети" in body
    assert not Attempt.objects.exists()


def test_courses_without_questions_are_not_offered(client, alice):
    make_bank(2)
    CourseFactory(slug="empty", title="Курс без вопросов")
    client.force_login(alice)
    body = client.get("/quizzes/").content.decode()
    assert 'value="dl"' in body and 'value="empty"' not in body


def test_checking_with_nothing_chosen_gets_a_hint_and_changes_nothing(client, alice):
    course, _ = make_bank(3)
    attempt = services.start_practice_attempt(alice, course, [], 3)
    client.force_login(alice)
    response = client.post(
        f"/quizzes/attempts/{attempt.pk}/answer/",
        {"position": 1, "version": 0},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Сначала выберите один из вариантов" in response.content.decode()
    assert response["HX-Retarget"] == "#q-1-status"
    assert not attempt.questions.filter(chosen_option__isnull=False).exists()
    # Without JavaScript: back to the question, with the hint as a message.
    response = client.post(
        f"/quizzes/attempts/{attempt.pk}/answer/", {"position": 1, "version": 0}, follow=True
    )
    assert response.status_code == 200
    assert "Сначала выберите один из вариантов" in response.content.decode()


def test_finishing_with_unanswered_questions_asks_first(client, alice):
    course, _ = make_bank(3)
    attempt = services.start_practice_attempt(alice, course, [], 3)
    question = attempt.questions.get(position=2)
    services.record_answer(attempt.pk, 2, question.correct_option_id, 0)
    client.force_login(alice)

    response = client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "На 2 вопроса нет ответа" in body
    assert f"/quizzes/attempts/{attempt.pk}/?q=1" in body
    assert f"/quizzes/attempts/{attempt.pk}/?q=3" in body
    attempt.refresh_from_db()
    assert attempt.is_open

    response = client.post(f"/quizzes/attempts/{attempt.pk}/submit/", {"confirm": "1"})
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED


def test_the_review_shows_the_right_answer_of_every_question_and_no_pass_word(client, alice):
    course, _mcqs = make_bank(3)
    attempt = services.start_practice_attempt(alice, course, [], 3)
    services.submit_attempt(attempt.pk)  # nothing answered: 0%
    client.force_login(alice)
    body = client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()
    assert body.count("✓ правильный ответ") == 3
    assert body.count("Нет ответа.") == 3
    assert "Результат: 0 из 3 (0%)" in body
    assert "завершена" in body
    assert "сдана" not in body and "отправлена" not in body


def test_a_timed_attempt_is_handed_in_not_passed(client, alice):
    course, _ = make_bank(3)
    quiz = QuizFactory(course=course, question_count=3)
    attempt = services.start_quiz_attempt(alice, quiz)
    services.submit_attempt(attempt.pk)
    client.force_login(alice)
    body = client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()
    assert "отправлена" in body and "сдана" not in body


def test_the_timer_carries_the_seconds_left_for_the_countdown(client, alice):
    course, _ = make_bank(3)
    quiz = QuizFactory(course=course, question_count=3, time_limit_minutes=10)
    attempt = services.start_quiz_attempt(alice, quiz)
    client.force_login(alice)
    body = client.get(f"/quizzes/attempts/{attempt.pk}/").content.decode()
    seconds = int(body.split('data-remaining="')[1].split('"')[0])
    assert 590 <= seconds <= 600
    assert "quiz-timer.js" in body


def test_item_statistics_count_only_answered_questions(alice, bob):
    course, mcqs = make_bank(2)
    quiz = QuizFactory(course=course, question_count=2, attempts_allowed=0)
    for learner, answer_first in ((alice, True), (bob, False)):
        attempt = services.start_quiz_attempt(learner, quiz)
        first = attempt.questions.get(mcq=mcqs[0])
        if answer_first:
            services.record_answer(attempt.pk, first.position, first.correct_option_id, 0)
        services.submit_attempt(attempt.pk)
    report = item_report.analyse(Attempt.objects.filter(quiz=quiz), mcqs)
    first, second = report.items
    assert (first.responses, first.unanswered, first.facility) == (1, 1, 1.0)
    assert (second.responses, second.unanswered, second.facility) == (0, 2, None)
    assert sum(option.count for option in first.options) == 1
    # The scores are the attempts' own: one right of two, nothing of two.
    assert sorted(report.score_percents) == [0, 50]
