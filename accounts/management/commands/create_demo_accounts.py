"""Demo accounts for the three roles, for a local start; refused in production."""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.roles import Role, assign_role

DEMO_ACCOUNTS = [
    ("learner", "learner-demo-pass", Role.LEARNER),
    ("instructor", "instructor-demo-pass", Role.INSTRUCTOR),
    ("admin", "admin-demo-pass", Role.ADMIN),
]


class Command(BaseCommand):
    help = "Create (or reset) demo accounts for the learner, instructor and admin roles."

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo accounts with known passwords are not created in production.")
        with transaction.atomic():
            for username, password, role in DEMO_ACCOUNTS:
                user, _ = User.objects.get_or_create(
                    username=username, defaults={"email": f"{username}@example.com"}
                )
                user.set_password(password)
                user.save()
                assign_role(user, role)
        self.stdout.write("Demo accounts (log in at /accounts/login/):")
        for username, password, role in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role.value:<11} {username} / {password}")
