"""A learner's exam session: the draw, autosave (reload, second tab), the server's deadline,
submission, and privacy. Every refusal says why in Russian and changes nothing."""

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams import sessions
from exams.models import ExamSession, SessionAnswer
from exams.sessions import Candidate
from exams.tickets import ExamRefused
from tests.exam_factories import make_course_bank, make_ticket_set, open_exam

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam(ivan, alice, bob):
    course, _items = make_course_bank()
    ticket_set = make_ticket_set(course, tickets=3)
    return open_exam(course, ticket_set, ivan, [Candidate("alice", 30), Candidate("bob", 0)])


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def draw(client, exam):
    response = client.post(reverse("exams:exam_draw", args=[exam.pk]))
    assert response.status_code == 302, response.content.decode()
    return ExamSession.objects.get(exam=exam, learner__username="alice")


def save(client, session, position, text, version, **extra):
    return client.post(
        reverse("exams:session_answer", args=[session.pk]),
        {"position": position, "text": text, "version": version},
        HTTP_HX_REQUEST="true",
        **extra,
    )


def test_the_draw_gives_one_ticket_and_a_personal_deadline_with_extra_time(alice_client, exam):
    before = timezone.now()
    session = draw(alice_client, exam)
    assert session.ticket.ticket_set_id == exam.ticket_set_id
    assert session.deadline - before >= timedelta(minutes=60 + 30)
    assert session.deadline - before < timedelta(minutes=91)
    assert list(session.answers.values_list("position", flat=True)) == [0, 1, 2]
    page = alice_client.get(reverse("exams:session_take", args=[session.pk])).content.decode()
    assert session.ticket.questions.get(position=1).text in page
    assert 'data-seconds-left="' in page


def test_drawing_again_is_refused_and_changes_nothing(alice_client, exam):
    session = draw(alice_client, exam)
    again = alice_client.post(reverse("exams:exam_draw", args=[exam.pk]))
    assert again.status_code == 409
    number = session.ticket.number
    refusal = f"Вы уже вытянули билет {number} на этом экзамене; второй раз тянуть билет нельзя."
    assert refusal in again.content.decode()
    assert ExamSession.objects.filter(exam=exam).count() == 1
    assert ExamSession.objects.get().ticket_id == session.ticket_id


def test_starting_twice_at_once_makes_one_session(exam, alice):
    first = sessions.start_session(exam, alice, rng=random.Random(1))
    with pytest.raises(ExamRefused, match="второй раз тянуть билет нельзя"):
        sessions.start_session(exam, alice, rng=random.Random(2))
    sessions.submit_session(first.pk)
    with pytest.raises(ExamRefused, match="Вы уже сдавали этот экзамен"):
        sessions.start_session(exam, alice)
    assert ExamSession.objects.count() == 1


def test_a_learner_not_on_the_list_cannot_draw(client, exam, db):
    from tests.factories import LearnerFactory

    client.force_login(LearnerFactory(username="zoe"))
    response = client.post(reverse("exams:exam_draw", args=[exam.pk]))
    assert response.status_code == 409
    assert "Вас нет в списке допущенных к этому экзамену." in response.content.decode()
    assert not ExamSession.objects.exists()


def test_a_closed_or_future_exam_cannot_be_drawn(alice_client, exam):
    exam.opens_at = timezone.now() + timedelta(hours=1)
    exam.closes_at = timezone.now() + timedelta(hours=2)
    exam.save()
    refused = alice_client.post(reverse("exams:exam_draw", args=[exam.pk]))
    assert "Экзамен ещё не открыт." in refused.content.decode()
    exam.opens_at, exam.closes_at = (
        timezone.now() - timedelta(days=2),
        timezone.now() - timedelta(days=1),
    )
    exam.save()
    refused = alice_client.post(reverse("exams:exam_draw", args=[exam.pk]))
    assert "Экзамен закрыт." in refused.content.decode()
    assert not ExamSession.objects.exists()


def test_answers_are_autosaved_and_survive_a_reload(alice_client, exam):
    session = draw(alice_client, exam)
    saved = save(alice_client, session, 1, "Свёртка — это…", 0)
    assert saved.status_code == 200
    assert 'value="1" id="answer-1-version" hx-swap-oob="true"' in saved.content.decode()
    save(alice_client, session, 1, "Свёртка — это операция", 1)
    page = alice_client.get(reverse("exams:session_take", args=[session.pk])).content.decode()
    assert "Свёртка — это операция</textarea>" in page
    assert 'value="2" id="answer-1-version"' in page


def test_a_stale_second_tab_is_refused_instead_of_overwriting(alice_client, exam):
    session = draw(alice_client, exam)
    save(alice_client, session, 2, "из первой вкладки", 0)
    stale = save(alice_client, session, 2, "из второй вкладки", 0)
    assert stale.status_code == 409
    assert "Этот ответ изменён в другой вкладке или окне" in stale.content.decode()
    assert stale["HX-Retarget"] == "#answer-2-status"
    assert SessionAnswer.objects.get(session=session, position=2).text == "из первой вкладки"


def test_an_answer_after_the_deadline_is_refused(alice_client, exam):
    session = draw(alice_client, exam)
    save(alice_client, session, 1, "вовремя", 0)
    ExamSession.objects.filter(pk=session.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    late = save(alice_client, session, 1, "поздно", 1)
    assert late.status_code == 409
    assert (
        "Экзаменационная сессия закрыта" in late.content.decode()
        or "Время вышло" in late.content.decode()
    )
    assert SessionAnswer.objects.get(session=session, position=1).text == "вовремя"
    session.refresh_from_db()
    assert session.status == ExamSession.Status.EXPIRED


def test_the_deadline_is_checked_inside_the_save_itself(exam, alice):
    session = sessions.start_session(exam, alice)
    late = session.deadline + timedelta(seconds=5)
    with pytest.raises(ExamRefused, match="Время вышло"):
        sessions.save_answer(alice.pk, session.pk, 1, "поздно", 0, now=late)
    assert SessionAnswer.objects.get(session=session, position=1).text == ""


def test_the_beat_task_closes_abandoned_sessions(exam, alice):
    session = sessions.start_session(exam, alice)
    ExamSession.objects.filter(pk=session.pk).update(deadline=timezone.now() - timedelta(minutes=5))
    assert sessions.close_expired_sessions() == 1
    session.refresh_from_db()
    assert session.status == ExamSession.Status.EXPIRED
    assert session.finished_at == session.deadline
    from django.conf import settings

    assert "exams.close_expired_sessions" in {
        e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_submitting_closes_the_session_and_a_second_submit_is_refused(alice_client, exam):
    session = draw(alice_client, exam)
    response = alice_client.post(reverse("exams:session_submit", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == ExamSession.Status.SUBMITTED
    again = alice_client.post(reverse("exams:session_submit", args=[session.pk]))
    assert again.status_code == 409
    assert "Эта экзаменационная сессия уже сдана." in again.content.decode()
    after = save(alice_client, session, 1, "после сдачи", 0)
    assert "Экзаменационная сессия закрыта: ответы больше нельзя менять." in after.content.decode()
    result = alice_client.get(reverse("exams:session_result", args=[session.pk])).content.decode()
    assert "оценка появится здесь после публикации" in result


def test_it_rejects_other_learners(client, exam, alice, bob):
    session = sessions.start_session(exam, alice)
    client.force_login(bob)
    for name in ("session_take", "session_result"):
        response = client.get(reverse(f"exams:{name}", args=[session.pk]))
        assert response.status_code == 404
        assert "Такой экзаменационной сессии нет среди ваших." in response.content.decode()
    assert client.post(reverse("exams:session_submit", args=[session.pk])).status_code == 404
    assert save(client, session, 1, "чужой ответ", 0).status_code == 404
    assert (
        client.post(
            reverse("exams:session_practical", args=[session.pk]), {"source": "x"}
        ).status_code
        == 404
    )
    session.refresh_from_db()
    assert session.status == ExamSession.Status.IN_PROGRESS
    assert SessionAnswer.objects.get(session=session, position=1).text == ""
    assert "alice" not in client.get(reverse("exams:exam_list")).content.decode()


def test_the_exam_list_shows_open_exams_and_own_sessions(alice_client, exam):
    page = alice_client.get(reverse("exams:exam_list")).content.decode()
    assert exam.title in page and "Вы ещё не сдавали экзамены." in page
    session = draw(alice_client, exam)
    page = alice_client.get(reverse("exams:exam_list")).content.decode()
    assert reverse("exams:session_take", args=[session.pk]) in page
