"""The one place where quiz objects are looked up for a user: anyone else's object is a 404."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404
from django.shortcuts import get_object_or_404

from assessments.models import Attempt, Quiz
from assessments.services import close_if_expired


def get_attempt_for_learner(user: AbstractBaseUser, attempt_id: int) -> Attempt:
    """The user's own attempt, closed first if its deadline passed while nobody looked."""
    attempt = (
        Attempt.objects.select_related("course", "quiz").filter(pk=attempt_id, learner=user).first()
    )
    if attempt is None:
        raise Http404("no such attempt")
    return close_if_expired(attempt)


def get_quiz_for_learner(quiz_id: int) -> Quiz:
    """A published quiz; drafts do not exist for learners."""
    return get_object_or_404(Quiz.objects.select_related("course"), pk=quiz_id, is_published=True)


def get_quiz_for_staff(quiz_id: int) -> Quiz:
    return get_object_or_404(Quiz.objects.select_related("course"), pk=quiz_id)
