"""Queue tiers: one routing function for every job, workers that list the tiers in priority
order, and a broker told to respect that order (checked against kombu's own Redis transport
and the filesystem broker of `make run`)."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.transport import redis as kombu_redis
from kombu.utils.scheduling import cycle_by_name, priority_cycle

from core.launcher import child_commands
from grading.queues import Tier, lab_queue, worker_queues
from tests.test_grading_reliability import own_redis


def test_one_function_routes_every_tier_of_every_device():
    assert [lab_queue("cpu", tier) for tier in Tier] == [
        "labs.cpu.exam",
        "labs.cpu",
        "labs.cpu.regrade",
    ]
    assert lab_queue("gpu", "regrade") == "labs.gpu.regrade"
    assert lab_queue("gpu") == "labs.gpu"
    with pytest.raises(ValueError):
        lab_queue("cpu", "urgent")
    with pytest.raises(KeyError):
        lab_queue("tpu")


def test_workers_list_exams_then_practice_then_regrades():
    assert worker_queues(["cpu"]) == ["default", "labs.cpu.exam", "labs.cpu", "labs.cpu.regrade"]
    everything = worker_queues()
    assert everything.index("labs.gpu.exam") < everything.index("labs.cpu")
    assert everything.index("labs.gpu") < everything.index("labs.cpu.regrade")
    assert set(everything) == {"default"} | {
        lab_queue(device, tier) for device in settings.LAB_QUEUES for tier in Tier
    }


def test_make_runs_worker_listens_to_every_tier():
    worker = next(command for command in child_commands("127.0.0.1", 8000) if "celery" in command)
    assert worker[worker.index("--queues") + 1] == ",".join(worker_queues())


def test_the_redis_transport_is_told_to_read_queues_in_the_workers_order():
    # The option is one kombu's Redis channel takes from the transport options, and its name
    # resolves to the cycle that keeps the order instead of rotating the last used queue.
    assert "queue_order_strategy" in kombu_redis.Channel.from_transport_options
    assert cycle_by_name("priority") is priority_cycle
    assert settings.CELERY_BROKER_URL.startswith("redis")  # make test's broker
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["queue_order_strategy"] == "priority"


def publish_and_consume(connection: Connection, publish_to: list[str], listen: list[str]) -> list:
    # An exchange of this call's own: kombu's virtual transports (the filesystem one) keep
    # their exchange tables per process, and other tests declare exchanges named as queues.
    exchange = Exchange(f"tiers-{uuid.uuid4().hex}", "direct")
    queues = {name: Queue(name, exchange, routing_key=name) for name in listen}
    received: list[str] = []
    with connection.channel() as channel:
        producer = Producer(channel)
        for name in publish_to:
            producer.publish(
                {"queue": name}, exchange=queues[name].exchange, routing_key=name,
                declare=[queues[name]],
            )  # fmt: skip

        def on_message(body, message):
            received.append(body["queue"])
            message.ack()

        with Consumer(channel, [queues[name] for name in listen], callbacks=[on_message]):
            channel.basic_qos(0, 1, False)
            for _ in publish_to:
                connection.drain_events(timeout=10)
    return received


@pytest.mark.integration
def test_redis_hands_out_every_practice_job_before_a_regrade_sent_earlier(tmp_path):
    """With the project's transport options (round-robin, kombu's default, would give
    exam, practice, regrade, practice, regrade)."""
    listen = worker_queues(["cpu"], default=False)
    with own_redis(tmp_path) as (port, _servers):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        with Connection(f"redis://127.0.0.1:{port}/0", transport_options=options) as connection:
            publish_to = ["labs.cpu.regrade"] * 2 + ["labs.cpu"] * 2 + ["labs.cpu.exam"]
            received = publish_and_consume(connection, publish_to, listen)
    assert received == ["labs.cpu.exam"] + ["labs.cpu"] * 2 + ["labs.cpu.regrade"] * 2


def test_the_filesystem_broker_of_make_run_serves_every_tier(tmp_path):
    folder = tmp_path / "broker"
    (folder / "control").mkdir(parents=True)
    (folder / "processed").mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(folder / "control"),
        # Taken messages go to the test's own folder, not to the machine's /tmp.
        "store_processed": True,
        "processed_folder": str(folder / "processed"),
    }
    listen = worker_queues(["cpu"], default=False)
    with Connection("filesystem://", transport_options=options) as connection:
        received = publish_and_consume(connection, list(reversed(listen)), listen)
    # No priority there (kombu's virtual transports take turns), but nothing is left behind.
    assert sorted(received) == sorted(listen)
