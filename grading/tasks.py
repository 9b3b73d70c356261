"""Celery tasks: ids in, a plain function inside (grading/jobs.py, grading/services.py).

The row's attempt budget (GRADING_MAX_ATTEMPTS) bounds how often a job runs, whatever Celery
does: a redelivered or retried message of a job whose attempts are spent ends it as an error.
"""

import logging
import threading

from celery import shared_task
from celery.signals import (
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)
from django.conf import settings

from grading import jobs, queues, services

logger = logging.getLogger(__name__)

# Celery's own cap, above what the row's budget allows: a job another live worker holds is
# looked at again every GRADING_RETRY_DELAY_S until that worker ends or is taken for dead.
MAX_CELERY_RETRIES = 20
JOB_TASK_OPTIONS = {
    "bind": True,
    # Acknowledged once done, and given back to the queue if the pool process dies mid-job:
    # the next delivery takes the dead holder's claim over (one more attempt).
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": MAX_CELERY_RETRIES,
}


@shared_task(name=queues.GRADE_SUBMISSION_TASK, **JOB_TASK_OPTIONS)
def grade_submission(self, submission_id: int) -> str:
    outcome = jobs.run_submission(submission_id, worker=self.request.hostname or "worker")
    if outcome is jobs.JobOutcome.RETRY:
        raise self.retry(countdown=settings.GRADING_RETRY_DELAY_S)
    return outcome.value


@shared_task(name=queues.REGRADE_TASK, **JOB_TASK_OPTIONS)
def regrade_submission(self, regrade_id: int) -> str:
    outcome = jobs.run_regrade(regrade_id, worker=self.request.hostname or "worker")
    if outcome is jobs.JobOutcome.RETRY:
        raise self.retry(countdown=settings.GRADING_RETRY_DELAY_S)
    return outcome.value


@shared_task(name=queues.SWEEP_TASK)
def sweep_stuck_jobs() -> dict:
    return services.sweep_stuck_jobs()


_gpu_heartbeat: queues.GpuHeartbeat | None = None


@worker_ready.connect
def _start_gpu_heartbeat(sender=None, **kwargs) -> None:
    """A GPU worker tells the web it is online (grading/queues.py), from its main process,
    for as long as that process runs: GPU labs are sent to it only then."""
    global _gpu_heartbeat
    consumer = getattr(sender, "task_consumer", None)
    names = [queue.name for queue in getattr(consumer, "queues", None) or ()]
    if not queues.serves_gpu_jobs(names) or _gpu_heartbeat is not None:
        return
    hostname = getattr(sender, "hostname", None) or "gpu-worker"
    _gpu_heartbeat = queues.GpuHeartbeat(hostname).start()
    logger.info("%s grades GPU jobs: its heartbeat is on", hostname)


@worker_shutdown.connect
def _stop_gpu_heartbeat(**kwargs) -> None:
    global _gpu_heartbeat
    if _gpu_heartbeat is not None:
        _gpu_heartbeat.stop()
        _gpu_heartbeat = None


@worker_process_init.connect
def _start_warm_interpreter(**kwargs) -> None:
    # Each pool process gets its own warm zygote per lab environment (the environment's
    # packages imported once, forked per job), started in the background: Celery counts a pool
    # process as up only once this handler returns, and kills one that is not up within
    # worker_proc_alive_timeout (4 s), less than the zygote's imports take. The first processes
    # escape that check, but a replacement for a killed one was itself killed every 4 s,
    # leaving the worker a process short for good. A job that arrives before its zygote is
    # ready waits for it (Zygote.run takes its lock). Environments not in
    # GRADING_WARM_ENVIRONMENTS start on their first job.
    for environment in settings.GRADING_WARM_ENVIRONMENTS:
        threading.Thread(
            target=_start_default_zygote,
            args=(environment,),
            name=f"zygote-start-{environment}",
            daemon=True,
        ).start()


def _start_default_zygote(environment: str) -> None:
    # If it cannot start here (not root, no cgroups), the first job retries it and reports why.
    from grading.sandbox import SandboxError, default_zygote

    try:
        default_zygote(environment).start()
    except (SandboxError, OSError):
        logger.exception("the sandbox's warm interpreter of %s did not start", environment)


@worker_process_shutdown.connect
def _stop_warm_interpreter(**kwargs) -> None:
    from grading.sandbox import stop_default_zygote

    stop_default_zygote()
