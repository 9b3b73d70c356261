"""Graded evidence schedules flashcards (a wrong quiz answer, a failed lab test bring the related
Q&A cards forward, and the card says so), the questions answered wrong can be practised again,
and mastery per course and topic combines flashcards, quizzes and labs: on the learner's
dashboard, for instructors per learner, and on the course's mind maps."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from assessments import services as quiz_services
from assessments.models import Attempt, AttemptQuestion
from courses.models import MindMap
from grading import models as grading_models
from grading.models import Submission
from labs.models import Lab
from study import evidence, mastery
from study.models import Card, ReviewLog
from tests.quiz_factories import QuizFactory, make_bank, make_qa_item
from tests.study_helpers import rate, shown_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank():
    """A course with MCQs on cnn (odd) and rnn (even), and Q&A items on the same topics."""
    course, mcqs = make_bank(4)
    cnn, rnn = mcqs[0].topics.get(), mcqs[1].topics.get()
    items = {
        "cnn": [
            make_qa_item(course, "Что такое свёрточная сеть?", "Свёртка и пулинг.", (cnn,)),
            make_qa_item(course, "Зачем нужен пулинг в CNN?", "Уменьшает размер.", (cnn,)),
        ],
        "rnn": [make_qa_item(course, "Что такое LSTM?", "Рекуррентная сеть с памятью.", (rnn,))],
    }
    return course, mcqs, items


def answer_wrong(learner, course, mcq) -> Attempt:
    attempt = quiz_services.start_practice_on(learner, course, [mcq.pk], rng=random.Random(1))
    question = AttemptQuestion.objects.get(attempt=attempt)
    wrong = next(o for o in question.option_order if o != question.correct_option_id)
    quiz_services.record_answer(attempt.pk, 1, wrong, question.version)
    return attempt


def test_a_wrong_quiz_answer_brings_the_related_cards_forward_and_says_so(client, alice, bank):
    course, mcqs, items = bank
    answer_wrong(alice, course, mcqs[0])  # a cnn question
    client.force_login(alice)
    body = client.get(f"/study/{course.slug}/review/").content.decode()
    assert "Показана раньше срока" in body and "неверно ответили" in body
    forwarded = Card.objects.filter(learner=alice).exclude(evidence="")
    assert {c.qa_item_id for c in forwarded} == {i.pk for i in items["cnn"]}
    assert all(c.evidence == Card.Evidence.QUIZ for c in forwarded)
    # They come first, before the bank's order, and the note goes once the card is rated.
    shown = shown_card(body)
    assert Card.objects.get(pk=shown["card"]).qa_item_id in {i.pk for i in items["cnn"]}
    rate(client, shown, 3)
    assert Card.objects.get(pk=shown["card"]).evidence == ""


def test_a_card_in_review_is_made_due_by_new_evidence(alice, bank):
    course, mcqs, items = bank
    later = timezone.now() + timedelta(days=20)
    card = Card.objects.create(
        learner=alice, course=course, qa_item=items["cnn"][0], state=Card.State.REVIEW,
        stability=30.0, difficulty=5.0, due=later, last_review=timezone.now(),
    )  # fmt: skip
    evidence.apply_new_evidence(alice)  # nothing yet
    assert Card.objects.get(pk=card.pk).due == later
    answer_wrong(alice, course, mcqs[0])
    evidence.apply_new_evidence(alice)
    card.refresh_from_db()
    assert card.due <= timezone.now() and card.evidence == Card.Evidence.QUIZ
    # Evidence is applied once: a second look changes nothing more.
    Card.objects.filter(pk=card.pk).update(due=later, evidence="")
    evidence.apply_new_evidence(alice)
    assert Card.objects.get(pk=card.pk).due == later


def test_a_timed_answer_counts_only_once_the_attempt_is_finished(alice, bank):
    course, _mcqs, _items = bank

    quiz = QuizFactory(course=course, question_count=4, attempts_allowed=0)
    attempt = quiz_services.start_quiz_attempt(alice, quiz)
    for question in AttemptQuestion.objects.filter(attempt=attempt):
        wrong = next(o for o in question.option_order if o != question.correct_option_id)
        quiz_services.record_answer(attempt.pk, question.position, wrong, question.version)
    evidence.apply_new_evidence(alice)
    assert not Card.objects.filter(learner=alice).exists()
    quiz_services.submit_attempt(attempt.pk)
    evidence.apply_new_evidence(alice)
    assert Card.objects.filter(learner=alice).exclude(evidence="").count() == 3


def make_lab(course, topic) -> Lab:
    lab = Lab.objects.create(
        slug="conv-lab", title="Свёрточный слой", course=course, statement="...",
        starter_code="", catalog_hash="x",
    )  # fmt: skip
    lab.topics.set([topic])
    return lab


def graded(learner, lab, passed: list[bool], score: float) -> Submission:
    submission = Submission.objects.create(
        learner=learner, lab=lab, source="", status=Submission.Status.DONE, score=score,
        finished_at=timezone.now(),
    )  # fmt: skip
    for position, ok in enumerate(passed):
        grading_models.TestResult.objects.create(
            submission=submission, position=position, name=f"t{position}",
            title=f"свёртка сохраняет размер {position}", weight=1, passed=ok,
        )  # fmt: skip
    return submission


def test_a_failed_lab_test_brings_the_labs_topic_cards_forward(client, alice, bank):
    course, mcqs, items = bank
    lab = make_lab(course, mcqs[0].topics.get())
    graded(alice, lab, [True, False], 0.5)
    client.force_login(alice)
    body = client.get(f"/study/{course.slug}/review/").content.decode()
    assert "не прошла связанная проверка лабораторной" in body
    forwarded = Card.objects.filter(learner=alice, evidence=Card.Evidence.LAB)
    assert {c.qa_item_id for c in forwarded} == {i.pk for i in items["cnn"]}
    assert "Свёрточный слой" in forwarded.first().evidence_detail


def test_the_questions_answered_wrong_can_be_practised_again(client, alice, bank):
    course, mcqs, _items = bank
    answer_wrong(alice, course, mcqs[0])
    answer_wrong(alice, course, mcqs[1])
    # Answered right later: no longer a mistake.
    attempt = quiz_services.start_practice_on(alice, course, [mcqs[1].pk])
    question = AttemptQuestion.objects.get(attempt=attempt)
    quiz_services.record_answer(attempt.pk, 1, question.correct_option_id, question.version)
    client.force_login(alice)
    body = client.get("/study/").content.decode()
    assert "Повторить 1 вопрос теста с ошибкой" in body
    response = client.post(f"/study/{course.slug}/mistakes/")
    practice = Attempt.objects.filter(learner=alice).latest("started_at")
    assert response["Location"] == f"/quizzes/attempts/{practice.pk}/"
    assert list(practice.questions.values_list("mcq_id", flat=True)) == [mcqs[0].pk]
    response = client.post("/study/no-such-course/mistakes/")
    assert response.status_code == 404


def test_mastery_combines_flashcards_quizzes_and_labs(alice, bank):
    course, mcqs, items = bank
    now = timezone.now()
    [row] = mastery.learner_mastery(alice, [course], now=now)
    assert row.overall.score is None and row.overall.items == 3
    # One of the two cnn cards well remembered: flashcards ~ 1/2 on cnn.
    Card.objects.create(
        learner=alice, course=course, qa_item=items["cnn"][0], state=Card.State.REVIEW,
        stability=100.0, difficulty=5.0, due=now + timedelta(days=90), last_review=now,
    )  # fmt: skip
    cnn = mastery.learner_mastery(alice, [course], now=now)[0].by_slug()["cnn"]
    assert cnn.flashcards == pytest.approx(0.5, abs=0.01) and cnn.score == cnn.flashcards
    # A finished quiz on cnn, 1 of 2 right; a lab on cnn scored 0.9.
    attempt = quiz_services.start_practice_on(alice, course, [mcqs[0].pk, mcqs[2].pk])
    for question in AttemptQuestion.objects.filter(attempt=attempt).order_by("position"):
        choice = (
            question.correct_option_id
            if question.position == 1
            else next(o for o in question.option_order if o != question.correct_option_id)
        )
        quiz_services.record_answer(attempt.pk, question.position, choice, question.version)
    quiz_services.submit_attempt(attempt.pk)
    graded(alice, make_lab(course, mcqs[0].topics.get()), [True], 0.9)
    cnn = mastery.learner_mastery(alice, [course], now=now)[0].by_slug()["cnn"]
    assert cnn.quizzes == pytest.approx(0.5) and cnn.labs == pytest.approx(0.9)
    assert cnn.score == pytest.approx(0.5 * 0.5 + 0.3 * 0.5 + 0.2 * 0.9, abs=0.01)
    # Forgetting lowers it: a year later the card's recall has dropped.
    later = mastery.learner_mastery(alice, [course], now=now + timedelta(days=365))[0]
    assert later.by_slug()["cnn"].flashcards < cnn.flashcards


def test_the_dashboard_shows_due_counts_and_mastery_and_changes_after_reviews(client, alice, bank):
    course, _mcqs, _items = bank
    client.force_login(alice)
    body = client.get("/study/").content.decode()
    assert "Освоение: пока нет данных" in body and "К повторению: 0" in body
    assert re.search(r'class="count-new">Новые: 3<', body)
    review = client.get(f"/study/{course.slug}/review/").content.decode()
    for _ in range(3):
        review = rate(client, shown_card(review), 1).content.decode()  # Again: due in minutes
    ReviewLog.objects.update(reviewed_at=timezone.now() - timedelta(minutes=5))
    Card.objects.update(due=timezone.now() - timedelta(minutes=1))
    body = client.get("/study/").content.decode()
    assert "К повторению: 3" in body and re.search(r'class="count-new">Новые: 0<', body)
    assert re.search(r"Освоение: \d+%", body)
    assert body.count('class="mastery-bar"') >= 2 and 'class="mastery-donut"' in body


def test_the_dashboard_takes_the_same_number_of_queries_however_many_cards(
    client, alice, bank, django_assert_max_num_queries
):
    course, _mcqs, _items = bank
    client.force_login(alice)
    client.get("/study/")  # settings made, evidence looked at
    counts = []
    for extra in range(3):
        with django_assert_max_num_queries(25) as captured:
            assert client.get("/study/").status_code == 200
        counts.append(len(captured.captured_queries))
        for n in range(5):
            make_qa_item(course, f"Ещё вопрос {extra}.{n}?", "Ответ.")
        review = client.get(f"/study/{course.slug}/review/").content.decode()
        for _ in range(3):
            review = rate(client, shown_card(review), 4).content.decode()
    assert len(set(counts)) == 1


def test_instructors_see_a_learners_dashboard_and_learners_do_not(client, alice, bob, ivan, bank):
    course, mcqs, _items = bank
    answer_wrong(alice, course, mcqs[0])
    evidence.apply_new_evidence(alice)
    client.force_login(ivan)
    body = client.get(f"/study/learners/{alice.pk}/").content.decode()
    assert "Обучение: alice" in body and course.title in body
    assert client.get(f"/study/learners/{ivan.pk}/").status_code == 404  # not a learner
    client.force_login(bob)
    assert client.get(f"/study/learners/{alice.pk}/").status_code == 403


def test_the_mind_map_is_coloured_by_the_learners_mastery(client, alice, bob, ivan, bank):
    course, _mcqs, items = bank
    MindMap.objects.create(
        seed_key="test.txt:mindmap:1", source_file="test.txt", source_first_line=1,
        source_last_line=1, content_hash="x", course=course, number=1, title="Карта",
        tree={"label": "Глубокое обучение", "line": 1, "children": [
            {"label": "Свёрточные сети (CNN)", "line": 2, "children": [
                {"label": "Пулинг", "line": 3, "children": []}]},
            {"label": "Рекуррентные сети (RNN)", "line": 4, "children": []},
        ]},
    )  # fmt: skip
    now = timezone.now()
    for item in items["cnn"]:
        Card.objects.create(
            learner=alice, course=course, qa_item=item, state=Card.State.REVIEW,
            stability=200.0, difficulty=4.0, due=now + timedelta(days=100), last_review=now,
        )  # fmt: skip
    url = f"/courses/{course.slug}/mindmaps/1/"

    def levels(body: str) -> dict[str, str]:
        """node id -> its mastery level class, as drawn."""
        found = re.findall(r'level-(\w+)" data-node="([\d.]+)"', body)
        return {node: level for level, node in found}

    assert "level-" not in client.get(url).content.decode().split("<svg")[1]  # a visitor
    client.force_login(alice)
    mine = levels(client.get(url).content.decode())
    assert mine["0.0"] == "4" and mine["0.0.0"] == "4"  # CNN and its child, inherited
    assert mine["0.1"] == "none"  # RNN: no evidence yet
    client.force_login(ivan)
    assert levels(client.get(f"{url}?learner={alice.pk}").content.decode()) == mine
    client.force_login(bob)
    assert levels(client.get(f"{url}?learner={alice.pk}").content.decode())["0.0"] == "none"


def test_day_boundaries_follow_the_learners_time_zone(alice):
    from study import scheduling

    now = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)  # 01:30 on 2 June in Moscow
    start, end = scheduling.day_bounds("Europe/Moscow", now)
    assert (start.day, start.hour, end.day) == (2, 0, 3)
    start, _end = scheduling.day_bounds("America/Los_Angeles", now)
    assert (start.day, start.hour) == (1, 0)
