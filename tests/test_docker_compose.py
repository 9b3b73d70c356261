"""Docker cannot run here, so the compose file is checked by reading it: every command it names
exists in the project, and each service has what production needs."""

import importlib
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

from grading.queues import Tier, lab_queue, worker_queues

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"
APP_SERVICES = {"migrate", "datasets", "web", "beat", "worker-cpu", "worker-gpu"}
ONE_SHOT_SERVICES = {"migrate", "datasets"}


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def as_argv(command) -> list[str]:
    return command if isinstance(command, list) else shlex.split(command)


def test_it_defines_every_production_service(services):
    assert set(services) >= {"postgres", "redis", *APP_SERVICES}


def test_every_long_running_service_restarts_and_has_a_health_check(services):
    for name, service in services.items():
        if name in ONE_SHOT_SERVICES:
            assert service["restart"] == "no"
            continue
        assert service.get("restart") == "unless-stopped", name
        assert service.get("healthcheck", {}).get("test"), name


def test_workers_start_after_the_run_view_of_the_dataset_store_is_built(services):
    assert services["datasets"]["command"][-2:] == ["provision_datasets", "--run-view"]
    assert "datasets:/data/datasets" in services["datasets"]["volumes"]  # writable there only
    for name in ("worker-cpu", "worker-gpu"):
        assert "datasets:/data/datasets:ro" in services[name]["volumes"], name
        depends = services[name]["depends_on"]["datasets"]
        assert depends["condition"] == "service_completed_successfully", name


def test_app_services_build_from_the_projects_dockerfile(services):
    for name in APP_SERVICES:
        assert services[name]["build"] == ".", name
    assert (COMPOSE.parent / "Dockerfile").exists()


def test_every_manage_py_command_exists(services):
    available = get_commands()
    for name in APP_SERVICES:
        argv = as_argv(services[name]["command"])
        if "manage.py" in argv:
            command = argv[argv.index("manage.py") + 1]
            assert command in available, f"{name}: manage.py {command}"


def test_gunicorn_serves_an_application_that_exists(services):
    argv = as_argv(services["web"]["command"])
    assert argv[0] == "gunicorn"
    module_name, attribute = argv[1].split(":")
    assert callable(getattr(importlib.import_module(module_name), attribute))


def test_the_web_bench_serves_with_the_threads_compose_gives_the_site(services, monkeypatch):
    monkeypatch.delenv("BENCH_WEB_THREADS", raising=False)
    import bench.web

    argv = as_argv(services["web"]["command"])
    assert int(argv[argv.index("--threads") + 1]) == importlib.reload(bench.web).THREADS
    assert services["web"]["environment"]["WEB_CONCURRENCY"] == "${WEB_CONCURRENCY:-3}"


def celery_argv(service: dict) -> list[str]:
    argv = as_argv(service["command"])
    assert argv[:3] == ["celery", "-A", "config"]
    assert importlib.import_module("config.celery").app.main == "platform"
    return argv


def queues_of(service: dict) -> list[str]:
    argv = celery_argv(service)
    assert argv[3] == "worker"
    return argv[argv.index("--queues") + 1].split(",")


def test_the_workers_consume_every_tier_of_their_device_in_priority_order(services):
    # The order matters: with Redis's "priority" queue order a worker takes a job from the
    # first of its queues that holds one (exam, then practice, then regrade).
    assert queues_of(services["worker-cpu"]) == worker_queues(["cpu"])
    assert queues_of(services["worker-gpu"]) == worker_queues(["gpu"], default=False)
    assert queues_of(services["worker-cpu"])[1:] == [
        lab_queue("cpu", Tier.EXAM),
        lab_queue("cpu", Tier.PRACTICE),
        lab_queue("cpu", Tier.REGRADE),
    ]


def test_beat_runs_the_projects_celery_app(services):
    assert celery_argv(services["beat"])[3] == "beat"


def test_the_gpu_worker_reserves_an_nvidia_gpu_and_grades_on_cuda(services):
    devices = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert any(d["driver"] == "nvidia" and "gpu" in d["capabilities"] for d in devices)
    assert services["worker-gpu"]["environment"]["GRADING_DEVICE"] == "cuda"


def test_production_settings_come_from_the_environment(services):
    env = services["web"]["environment"]
    assert env["PLATFORM_ENV"] == "production"
    for variable in ("SECRET_KEY", "ALLOWED_HOSTS"):
        assert env[variable].startswith("${" + variable + ":?"), variable
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:")
    assert "@postgres:5432/" in env["DATABASE_URL"]


def test_state_lives_in_named_volumes(services):
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redisdata:/data" in services["redis"]["volumes"]
    assert "--appendonly" in as_argv(services["redis"]["command"])


def test_production_services_share_a_redis_cache(services):
    # Production refuses to start without CACHE_URL: the throttles need a shared counter.
    for name in APP_SERVICES:
        assert services[name]["environment"]["CACHE_URL"].startswith("redis://redis:"), name


def test_every_worker_can_serve_every_lab_environment(services):
    """Both workers grade labs of every environment (the image installs them all); a worker
    may start only some warm (the GPU worker: torch), the rest start on their first job."""
    from django.conf import settings

    dockerfile = (COMPOSE.parent / "Dockerfile").read_text()
    assert "'.[worker,mle]'" in dockerfile
    for name in ("worker-cpu", "worker-gpu"):
        warm = services[name].get("environment", {}).get("GRADING_WARM_ENVIRONMENTS")
        if warm is not None:
            assert set(warm.split(",")) <= set(settings.LAB_ENVIRONMENTS), name
    assert services["worker-gpu"]["environment"]["GRADING_WARM_ENVIRONMENTS"] == "torch"
