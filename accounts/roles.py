"""The three roles of the platform as Django groups, and the permissions each one holds.

Learners act only on their own data, which views enforce by looking objects up through the
user (see each app's access helpers), so the Learner group needs no model permission.
Instructors read learners' records; later apps add their authoring permissions here. Admins
hold every permission and are staff, so they can use the admin site.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    LEARNER = "Learner"
    INSTRUCTOR = "Instructor"
    ADMIN = "Admin"


ROLE_LABELS = {Role.LEARNER: _("Learner"), Role.INSTRUCTOR: _("Instructor"), Role.ADMIN: _("Admin")}

ALL_PERMISSIONS = "__all__"

# "app_label.codename" for each role; a name that does not exist fails sync_roles loudly.
ROLE_PERMISSIONS: dict[Role, list[str] | str] = {
    Role.LEARNER: [],
    Role.INSTRUCTOR: [
        "auth.view_user",
        "assessments.add_quiz",
        "assessments.change_quiz",
        "assessments.view_quiz",
        "assessments.view_attempt",
        "assessments.view_mcq",
        "assessments.add_mcq",
        "assessments.change_mcq",
    ],
    Role.ADMIN: ALL_PERMISSIONS,
}


def sync_roles() -> None:
    """Create the role groups and set their permissions to exactly ROLE_PERMISSIONS."""
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        if wanted == ALL_PERMISSIONS:
            group.permissions.set(Permission.objects.all())
            continue
        permissions = []
        for dotted in wanted:
            app_label, codename = dotted.split(".", 1)
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)


def roles_of(user: AbstractBaseUser | AnonymousUser) -> frozenset[Role]:
    """The roles of a user, read once per request object and cached on it."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_platform_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = remember_roles(user, {role for role in Role if role.value in names})
    return cached


def remember_roles(user: AbstractBaseUser, groups: set[Role]) -> frozenset[Role]:
    """Cache on the user object the roles its groups give (a superuser is an admin too); the
    authentication backend reads the groups with the user."""
    roles = frozenset(groups | {Role.ADMIN} if user.is_superuser else groups)
    user._platform_roles = roles
    return roles


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def assign_role(user: AbstractBaseUser, role: Role) -> None:
    """Put a user in one role's group; admins are also staff so the admin site lets them in."""
    user.groups.add(Group.objects.get(name=role.value))
    if role is Role.ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_platform_roles", None)
