"""Celery tasks: ids in, a plain function inside (grading/jobs.py, grading/services.py)."""

import logging
import threading

from celery import shared_task
from celery.signals import worker_process_init, worker_process_shutdown

from grading.jobs import JobOutcome, run_grading

logger = logging.getLogger(__name__)

RETRY_DELAY_S = 15


@shared_task(
    bind=True,
    name="grading.grade_submission",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=20,
)
def grade_submission(self, submission_id: int) -> str:
    outcome = run_grading(submission_id, worker=self.request.hostname or "worker")
    if outcome is JobOutcome.RETRY:
        # Another delivery holds a live claim, or the sandbox failed: look again later.
        raise self.retry(countdown=RETRY_DELAY_S)
    return outcome.value


@shared_task(name="grading.sweep_stuck_submissions")
def sweep_stuck_submissions() -> dict:
    from grading.services import sweep_stuck_submissions as sweep

    return sweep()


@worker_process_init.connect
def _start_warm_interpreter(**kwargs) -> None:
    # Each pool process gets its own warm zygote (torch imported once, forked per job),
    # started in the background: Celery counts a pool process as up only once this handler
    # returns, and kills one that is not up within worker_proc_alive_timeout (4 s), less than
    # the zygote's imports take. The first processes escape that check, but a replacement for
    # a killed one was itself killed every 4 s, leaving the worker a process short for good.
    # A job that arrives before the zygote is ready waits for it (Zygote.run takes its lock).
    threading.Thread(target=_start_default_zygote, name="zygote-start", daemon=True).start()


def _start_default_zygote() -> None:
    # If it cannot start here (not root, no cgroups), the first job retries it and reports why.
    from grading.sandbox import SandboxError, default_zygote

    try:
        default_zygote().start()
    except (SandboxError, OSError):
        logger.exception("the sandbox's warm interpreter did not start")


@worker_process_shutdown.connect
def _stop_warm_interpreter(**kwargs) -> None:
    from grading.sandbox import stop_default_zygote

    stop_default_zygote()
