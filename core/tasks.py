from celery import shared_task


@shared_task(name="core.ping")
def ping() -> dict:
    """A round trip through the broker that also proves the worker reaches the database:
    `celery -A config call core.ping`, and the worker fixture of the tests."""
    import socket

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"worker": socket.gethostname(), "database": connection.vendor}
