from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from accounts.access import public
from core.health import broker_problem, database_problem
from courses.queries import courses_with_counts


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"courses": courses_with_counts()})


@public
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 naming what is down."""
    problems = {"database": database_problem(), "broker": broker_problem()}
    body = {
        "status": "ok" if not any(problems.values()) else "down",
        "checks": {
            name: ({"ok": True} if problem is None else {"ok": False, "error": problem})
            for name, problem in problems.items()
        },
    }
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)
