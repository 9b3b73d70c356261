"""A learner can never read another learner's data."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD


def test_it_rejects_a_learner_reading_another_learners_record(client, alice, bob):
    client.login(username="bob", password=PASSWORD)
    response = client.get(reverse("learner_detail", args=[alice.id]))
    assert response.status_code == 403
    assert "alice" not in response.content.decode()


def test_it_rejects_a_learner_listing_learners(client, alice, bob):
    client.login(username="bob", password=PASSWORD)
    response = client.get(reverse("learner_list"))
    assert response.status_code == 403
    assert "alice@example.com" not in response.content.decode()


def test_it_sends_anonymous_visitors_to_log_in(client, alice):
    response = client.get(reverse("learner_detail", args=[alice.id]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_profile_page_shows_only_the_signed_in_learner(client, alice, bob):
    client.login(username="bob", password=PASSWORD)
    body = client.get(reverse("profile")).content.decode()
    assert "bob@example.com" in body
    assert "alice" not in body


@pytest.mark.parametrize("persona", ["ivan", "ada"])
def test_instructors_and_admins_may_read_a_learners_record(client, alice, persona, request):
    request.getfixturevalue(persona)
    client.login(username=persona, password=PASSWORD)
    response = client.get(reverse("learner_detail", args=[alice.id]))
    assert response.status_code == 200
    assert "alice@example.com" in response.content.decode()


def test_an_instructor_cannot_open_a_non_learner_as_a_learner(client, ivan, ada):
    client.login(username="ivan", password=PASSWORD)
    assert client.get(reverse("learner_detail", args=[ada.id])).status_code == 404
