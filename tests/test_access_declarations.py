"""Every view declares who may see it (accounts/access.py); the admin site guards its own."""

from django.urls import URLPattern, URLResolver, get_resolver

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
