"""A learner's attempt from start to result: practice and timed, shuffling, resuming, scoring,
per-topic results."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import Attempt, AttemptQuestion, Quiz, TopicResult
from tests.quiz_factories import QuizFactory, make_bank

pytestmark = pytest.mark.django_db


def answer(attempt, position, right=True, now=None):
    question = attempt.questions.get(position=position)
    option = (
        question.correct_option_id
        if right
        else next(o for o in question.option_order if o != question.correct_option_id)
    )
    return services.record_answer(attempt.pk, position, option, question.version, now=now)


def test_a_practice_attempt_draws_questions_of_the_chosen_topics_only(alice):
    course, mcqs = make_bank(6)
    cnn = mcqs[0].topics.get()
    attempt = services.start_practice_attempt(alice, course, [cnn], 10)
    drawn = set(attempt.questions.values_list("mcq__topics__slug", flat=True))
    assert drawn == {"cnn"}
    assert attempt.question_count == 3 == attempt.questions.count()


def test_options_are_shuffled_per_attempt_and_stored(alice):
    course, _ = make_bank(5)
    orders = set()
    for seed in range(6):
        attempt = services.start_practice_attempt(alice, course, [], 5, rng=random.Random(seed))
        first = attempt.questions.order_by("mcq_id").first()
        orders.add(tuple(first.option_order))
        assert sorted(first.option_order) == sorted(first.mcq.options.values_list("id", flat=True))
    assert len(orders) > 1


def test_the_option_order_is_the_same_on_every_reload(client, alice):
    course, _ = make_bank(3)
    attempt = services.start_practice_attempt(alice, course, [], 3)
    client.force_login(alice)
    first = client.get(f"/quizzes/attempts/{attempt.pk}/?q=1").content.decode()
    second = client.get(f"/quizzes/attempts/{attempt.pk}/?q=1").content.decode()
    question = attempt.questions.get(position=1)
    for body in (first, second):
        positions = [body.index(f'value="{option}"') for option in question.option_order]
        assert positions == sorted(positions)


def test_practice_feedback_shows_the_right_option_and_the_learners_choice(client, alice):
    course, _ = make_bank(3)
    attempt = services.start_practice_attempt(alice, course, [], 3)
    question = attempt.questions.get(position=1)
    wrong = next(o for o in question.option_order if o != question.correct_option_id)
    client.force_login(alice)
    response = client.post(
        f"/quizzes/attempts/{attempt.pk}/answer/",
        {"position": 1, "option": wrong, "version": 0},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Неверно." in body and "ваш ответ" in body and "правильный ответ" in body


def test_a_timed_attempt_resumes_where_the_learner_was(client, alice):
    course, _ = make_bank(5)
    quiz = QuizFactory(course=course, question_count=5)
    attempt = services.start_quiz_attempt(alice, quiz)
    client.force_login(alice)
    client.get(f"/quizzes/attempts/{attempt.pk}/?q=4")
    answer(attempt, 4)
    # A second start (another tab, a new session) resumes the same attempt, at question 4.
    assert services.start_quiz_attempt(alice, quiz).pk == attempt.pk
    client.logout()
    client.force_login(alice)
    body = client.get(f"/quizzes/attempts/{attempt.pk}/").content.decode()
    assert "Вопрос 4 из 5" in body


def test_submitting_scores_the_attempt_and_keeps_per_topic_results(alice):
    course, _ = make_bank(4)
    quiz = QuizFactory(course=course, question_count=4, layout=Quiz.Layout.ALL)
    attempt = services.start_quiz_attempt(alice, quiz)
    topics = {q.position: q.mcq.topics.get().slug for q in attempt.questions.all()}
    answer(attempt, 1, right=True)
    answer(attempt, 2, right=False)
    answer(attempt, 3, right=True)
    services.submit_attempt(attempt.pk)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    assert (attempt.correct_count, attempt.question_count) == (2, 4)
    expected: dict[str, list[int]] = {}
    for position, slug in topics.items():
        right = position in (1, 3)
        expected.setdefault(slug, [0, 0])
        expected[slug][0] += right
        expected[slug][1] += 1
    stored = {
        r.topic.slug: [r.correct, r.total]
        for r in TopicResult.objects.filter(learner=alice).select_related("topic")
    }
    assert stored == expected


def test_a_learner_cannot_start_more_attempts_than_allowed(alice):
    course, _ = make_bank(3)
    quiz = QuizFactory(course=course, attempts_allowed=1)
    attempt = services.start_quiz_attempt(alice, quiz)
    services.submit_attempt(attempt.pk)
    with pytest.raises(services.QuizRefused, match=r"все попытки|all attempts"):
        services.start_quiz_attempt(alice, quiz)
    assert Attempt.objects.filter(quiz=quiz).count() == 1


def test_a_fixed_quiz_asks_exactly_its_questions(alice):
    course, mcqs = make_bank(5)
    quiz = QuizFactory(course=course, selection=Quiz.Selection.FIXED, question_count=10)
    quiz.mcqs.set(mcqs[:2])
    attempt = services.start_quiz_attempt(alice, quiz)
    assert set(attempt.questions.values_list("mcq_id", flat=True)) == {m.pk for m in mcqs[:2]}


def test_the_deadline_is_the_time_limit_but_never_after_the_quiz_closes(alice):
    course, _ = make_bank(3)
    now = timezone.now()
    quiz = QuizFactory(course=course, time_limit_minutes=30, closes_at=now + timedelta(minutes=5))
    attempt = services.start_quiz_attempt(alice, quiz, now=now)
    assert attempt.deadline == now + timedelta(minutes=5)


def test_answers_after_submission_are_shown_only_as_the_quiz_says(client, alice):
    course, _ = make_bank(3)
    quiz = QuizFactory(course=course, show_answers=Quiz.ShowAnswers.NEVER)
    attempt = services.start_quiz_attempt(alice, quiz)
    answer(attempt, 1, right=False)
    services.submit_attempt(attempt.pk)
    client.force_login(alice)
    body = client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()
    assert "правильный ответ" not in body
    Quiz.objects.filter(pk=quiz.pk).update(show_answers=Quiz.ShowAnswers.AFTER_SUBMIT)
    Attempt.objects.filter(pk=attempt.pk).update(show_answers=Quiz.ShowAnswers.AFTER_SUBMIT)
    body = client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()
    assert "правильный ответ" in body
    assert AttemptQuestion.objects.filter(attempt=attempt, is_correct=False).count() == 1
