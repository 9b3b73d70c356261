from celery import shared_task


@shared_task(name="exams.close_expired_sessions")
def close_expired_sessions() -> int:
    from exams.sessions import close_expired_sessions as close

    return close()
