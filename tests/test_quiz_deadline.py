"""The deadline belongs to the server: abandoned attempts close themselves, lazily when read
and periodically through the beat task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from assessments import services
from assessments.models import Attempt
from tests.quiz_factories import QuizFactory, make_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def abandoned(alice):
    course, _ = make_bank(3)
    quiz = QuizFactory(course=course)
    attempt = services.start_quiz_attempt(alice, quiz)
    question = attempt.questions.get(position=1)
    services.record_answer(attempt.pk, 1, question.correct_option_id, 0)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=5))
    return attempt


def test_the_beat_task_closes_attempts_past_their_deadline_and_scores_them(abandoned, bob):
    running = services.start_quiz_attempt(bob, abandoned.quiz)
    assert services.close_expired_attempts() == 1
    abandoned.refresh_from_db()
    assert abandoned.status == Attempt.Status.EXPIRED
    assert abandoned.correct_count == 1
    assert abandoned.finished_at == abandoned.deadline
    running.refresh_from_db()
    assert running.is_open
    assert services.close_expired_attempts() == 0


def test_reading_an_expired_attempt_closes_it_and_shows_the_result(client, alice, abandoned):
    client.force_login(alice)
    response = client.get(f"/quizzes/attempts/{abandoned.pk}/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/quizzes/attempts/{abandoned.pk}/result/")
    abandoned.refresh_from_db()
    assert abandoned.status == Attempt.Status.EXPIRED


def test_the_timer_sends_htmx_to_the_result_when_time_is_up(client, alice, abandoned):
    client.force_login(alice)
    response = client.get(
        f"/quizzes/attempts/{abandoned.pk}/timer/", headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"] == f"/quizzes/attempts/{abandoned.pk}/result/"


def test_a_submit_after_the_deadline_is_recorded_as_expired(abandoned):
    attempt = services.submit_attempt(abandoned.pk)
    assert attempt.status == Attempt.Status.EXPIRED


def test_the_close_task_is_on_the_beat_schedule():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "assessments.tasks.close_expired_attempts" in tasks
    from config.celery import app

    app.loader.import_default_modules()
    assert "assessments.tasks.close_expired_attempts" in app.tasks
