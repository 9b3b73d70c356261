import re

from django.test import RequestFactory
from django.urls import reverse
from django_htmx.middleware import HtmxMiddleware


def test_the_layout_loads_the_vendored_htmx_and_pico(client, db):
    body = client.get(reverse("home")).content.decode()
    assert re.search(r'src="/static/vendor/htmx-\d+\.\d+\.\d+\.min\.js"', body)
    assert re.search(r'href="/static/vendor/pico-\d+\.\d+\.\d+\.min\.css"', body)


def test_htmx_requests_carry_the_csrf_token_header(client, db):
    body = client.get(reverse("home")).content.decode()
    match = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", body)
    assert match and len(match.group(1)) >= 32


def test_the_vendored_assets_are_served(client, db):
    body = client.get(reverse("home")).content.decode()
    for path in re.findall(r'(?:src|href)="(/static/vendor/[^"]+)"', body):
        response = client.get(path)
        assert response.status_code == 200, path


def test_django_htmx_marks_htmx_requests():
    request = RequestFactory().get("/", headers={"HX-Request": "true"})
    HtmxMiddleware(lambda r: None)(request)
    assert request.htmx
    plain = RequestFactory().get("/")
    HtmxMiddleware(lambda r: None)(plain)
    assert not plain.htmx
