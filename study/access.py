"""The one place where study objects are looked up for a user: anyone else's is a 404."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, User
from django.shortcuts import get_object_or_404

from accounts.roles import Role


def get_learner_for_staff(user_id: int) -> AbstractBaseUser:
    """A learner whose study an instructor may look at."""
    return get_object_or_404(User, pk=user_id, groups__name=Role.LEARNER.value)
