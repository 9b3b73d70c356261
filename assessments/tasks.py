"""Periodic work of quizzes; the logic lives in services so it is testable without a broker."""

from celery import shared_task

from assessments import services


@shared_task(name="assessments.tasks.close_expired_attempts")
def close_expired_attempts() -> int:
    return services.close_expired_attempts()
