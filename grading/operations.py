"""What an operator needs to see about grading: workers online per queue, the jobs waiting in
each queue, and recent failures. Plain functions; the admin's operations page shows them.

The page is for when something is wrong, so a broker that does not answer is reported as
"unknown" (None), never as an error page. Each function asks the broker the app uses unless
given a ``connection`` (a kombu connection to another broker).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import F
from kombu import Connection
from kombu.exceptions import ChannelError, OperationalError

from config.celery import app as celery_app
from grading.models import Submission

logger = logging.getLogger(__name__)

# Errors that mean "the broker cannot be reached or read", not a bug of ours.
BROKER_ERRORS = (OperationalError, ConnectionError, OSError, TimeoutError)
# A broker that is down is not retried: the page must answer within a second or two.
CONNECT_RETRIES = 0


def configured_queues() -> list[str]:
    """The queues grading uses: Celery's default one and one per lab device."""
    return ["default", *settings.LAB_QUEUES.values()]


def workers_by_queue(
    timeout: float = 1.0, connection: Connection | None = None
) -> dict[str, list[str]] | None:
    """The hostnames of the workers that answered within ``timeout`` seconds, by the queue
    they consume; every configured queue is present, with [] if no worker consumes it.
    None if the broker cannot be reached."""
    by_queue: dict[str, list[str]] = {name: [] for name in configured_queues()}
    try:
        with _connection(connection) as conn:
            replies = celery_app.control.inspect(timeout=timeout, connection=conn).active_queues()
    except BROKER_ERRORS as error:
        logger.warning("the broker did not answer the workers' inspection: %s", error)
        return None
    for hostname, queues in (replies or {}).items():
        for queue in queues or []:
            by_queue.setdefault(queue["name"], []).append(hostname)
    return {name: sorted(hosts) for name, hosts in by_queue.items()}


def queue_lengths(connection: Connection | None = None) -> dict[str, int | None]:
    """Messages waiting in each configured queue (not those a worker has taken and not yet
    acknowledged); None for a queue whose length the broker could not give.

    A passive declare asks the transport for the count: on Redis the LLEN of the queue's
    lists (one per priority step), on the filesystem broker the message files of that queue.
    """
    lengths: dict[str, int | None] = {}
    try:
        with _connection(connection) as conn:
            channel = conn.default_channel
            for name in configured_queues():
                try:
                    lengths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except ChannelError:
                    lengths[name] = 0  # Redis keeps no empty queue: nothing is waiting
    except BROKER_ERRORS as error:
        logger.warning("the broker did not answer the queue lengths: %s", error)
    return {name: lengths.get(name) for name in configured_queues()}


def recent_failures(limit: int = 20) -> list[Submission]:
    """The latest submissions that failed to run or timed out, newest first, with their
    messages; the learners' code and outputs are left in the database."""
    return list(
        Submission.objects.filter(
            status__in=[Submission.Status.FAILED, Submission.Status.TIMED_OUT]
        )
        .select_related("lab", "learner")
        .defer("source", "notebook", "stdout", "stderr")
        .order_by(F("finished_at").desc(nulls_last=True), "-pk")[:limit]
    )


def _connection(connection: Connection | None) -> Connection:
    """A fresh connection to the given broker or the app's, that fails at once if it is down."""
    conn = connection.clone() if connection is not None else celery_app.connection_for_read()
    conn.ensure_connection(max_retries=CONNECT_RETRIES)
    return conn
