"""Account changes that touch more than one row."""

from django.contrib.auth.models import User
from django.db import transaction

from accounts.forms import SignUpForm
from accounts.roles import Role, assign_role


@transaction.atomic
def register_learner(form: SignUpForm) -> User:
    user = form.save()
    assign_role(user, Role.LEARNER)
    return user
