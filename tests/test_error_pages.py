"""403/404/500 pages speak Russian and keep the site's layout (DEBUG is off in tests)."""

from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD


def test_a_missing_page_answers_404_in_russian(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Такой страницы нет" in response.content.decode()


def test_a_forbidden_page_answers_403_in_russian(client, alice):
    client.login(username="alice", password=PASSWORD)
    response = client.get(reverse("learner_list"))
    assert response.status_code == 403
    assert "нет доступа" in response.content.decode()


def test_a_server_error_answers_500_in_russian(db, settings):
    settings.ROOT_URLCONF = "tests.urls_failing"
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Что-то пошло не так" in response.content.decode()
