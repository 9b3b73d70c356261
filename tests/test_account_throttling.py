"""Log-in, sign-up and password reset are throttled per address and per account."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD
from tests.test_signup import signup_data


@pytest.fixture
def tight_rates(settings):
    # Per day, not per minute: django-ratelimit counts in fixed windows, and a test whose
    # requests straddled a minute's boundary (one run in ~40) started counting again from zero.
    settings.THROTTLE_RATES = {
        "login_per_address": "6/d",
        "login_per_account": "3/d",
        "signup_per_address": "2/d",
        "password_reset_per_address": "4/d",
        "password_reset_per_account": "2/d",
    }


def log_in(client, username, password="wrong-password", address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_it_refuses_a_fourth_guess_at_one_account(client, alice, tight_rates):
    for _ in range(3):
        assert log_in(client, "alice").status_code == 200  # the form again, with its error
    refused = log_in(client, "alice", password=PASSWORD)
    assert refused.status_code == 429
    assert "Слишком много попыток" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_account_counter_ignores_case_and_address(client, alice, tight_rates):
    for number, name in enumerate(["alice", "ALICE", "Alice"]):
        log_in(client, name, address=f"10.0.0.{number}")
    assert log_in(client, "alice", address="10.9.9.9").status_code == 429


def test_one_address_cannot_try_many_accounts(client, db, tight_rates):
    for number in range(6):
        assert log_in(client, f"user{number}").status_code == 200
    assert log_in(client, "someone-else").status_code == 429
    assert log_in(client, "someone-else", address="10.0.0.2").status_code == 200


def test_showing_the_form_is_not_counted(client, db, tight_rates):
    for _ in range(10):
        assert client.get(reverse("login")).status_code == 200


def test_a_correct_password_within_the_limit_logs_in(client, alice, tight_rates):
    log_in(client, "alice")
    response = log_in(client, "alice", password=PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_sign_up_is_limited_per_address_and_creates_nothing_when_refused(client, db, tight_rates):
    for number in range(2):
        data = signup_data(username=f"new{number}", email=f"new{number}@example.com")
        assert client.post(reverse("signup"), data, REMOTE_ADDR="10.0.0.1").status_code == 302
        client.logout()
    data = signup_data(username="new9", email="new9@example.com")
    assert client.post(reverse("signup"), data, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert not User.objects.filter(username="new9").exists()


def test_password_reset_is_limited_per_e_mail(client, alice, tight_rates):
    for _ in range(2):
        response = client.post(reverse("password_reset"), {"email": alice.email})
        assert response.status_code == 302
    assert len(mail.outbox) == 2
    refused = client.post(reverse("password_reset"), {"email": alice.email.upper()})
    assert refused.status_code == 429
    assert len(mail.outbox) == 2


def test_the_refusal_speaks_english_in_english_mode(client, alice, tight_rates):
    client.cookies["django_language"] = "en"
    for _ in range(3):
        log_in(client, "alice")
    refused = log_in(client, "alice")
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
