"""The one place where a submission is looked up for a user: learners see only their own,
instructors and admins see all; anyone else gets a 404, not a hint that it exists."""

from django.contrib.auth.models import AbstractBaseUser
from django.shortcuts import get_object_or_404

from accounts.access import STAFF_ROLES
from accounts.roles import has_role
from grading.models import Submission


def get_submission_for_user(user: AbstractBaseUser, submission_id: int) -> Submission:
    submissions = Submission.objects.select_related("lab", "learner")
    if not has_role(user, *STAFF_ROLES):
        submissions = submissions.filter(learner=user)
    return get_object_or_404(submissions, pk=submission_id)
