"""Liveness of what the site depends on: the database and the Celery broker."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import connection


def database_problem() -> str | None:
    """None when the database answers a trivial query, else what went wrong."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver error means "down"; the message says which
        connection.close()
        return f"{type(error).__name__}: {error}".strip()
    return None


def broker_problem(timeout_s: float = 2.0) -> str | None:
    """None when the broker accepts a connection within timeout_s, else what went wrong."""
    from kombu import Connection

    ensure_broker_folders()
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=timeout_s,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout_s)
            # A redis connection is lazy: make one real round trip.
            channel = conn.default_channel
            client = getattr(channel, "client", None)
            if client is not None and hasattr(client, "ping"):
                client.ping()
    except Exception as error:
        return f"{type(error).__name__}: {error}".strip()
    return None


def ensure_broker_folders() -> None:
    """The filesystem transport expects its folders to exist."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if key in options:
            Path(options[key]).mkdir(parents=True, exist_ok=True)
