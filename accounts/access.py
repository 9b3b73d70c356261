"""Every view declares who may see it with one of these decorators; a test walks the URL
configuration and fails for a view that declares nothing.

Behind them, LoginRequiredMiddleware (accounts/middleware.py) makes every view private unless
it says otherwise, so a view that forgets its decorator is still closed to anonymous visitors.

- `public`: anyone, signed in or not (the only way to open a view to anonymous visitors).
- `login_required`: any signed-in user (a learner sees only their own data there).
- `role_required(Role.INSTRUCTOR, ...)`: signed-in users holding one of the roles; others get
  403, anonymous visitors go to the log-in page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.decorators import login_required as django_login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from accounts.roles import Role, has_role

ACCESS_ATTRIBUTE = "access"


def public(view: Callable) -> Callable:
    view = login_not_required(view)
    setattr(view, ACCESS_ATTRIBUTE, "public")
    return view


def login_required(view: Callable) -> Callable:
    wrapped = django_login_required(view)
    setattr(wrapped, ACCESS_ATTRIBUTE, "authenticated")
    return wrapped


def role_required(*roles: Role) -> Callable[[Callable], Callable]:
    if not roles:
        raise ValueError("role_required needs at least one role")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        setattr(guarded, ACCESS_ATTRIBUTE, "roles:" + ",".join(sorted(roles)))
        return guarded

    return decorator


STAFF_ROLES = (Role.INSTRUCTOR, Role.ADMIN)
