from django.contrib.auth.models import User
from django.urls import reverse

from accounts.roles import Role, has_role


def signup_data(**overrides):
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password1": "a-long-unusual-passphrase",
        "password2": "a-long-unusual-passphrase",
    }
    data.update(overrides)
    return data


def test_it_creates_a_learner_and_logs_them_in(client, db):
    response = client.post(reverse("signup"), signup_data())
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert has_role(user, Role.LEARNER)
    assert not has_role(user, Role.INSTRUCTOR)
    assert not user.is_staff
    assert client.get(reverse("profile")).status_code == 200


def test_it_refuses_a_taken_email_and_creates_nothing(client, alice):
    response = client.post(reverse("signup"), signup_data(email="ALICE@example.com"))
    assert response.status_code == 200
    assert "уже есть" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_it_refuses_mismatched_passwords_and_creates_nothing(client, db):
    response = client.post(reverse("signup"), signup_data(password2="something-else-entirely"))
    assert response.status_code == 200
    assert not User.objects.filter(username="newbie").exists()


def test_a_tampered_form_cannot_grant_staff_or_roles(client, db):
    response = client.post(
        reverse("signup"), signup_data(is_staff="on", is_superuser="on", groups="2")
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert not user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [Role.LEARNER.value]


def test_logging_in_and_out_works(client, alice):
    from tests.factories import PASSWORD

    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("profile")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("profile")).status_code == 302


def test_the_password_reset_page_sends_a_link(client, alice, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body
