"""Tampered or replayed POSTs are refused with a clear message and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import Attempt, AttemptQuestion, TopicResult
from tests.quiz_factories import QuizFactory, make_bank

pytestmark = pytest.mark.django_db


def snapshot(attempt):
    return (
        list(
            AttemptQuestion.objects.filter(attempt=attempt)
            .order_by("position")
            .values_list("chosen_option_id", "is_correct", "version", "answered_at")
        ),
        Attempt.objects.filter(pk=attempt.pk).values_list("status", "correct_count", "finished_at")[
            0
        ],
        TopicResult.objects.filter(attempt=attempt).count(),
    )


@pytest.fixture
def timed(alice):
    course, _ = make_bank(4)
    quiz = QuizFactory(course=course, question_count=4)
    return services.start_quiz_attempt(alice, quiz)


def post_answer(client, attempt, position, option, version, **headers):
    return client.post(
        f"/quizzes/attempts/{attempt.pk}/answer/",
        {"position": position, "option": option, "version": version},
        headers=headers,
    )


def test_it_refuses_an_option_of_another_question(client, alice, timed):
    other = timed.questions.get(position=2).option_order[0]
    before = snapshot(timed)
    client.force_login(alice)
    response = post_answer(client, timed, 1, other, 0)
    assert response.status_code == 409
    assert "Этот вариант не относится к этому вопросу." in response.content.decode()
    assert snapshot(timed) == before


def test_it_refuses_an_option_of_a_question_in_someone_elses_attempt(client, alice, bob, timed):
    bobs = services.start_quiz_attempt(bob, timed.quiz)
    mine = timed.questions.get(position=1)
    theirs = bobs.questions.exclude(mcq=mine.mcq).first()
    before = snapshot(timed)
    client.force_login(alice)
    response = post_answer(client, timed, 1, theirs.option_order[1], 0)
    assert response.status_code == 409
    assert snapshot(timed) == before


def test_it_answers_404_for_another_learners_attempt(client, bob, timed):
    before = snapshot(timed)
    option = timed.questions.get(position=1).option_order[0]
    client.force_login(bob)
    assert post_answer(client, timed, 1, option, 0).status_code == 404
    assert client.post(f"/quizzes/attempts/{timed.pk}/submit/").status_code == 404
    assert client.get(f"/quizzes/attempts/{timed.pk}/").status_code == 404
    assert client.get(f"/quizzes/attempts/{timed.pk}/result/").status_code == 404
    assert snapshot(timed) == before


def test_it_refuses_an_answer_after_the_deadline(client, alice, timed):
    question = timed.questions.get(position=1)
    before = snapshot(timed)
    late = timed.deadline + timedelta(seconds=30)
    with pytest.raises(services.QuizRefused, match="Время вышло"):
        services.record_answer(timed.pk, 1, question.option_order[0], 0, now=late)
    assert snapshot(timed) == before


def test_it_refuses_an_answer_after_the_deadline_over_http_and_closes_the_attempt(
    client, alice, timed
):
    Attempt.objects.filter(pk=timed.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    option = timed.questions.get(position=1).option_order[0]
    client.force_login(alice)
    response = post_answer(client, timed, 1, option, 0)
    assert response.status_code == 409
    assert "Попытка завершена" in response.content.decode()
    timed.refresh_from_db()
    assert timed.status == Attempt.Status.EXPIRED
    assert not AttemptQuestion.objects.filter(attempt=timed, chosen_option__isnull=False).exists()


def test_it_refuses_an_answer_to_a_submitted_attempt(client, alice, timed):
    services.submit_attempt(timed.pk)
    before = snapshot(timed)
    client.force_login(alice)
    response = post_answer(client, timed, 1, timed.questions.get(position=1).option_order[0], 0)
    assert response.status_code == 409
    assert "Попытка завершена" in response.content.decode()
    assert snapshot(timed) == before


def test_a_double_submit_is_refused_and_keeps_the_first_result(client, alice, timed):
    question = timed.questions.get(position=1)
    services.record_answer(timed.pk, 1, question.correct_option_id, 0)
    client.force_login(alice)
    response = client.post(f"/quizzes/attempts/{timed.pk}/submit/", {"confirm": "1"})
    assert response.status_code == 302
    before = snapshot(timed)
    response = client.post(f"/quizzes/attempts/{timed.pk}/submit/")
    assert response.status_code == 409
    assert "Эта попытка уже завершена." in response.content.decode()
    assert snapshot(timed) == before


def test_a_replayed_answer_is_refused_and_the_newer_answer_stays(client, alice, timed):
    question = timed.questions.get(position=1)
    first, second = question.option_order[0], question.option_order[1]
    client.force_login(alice)
    assert post_answer(client, timed, 1, first, 0, **{"HX-Request": "true"}).status_code == 200
    assert post_answer(client, timed, 1, second, 1, **{"HX-Request": "true"}).status_code == 200
    before = snapshot(timed)
    replay = post_answer(client, timed, 1, first, 0, **{"HX-Request": "true"})
    assert replay.status_code == 409
    assert "Форма ответа устарела" in replay.content.decode()
    assert replay["HX-Retarget"] == "#q-1-status"
    assert snapshot(timed) == before
    assert timed.questions.get(position=1).chosen_option_id == second


def test_a_practice_answer_is_final(client, alice):
    course, _ = make_bank(3)
    attempt = services.start_practice_attempt(alice, course, [], 3)
    question = attempt.questions.get(position=1)
    client.force_login(alice)
    assert post_answer(client, attempt, 1, question.option_order[0], 0).status_code == 302
    before = snapshot(attempt)
    response = post_answer(client, attempt, 1, question.option_order[1], 1)
    assert response.status_code == 409
    assert "уже дан ответ" in response.content.decode()
    assert snapshot(attempt) == before


def test_a_malformed_answer_form_is_refused(client, alice, timed):
    before = snapshot(timed)
    client.force_login(alice)
    response = client.post(f"/quizzes/attempts/{timed.pk}/answer/", {"position": "x"})
    assert response.status_code == 409
    response = client.post(
        f"/quizzes/attempts/{timed.pk}/answer/", {"position": 99, "option": 1, "version": 0}
    )
    assert response.status_code == 409
    assert snapshot(timed) == before
