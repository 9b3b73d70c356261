from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.access import STAFF_ROLES, login_required, public, role_required
from accounts.forms import SignUpForm
from accounts.roles import ROLE_LABELS, Role, roles_of
from accounts.services import register_learner


@public
def too_many_attempts(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """What a throttled log-in, sign-up or password reset answers (settings.RATELIMIT_VIEW)."""
    return render(request, "429.html", status=429)


@public
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = register_learner(form)
        login(request, user, backend="accounts.backends.RoleLoadingBackend")
        messages.success(request, _("Welcome! Your learner account is ready."))
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    # No id in the URL: a user can only ever see their own profile here.
    return render(
        request,
        "accounts/profile.html",
        {
            "account": request.user,
            "account_roles": [ROLE_LABELS[role] for role in sorted(roles_of(request.user))],
        },
    )


@role_required(*STAFF_ROLES)
def learner_list(request: HttpRequest) -> HttpResponse:
    learners = (
        User.objects.filter(groups__name=Role.LEARNER.value, is_active=True)
        .order_by("username")
        .only("id", "username", "email", "date_joined", "last_login")
    )
    return render(request, "accounts/learner_list.html", {"learners": learners})


@role_required(*STAFF_ROLES)
def learner_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    learner = get_object_or_404(User, id=user_id, groups__name=Role.LEARNER.value)
    return render(request, "accounts/learner_detail.html", {"learner": learner})
