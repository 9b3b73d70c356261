from django.http import HttpRequest

from accounts.roles import Role, roles_of


def roles(request: HttpRequest) -> dict:
    """Role flags for the navigation: one query for the user's groups, cached on the user."""
    user_roles = roles_of(request.user) if hasattr(request, "user") else frozenset()
    return {
        "is_learner": Role.LEARNER in user_roles,
        "is_instructor": Role.INSTRUCTOR in user_roles or Role.ADMIN in user_roles,
        "is_platform_admin": Role.ADMIN in user_roles,
    }
