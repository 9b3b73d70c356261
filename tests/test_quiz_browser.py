"""End to end in headless Chromium: a practice quiz, a timed quiz with a reload in the middle,
and the instructor's item analysis with its charts after a set of generated attempts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessments import services
from assessments.models import Attempt, Quiz
from tests.factories import PASSWORD, LearnerFactory
from tests.quiz_factories import CourseFactory, QuizFactory, TopicFactory, make_bank, make_mcq

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Войти").click()
    expect(page.get_by_role("link", name=username)).to_be_visible()


def next_question(page):
    # A link styled as a button (role="button"), swapped in by htmx with a real href.
    page.locator(".question-steps").get_by_text("Далее →").click()


def test_a_learner_takes_a_practice_quiz_with_instant_feedback(page, alice):
    course, _ = make_bank(4)
    log_in(page, "alice")
    page.get_by_role("link", name="Тесты").first.click()
    page.get_by_label("Курс").select_option(label=course.title)
    page.get_by_label("Число вопросов").fill("2")
    page.get_by_role("button", name="Начать тренировку").click()

    expect(page.get_by_text("Вопрос 1 из 2")).to_be_visible()
    page.locator("#q-1 label.option").first.click()
    page.get_by_role("button", name="Проверить ответ").click()
    # htmx swapped the card for its feedback: the verdict and the right option.
    expect(page.locator("#q-1 .verdict")).to_have_text(re.compile("Верно!|Неверно."))
    expect(page.locator("#q-1 .is-correct")).to_contain_text("правильный ответ")

    next_question(page)
    expect(page.get_by_text("Вопрос 2 из 2")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?q=2$"))
    page.locator("#q-2 label.option").nth(1).click()
    page.get_by_role("button", name="Проверить ответ").click()
    expect(page.locator("#q-2 .verdict")).to_be_visible()

    page.get_by_role("button", name="Завершить тренировку").click()
    expect(page.get_by_role("heading", name=re.compile(r"Результат: \d из 2"))).to_be_visible()
    attempt = Attempt.objects.get(learner=alice)
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.questions.filter(chosen_option__isnull=False).count() == 2


def test_a_learner_takes_a_timed_quiz_and_a_reload_loses_nothing(page, alice):
    course, _ = make_bank(5)
    quiz = QuizFactory(course=course, title="Итоговый", question_count=3, time_limit_minutes=15)
    log_in(page, "alice")
    page.goto(f"/quizzes/{quiz.pk}/")
    page.get_by_role("button", name="Начать тест").click()
    expect(page.get_by_role("timer")).to_contain_text("Осталось времени")

    page.locator("#q-1 label.option").nth(2).click()  # autosaved on change, no button
    expect(page.locator("#q-1-status")).to_contain_text("Ответ сохранён")
    next_question(page)
    expect(page.get_by_text("Вопрос 2 из 3")).to_be_visible()
    page.locator("#q-2 label.option").nth(1).click()
    expect(page.locator("#q-2-status")).to_contain_text("Ответ сохранён")
    chosen = page.locator("#q-2 input[type=radio]").nth(1).get_attribute("value")

    page.reload()
    expect(page.get_by_text("Вопрос 2 из 3")).to_be_visible()
    expect(page.locator(f"#q-2 input[value='{chosen}']")).to_be_checked()
    # The answer saved before the reload can still change, and the change is saved.
    page.locator("#q-2 label.option").nth(3).click()
    expect(page.locator("#q-2-status")).to_contain_text("Ответ сохранён")

    next_question(page)
    page.locator("#q-3 label.option").first.click()
    expect(page.locator("#q-3-status")).to_contain_text("Ответ сохранён")
    page.get_by_role("button", name="Сдать тест").click()

    expect(page.get_by_role("heading", name=re.compile(r"Результат: \d из 3"))).to_be_visible()
    expect(page.get_by_role("heading", name="Разбор")).to_be_visible()
    attempt = Attempt.objects.get(learner=alice, quiz=quiz)
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.questions.filter(chosen_option__isnull=False).count() == 3
    second = attempt.questions.get(position=2)
    assert str(second.chosen_option_id) != chosen and second.version == 2


def test_an_instructor_opens_the_item_analysis_with_charts(page, ivan):
    course, mcqs = make_bank(5)
    quiz = QuizFactory(
        course=course, title="Контрольная", selection=Quiz.Selection.FIXED, question_count=5
    )
    quiz.mcqs.set(mcqs)
    for i in range(12):
        learner = LearnerFactory(username=f"gen{i}")
        attempt = services.start_quiz_attempt(learner, quiz)
        for question in attempt.questions.all():
            right = (question.mcq_id + i) % 3 != 0
            option = (
                question.correct_option_id
                if right
                else min(o for o in question.option_order if o != question.correct_option_id)
            )
            services.record_answer(attempt.pk, question.position, option, 0)
        services.submit_attempt(attempt.pk)

    log_in(page, "ivan")
    page.get_by_role("link", name="Банк вопросов").click()
    page.get_by_role("row", name=re.compile("Контрольная")).get_by_role(
        "link", name="Анализ заданий"
    ).click()
    expect(page.get_by_role("heading", name="Анализ заданий: Контрольная")).to_be_visible()
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(3)
    expect(charts.first.locator("rect.bar")).to_have_count(5)
    expect(page.locator(".item-table tbody tr")).to_have_count(5)
    expect(page.get_by_text("KR-20")).to_be_visible()
    page.get_by_role("link", name="Показать только задания на проверку").click()
    expect(page).to_have_url(re.compile(r"flagged=1"))


def test_the_practice_form_follows_the_course_and_nothing_chosen_gets_a_hint(page, alice):
    course, _ = make_bank(4)
    other = CourseFactory(slug="ml", title="Инженер ML")
    mlops = TopicFactory(slug="mlops", name="MLOps", position=3)
    make_mcq(other, "Что такое MLflow?", ["a", "b", "c", "d"], topics=(mlops,))
    log_in(page, "alice")
    page.goto("/quizzes/")
    page.get_by_label("Курс").select_option(label=course.title)
    expect(page.locator("#practice-topics")).to_contain_text("Свёрточные сети (2)")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Курс").select_option(label="Инженер ML")
    expect(page.locator("#practice-topics")).to_contain_text("MLOps (1)")
    expect(page.locator("#practice-topics")).not_to_contain_text("Свёрточные сети")
    assert page.evaluate("window.stillTheSamePage") is True  # swapped in place by htmx

    page.get_by_label("Число вопросов").fill("1")
    page.get_by_role("button", name="Начать тренировку").click()
    expect(page.get_by_text("Вопрос 1 из 1")).to_be_visible()
    page.get_by_role("button", name="Проверить ответ").click()
    expect(page.locator("#q-1-status")).to_contain_text("Сначала выберите один из вариантов")
    page.get_by_role("button", name="Завершить тренировку").click()
    expect(page.get_by_role("heading", name="На 1 вопрос нет ответа")).to_be_visible()
    page.get_by_role("button", name="Всё равно завершить").click()
    expect(page.get_by_role("heading", name=re.compile(r"Результат: 0 из 1"))).to_be_visible()
    expect(page.locator(".is-correct")).to_contain_text("правильный ответ")


def test_the_timer_counts_down_every_second(page, alice):
    course, _ = make_bank(3)
    quiz = QuizFactory(course=course, title="Итоговый", question_count=3, time_limit_minutes=15)
    log_in(page, "alice")
    page.goto(f"/quizzes/{quiz.pk}/")
    page.get_by_role("button", name="Начать тест").click()
    clock = page.locator("#timer [data-clock]")
    expect(clock).to_have_text(re.compile(r"^1[45]:\d\d$"))

    def seconds() -> int:
        minutes, secs = clock.inner_text().split(":")
        return int(minutes) * 60 + int(secs)

    first = seconds()
    page.wait_for_timeout(2200)
    assert 1 <= first - seconds() <= 3  # it moved by the second, not in 10 s steps
