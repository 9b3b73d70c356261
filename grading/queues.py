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

GPU labs (lab.toml's ``device = "gpu"``) go to the ``labs.gpu`` queues only while a GPU worker
is online, and to the CPU queues otherwise (every lab must pass on CPU): ``route_device``
decides when a job is sent, and the job's row keeps the answer (``GradingJob.device``). A GPU
worker says it is online by a heartbeat in the shared cache (``gpu_heartbeat``): a key it
rewrites every GRADING_GPU_HEARTBEAT_S seconds from its main process, which expires three
beats after the worker stops (at once when it shuts down cleanly). Reading it is one cache
get, on the page request that submits; no broadcast to the workers, no wait for replies.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
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


# --- Where a GPU lab's job goes: the GPU queues while a GPU worker is online ------------------
GPU_HEARTBEAT_KEY = "grading:gpu-worker-online"
HEARTBEAT_MISSES = 3  # the key lives this many beats: a late beat or two does not count


def worker_device() -> str:
    """The device of this worker's jobs as a lab names it: "gpu" on GPU nodes, else "cpu"."""
    return "gpu" if settings.GRADING_DEVICE == "cuda" else "cpu"


def serves_gpu_jobs(queue_names: Iterable[str]) -> bool:
    """Whether a worker consuming ``queue_names`` grades GPU jobs on a GPU: a worker of a GPU
    node (GRADING_DEVICE=cuda) that reads at least one of the labs.gpu queues. `make run`'s
    single CPU worker reads the GPU queues too, but is no GPU worker."""
    gpu_queues = {lab_queue("gpu", tier) for tier in Tier}
    return worker_device() == "gpu" and bool(gpu_queues & set(queue_names))


def record_gpu_heartbeat(worker: str) -> None:
    timeout = HEARTBEAT_MISSES * settings.GRADING_GPU_HEARTBEAT_S
    cache.set(GPU_HEARTBEAT_KEY, worker, timeout=timeout)


def clear_gpu_heartbeat(worker: str) -> None:
    """A GPU worker shutting down cleanly: the key goes at once unless another GPU worker has
    written it since (it rewrites it within a beat anyway)."""
    try:
        if cache.get(GPU_HEARTBEAT_KEY) == worker:
            cache.delete(GPU_HEARTBEAT_KEY)
    except Exception:  # the key expires by itself
        logger.warning("the GPU worker's heartbeat could not be cleared", exc_info=True)


def gpu_worker_beating() -> str | None:
    """The name of the GPU worker that beat last, while its heartbeat lasts; else None. A
    cache that does not answer counts as "none": GPU labs then go to the CPU queues, where
    they are graded anyway."""
    try:
        worker = cache.get(GPU_HEARTBEAT_KEY)
    except Exception:  # any cache failure: fall back to the CPU
        logger.warning("the GPU heartbeat could not be read: routing to the CPU", exc_info=True)
        return None
    return str(worker) if worker is not None else None


def gpu_worker_online() -> bool:
    """Whether some GPU worker has beaten within its last few beats."""
    return gpu_worker_beating() is not None


def route_device(lab_device: str) -> str:
    """The queues' device for a job of a lab that needs ``lab_device``: a GPU lab goes to the
    GPU queues while a GPU worker is online, to the CPU queues otherwise; a CPU lab to the
    CPU queues."""
    return "gpu" if lab_device == "gpu" and gpu_worker_online() else "cpu"


class GpuHeartbeat:
    """The thread of a GPU worker's main process that keeps its heartbeat fresh."""

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gpu-heartbeat", daemon=True)

    def start(self) -> GpuHeartbeat:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                record_gpu_heartbeat(self.worker)
            except Exception:  # try again at the next beat
                logger.warning("the GPU worker's heartbeat was not written", exc_info=True)
            self._stop.wait(settings.GRADING_GPU_HEARTBEAT_S)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        clear_gpu_heartbeat(self.worker)


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
