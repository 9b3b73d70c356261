"""End to end in headless Chromium: sign up, log out, log in, see the home page."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_visitor_signs_up_logs_out_and_logs_back_in(page):
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Школа глубокого обучения")
    # The sign-up links are styled as buttons (role="button").
    page.get_by_role("button", name="Зарегистрироваться").first.click()

    page.get_by_label("Имя пользователя").fill("katya")
    page.get_by_label("Электронная почта").fill("katya@example.com")
    page.get_by_label("Пароль", exact=True).fill("a-long-unusual-passphrase")
    page.get_by_label("Подтверждение пароля").fill("a-long-unusual-passphrase")
    page.locator("main").get_by_role("button", name="Зарегистрироваться").click()

    expect(page.get_by_text("Добро пожаловать!")).to_be_visible()
    expect(page.get_by_role("heading", name="Здравствуйте, katya!")).to_be_visible()
    assert User.objects.filter(username="katya", groups__name="Learner").exists()

    page.get_by_role("button", name="Выйти").click()
    expect(page.get_by_role("link", name="Войти")).to_be_visible()

    page.get_by_role("link", name="Войти").click()
    page.get_by_label("Имя пользователя").fill("katya")
    page.get_by_label("Пароль").fill("a-long-unusual-passphrase")
    page.locator("main").get_by_role("button", name="Войти").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="katya")).to_be_visible()
