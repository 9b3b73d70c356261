"""The quiz questions a learner got wrong last time they answered them, per course."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from assessments.models import Attempt, AttemptQuestion


def wrong_mcq_ids(learner: AbstractBaseUser) -> dict[int, list[int]]:
    """course id -> MCQ ids whose latest final answer was wrong (one query)."""
    final = Q(attempt__mode=Attempt.Mode.PRACTICE) | ~Q(attempt__status=Attempt.Status.IN_PROGRESS)
    latest: dict[int, tuple] = {}
    rows = (
        AttemptQuestion.objects.filter(final, attempt__learner=learner, answered_at__isnull=False)
        .filter(mcq__retired_at__isnull=True)
        .order_by("answered_at", "id")
        .values_list("mcq_id", "mcq__course_id", "is_correct")
    )
    for mcq_id, course_id, is_correct in rows:
        latest[mcq_id] = (course_id, is_correct)
    result: dict[int, list[int]] = defaultdict(list)
    for mcq_id, (course_id, is_correct) in latest.items():
        if not is_correct:
            result[course_id].append(mcq_id)
    return dict(result)
