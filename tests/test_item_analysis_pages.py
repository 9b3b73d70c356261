"""The instructor's item analysis: tables, SVG charts and flags from real attempts."""

from __future__ import annotations

import pytest

from assessments import services
from assessments.item_report import analyse
from assessments.models import Attempt, Quiz
from tests.quiz_factories import QuizFactory, make_bank

pytestmark = pytest.mark.django_db


def take(learner, quiz, right_positions_of_mcq):
    """An attempt where the learner answers right exactly the MCQs in the given set."""
    attempt = services.start_quiz_attempt(learner, quiz)
    for question in attempt.questions.all():
        wrong = [o for o in question.option_order if o != question.correct_option_id]
        if question.mcq_id in right_positions_of_mcq:
            option = question.correct_option_id
        else:  # always the same distractor, so the other two are never picked
            option = min(wrong)
        services.record_answer(attempt.pk, question.position, option, 0)
    services.submit_attempt(attempt.pk)


@pytest.fixture
def analysed(db):
    from tests.factories import LearnerFactory

    course, mcqs = make_bank(4)
    mcqs[3].answer_text_mismatch = True  # as the seed import reports it
    mcqs[3].save(update_fields=["answer_text_mismatch"])
    quiz = QuizFactory(course=course, selection=Quiz.Selection.FIXED, question_count=4)
    quiz.mcqs.set(mcqs)
    a, b, c, d = (m.pk for m in mcqs)
    # Strong learners get 1-3 right and miss 4 (weak learners get 4 right): 4 discriminates
    # negatively.
    patterns = [{a, b, c}, {a, b, c}, {a, b}, {a, d}, {d}, {d}] * 2
    for i, pattern in enumerate(patterns):
        take(LearnerFactory(username=f"l{i}"), quiz, pattern)
    return quiz, mcqs


def test_the_report_flags_negative_discrimination_unused_distractors_and_mismatches(analysed):
    quiz, mcqs = analysed
    report = analyse(Attempt.objects.filter(quiz=quiz), mcqs)
    assert report.attempt_count == 12 and report.complete_count == 12
    by_mcq = {item.mcq.pk: item for item in report.items}
    fourth = by_mcq[mcqs[3].pk]
    assert fourth.point_biserial < 0
    assert "отрицательная дискриминативность" in fourth.flags
    assert any("не совпадает" in flag for flag in fourth.flags)
    assert any("никто не выбирает" in flag for flag in by_mcq[mcqs[0].pk].flags)
    assert by_mcq[mcqs[0].pk].facility == pytest.approx(8 / 12)
    assert sum(o.count for o in by_mcq[mcqs[0].pk].options) == 12
    assert report.kr20 is not None


def test_the_analysis_page_shows_tables_and_svg_charts(client, ivan, analysed):
    quiz, _ = analysed
    client.force_login(ivan)
    body = client.get(f"/quizzes/manage/{quiz.pk}/analysis/").content.decode()
    assert body.count("<svg") == 3
    assert body.count('class="bar') >= 4 and 'class="point' in body
    assert "KR-20" in body and "отрицательная дискриминативность" in body
    flagged = client.get(f"/quizzes/manage/{quiz.pk}/analysis/?flagged=1").content.decode()
    assert flagged.count("flagged-row") < body.count("<tr") and "flagged-row" in flagged


def test_the_analysis_pages_take_a_fixed_number_of_queries(
    client, ivan, analysed, django_assert_max_num_queries
):
    quiz, _ = analysed
    client.force_login(ivan)
    with django_assert_max_num_queries(10):
        assert client.get(f"/quizzes/manage/{quiz.pk}/analysis/").status_code == 200
    with django_assert_max_num_queries(10):
        assert (
            client.get(f"/quizzes/manage/courses/{quiz.course.slug}/analysis/").status_code == 200
        )
    with django_assert_max_num_queries(10):
        assert client.get("/quizzes/manage/").status_code == 200


def test_the_charts_have_axis_titles_tick_labels_and_a_worded_legend(client, ivan, analysed):
    quiz, _ = analysed
    client.force_login(ivan)
    body = client.get(f"/quizzes/manage/{quiz.pk}/analysis/").content.decode()
    for title in ("Номер задания", "Лёгкость", "Дискриминативность", "Результат, %", "Попытки"):
        assert f">{title}</text>" in body, title
    assert body.count('class="tick"') >= 3 * 3
    assert 'class="bar flagged"' in body  # the fixture's flagged items, hatched as well as red
    assert "красная штриховка: задания, отмеченные для проверки" in body
    assert "С ответом" in body  # the column counts answered questions only
