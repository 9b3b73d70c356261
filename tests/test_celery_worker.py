import pytest

from core.tasks import ping

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_job_goes_through_redis_to_a_real_worker_that_reaches_the_database(
    celery_worker_process,
):
    result = ping.delay().get(timeout=30)
    assert result["database"] == "postgresql"
    assert celery_worker_process.poll() is None
