"""Authentication: Django's ModelBackend, but a signed-in user is loaded with their roles in
the same query. Every page asks for both (the navigation shows what the roles allow), and the
groups were a second query on each of them."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef

from accounts.roles import Role, remember_roles


class RoleLoadingBackend(ModelBackend):
    def get_user(self, user_id: int) -> AbstractBaseUser | None:
        user_model = get_user_model()
        memberships = user_model.groups.through.objects.filter(user_id=OuterRef("pk"))
        flags = {
            f"_in_{role.name.lower()}": Exists(memberships.filter(group__name=role.value))
            for role in Role
        }
        user = user_model._default_manager.annotate(**flags).filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_roles(user, {role for role in Role if getattr(user, f"_in_{role.name.lower()}")})
        return user
