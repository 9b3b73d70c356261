"""Where grading jobs go: the one routing function, and the one place that publishes them.

For each device d of a lab ("cpu", "gpu") there are three queues, one per tier:

- ``labs.<d>.exam``: exam submissions (highest);
- ``labs.<d>``: practice submissions;
- ``labs.<d>.regrade``: re-runs of stored submissions through a newer judge (lowest).

Workers list the queues in that order and Redis is told to respect it
(``queue_order_strategy: "priority"`` in CELERY_BROKER_TRANSPORT_OPTIONS): kombu's BRPOP then
names the queues in the worker's order and Redis pops from the first one that holds a message,
so a regrade runs only when no exam or practice job is waiting. (The filesystem broker of
`make run` reads its queues round-robin: every tier is still served.)

Jobs are published by task name, so nothing here imports the tasks: views -> services -> queues
on one side, tasks -> jobs -> services / engine on the other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from enum import StrEnum

from django.conf import settings
from kombu import Connection
from kombu.exceptions import ChannelError, OperationalError

from config.celery import app as celery_app

logger = logging.getLogger(__name__)

GRADE_SUBMISSION_TASK = "grading.grade_submission"
REGRADE_TASK = "grading.regrade_submission"
SWEEP_TASK = "grading.sweep_stuck_jobs"
# Celery's own queue: the sweeper and pings. Workers read it first, as its tasks are short.
DEFAULT_QUEUE = "default"
# Errors that mean "the broker cannot be reached or read", not a bug of ours.
BROKER_ERRORS = (OperationalError, ConnectionError, OSError, TimeoutError)


class Tier(StrEnum):
    EXAM = "exam"
    PRACTICE = "practice"
    REGRADE = "regrade"


TIERS_IN_ORDER = (Tier.EXAM, Tier.PRACTICE, Tier.REGRADE)


def lab_queue(device: str, tier: Tier | str = Tier.PRACTICE) -> str:
    """The queue of a job of ``tier`` for a lab that needs ``device`` ("cpu" or "gpu")."""
    base = settings.LAB_QUEUES[device]
    tier = Tier(tier)
    return base if tier is Tier.PRACTICE else f"{base}.{tier}"


def worker_queues(devices: Iterable[str] | None = None, *, default: bool = True) -> list[str]:
    """The queues a worker of ``devices`` consumes, in the order it must prefer them: Celery's
    default queue, then every exam queue, every practice queue, every regrade queue."""
    devices = list(devices if devices is not None else settings.LAB_QUEUES)
    lab_queues = [lab_queue(device, tier) for tier in TIERS_IN_ORDER for device in devices]
    return [DEFAULT_QUEUE, *lab_queues] if default else lab_queues


def send_job(task_name: str, job_id: int, queue: str, *, time_limit_s: float) -> None:
    """Publish one grading job. ``time_limit_s``: past it Celery kills the pool process that
    runs the job (a trusted side that hangs); the job's row then goes through the sweeper."""
    celery_app.send_task(
        task_name, args=[job_id], queue=queue, time_limit=time_limit_s, soft_time_limit=None
    )


def queue_lengths(
    names: Iterable[str], connection: Connection | None = None, *, retries: int = 0
) -> dict[str, int | None]:
    """Messages waiting in each queue (not those a worker holds); None where the broker did
    not answer. A passive declare asks the transport for the count: on Redis the length of the
    queue's lists, on the filesystem broker the message files of that queue."""
    names = list(names)
    lengths: dict[str, int | None] = {}
    conn = connection.clone() if connection is not None else celery_app.connection_for_read()
    try:
        with conn:
            conn.ensure_connection(max_retries=retries)
            channel = conn.default_channel
            for name in names:
                try:
                    lengths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except ChannelError:
                    lengths[name] = 0  # Redis keeps no empty queue: nothing is waiting
    except BROKER_ERRORS as error:
        logger.warning("the broker did not answer the queue lengths: %s", error)
    return {name: lengths.get(name) for name in names}
