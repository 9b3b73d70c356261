"""Throttles for the views an anonymous visitor can hammer: log-in, sign-up and password reset.

django-ratelimit counts requests in the default cache (Redis in production, see
settings.CACHES). Each view has a limit per client address and, where the form names an
account, one per account, so neither one address trying many accounts nor many addresses
trying one account get far. Only POSTs count: showing the form is free. A refused request
gets the 429 page of ``accounts.views.too_many_attempts`` (settings.RATELIMIT_VIEW).

Rates live in settings.THROTTLE_RATES and are read per request, so an operator can change
them through the environment and tests can tighten them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.decorators import ratelimit

# What identifies the requester for each kind of limit: the client address, or a field of the
# submitted form, lower-cased so that "Alice" and "alice" share one counter.
ADDRESS = "ip"


def _form_field(field: str) -> Callable[[str, HttpRequest], str]:
    def key(group: str, request: HttpRequest) -> str:
        return request.POST.get(field, "").strip().lower()[:254]

    return key


def _rate(name: str) -> Callable[[str, HttpRequest], str]:
    def rate(group: str, request: HttpRequest) -> str:
        return settings.THROTTLE_RATES[name]

    return rate


THROTTLES: dict[str, list[tuple[str, str | Callable]]] = {
    # view group -> [(rate name in settings.THROTTLE_RATES, key)]
    "login": [("login_per_address", ADDRESS), ("login_per_account", _form_field("username"))],
    "signup": [("signup_per_address", ADDRESS)],
    "password_reset": [
        ("password_reset_per_address", ADDRESS),
        ("password_reset_per_account", _form_field("email")),
    ],
}


def throttled(group: str, view: Callable) -> Callable:
    """``view`` behind every limit of ``group`` (a key of THROTTLES), counted on POST."""
    for rate_name, key in THROTTLES[group]:
        view = ratelimit(
            group=f"accounts.{group}.{rate_name}",
            key=key,
            rate=_rate(rate_name),
            method="POST",
            block=True,
        )(view)
    return view
