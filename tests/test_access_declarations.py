"""Every view declares who may see it (accounts/access.py); the admin site guards its own."""

import re
import uuid

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.access import ACCESS_ATTRIBUTE


def iter_views(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            yield from iter_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_view_declares_its_access():
    undeclared = [
        route
        for route, view in iter_views(get_resolver().url_patterns)
        if not getattr(view, ACCESS_ATTRIBUTE, None)
    ]
    assert undeclared == []


def test_the_walk_sees_the_views_it_checks():
    # Guards the test above against passing because it walked nothing.
    routes = {route for route, _ in iter_views(get_resolver().url_patterns)}
    assert {"healthz", "accounts/signup/", "accounts/learners/<int:user_id>/"} <= routes


def sample_path(route: str) -> str:
    """A concrete path for a route: each converter gets a value that exists nowhere."""
    replacements = {"int": "999999", "slug": "no-such-slug", "uuid": str(uuid.UUID(int=1)),
                    "str": "no-such", "path": "no/such"}  # fmt: skip
    return "/" + re.sub(
        r"<(?:(\w+):)?\w+>", lambda m: replacements.get(m.group(1) or "str", "x"), route
    )


def test_every_view_that_is_not_public_sends_anonymous_visitors_to_log_in(client, db):
    """LoginRequiredMiddleware keeps a view private even if its own decorator forgot."""
    login_url = reverse("login")
    leaks = []
    for route, view in iter_views(get_resolver().url_patterns):
        if getattr(view, ACCESS_ATTRIBUTE, None) == "public":
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(sample_path(route))
            if response.status_code != 302 or not response["Location"].startswith(login_url):
                leaks.append((method, route, response.status_code))
    assert leaks == []


def test_the_middleware_guards_views_that_declare_nothing(client, db):
    from accounts.middleware import PrivateByDefaultMiddleware

    def undeclared(request):
        return HttpResponse("secret")

    middleware = PrivateByDefaultMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/anything/")
    request.user = AnonymousUser()
    request.resolver_match = None
    response = middleware.process_view(request, undeclared, (), {})
    assert response is not None and response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_admin_pages_send_anonymous_visitors_to_the_admin_log_in(client, db):
    for path in ("/admin/", "/admin/grading/submission/", "/admin/grading/submission/operations/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login")), path
