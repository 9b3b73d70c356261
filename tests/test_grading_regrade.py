"""Regrading: stored submissions re-run through a newer judge in the lowest-priority queue,
the new result kept beside the original, asked for once however often it is asked, and
shown to the learner with the date of the change.

The session's worker grades with a catalogue in which REGRADE_LAB_SLUG is dl-07-iou with a
judge one version newer (tests/conftest.py), so the whole path runs for real: the command,
Redis, the worker, the sandbox and the judge."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from grading import queues
from grading.models import Regrade, Submission, TestResult
from grading.regrading import request_regrade
from grading.services import submit_solution
from labs.catalog import CatalogError, load_catalog, load_lab, load_lab_folder
from labs.models import Lab
from labs.sync import sync_labs
from tests.conftest import REGRADE_LAB_SLUG
from tests.factories import LearnerFactory, UserFactory

WAIT_S = 180


def reference_source() -> str:
    return (load_lab("dl-07-iou").folder / "reference.py").read_text(encoding="utf-8")


def graded(
    learner, lab: Lab, *, score: float | None = 0.5, version: int | None = 1, **fields
) -> Submission:
    """A submission as an older judge left it: graded, with one result per test."""
    fields.setdefault("source", reference_source())
    fields.setdefault("status", Submission.Status.DONE)
    submission = Submission.objects.create(
        learner=learner, lab=lab, score=score, judge_version=version,
        message="Проверка завершена.", finished_at=timezone.now(), tests_total=len(lab.tests),
        **fields,
    )  # fmt: skip
    TestResult.objects.bulk_create(
        TestResult(
            submission=submission,
            position=n,
            name=test["name"],
            title=test["title"],
            weight=test["weight"],
            passed=n % 2 == 1,
            message="старое сообщение",
        )
        for n, test in enumerate(lab.tests, start=1)
    )
    return submission


def wait_until(predicate, what: str, seconds: float = WAIT_S):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"gave up after {seconds} s waiting for {what}")


def all_final(model, **filters) -> bool:
    return not model.objects.filter(**filters).exclude(status__in=model.FINAL).exists()


@pytest.fixture
def regrade_lab(db, worker_lab_catalog) -> Lab:
    """REGRADE_LAB_SLUG as a Lab row at the worker's judge version (beside the real labs)."""
    sync_labs(load_catalog(worker_lab_catalog))
    lab = Lab.objects.get(slug=REGRADE_LAB_SLUG)
    assert lab.judge_version >= 2
    return lab


@pytest.fixture
def broker(monkeypatch):
    """What would be published, for the tests that need no worker."""
    sent: list[tuple[str, int, str]] = []
    monkeypatch.setattr(
        queues, "send_job", lambda task, job_id, queue, **kw: sent.append((task, job_id, queue))
    )
    return sent


# --- With the real worker ----------------------------------------------------------------------
@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.django_db(transaction=True)
def test_a_regrade_records_the_new_result_beside_the_original_once(
    celery_worker_process, regrade_lab, alice, client
):
    original = graded(alice, regrade_lab, score=0.5, version=regrade_lab.judge_version - 1)
    before = list(original.results.values_list("name", "passed", "message"))
    out = StringIO()
    call_command("regrade", REGRADE_LAB_SLUG, stdout=out)
    assert "queued 1" in out.getvalue()

    regrade = Regrade.objects.get(submission=original)
    wait_until(lambda: all_final(Regrade, pk=regrade.pk), "the regrade to be graded")
    regrade.refresh_from_db()
    assert regrade.status == Regrade.Status.DONE, regrade.message
    assert regrade.score == 1.0
    assert regrade.judge_version == regrade_lab.judge_version
    assert [t["name"] for t in regrade.tests] == [t["name"] for t in regrade_lab.tests]
    assert all(t["passed"] for t in regrade.tests)
    assert regrade.deliveries == 1 and regrade.finished_at is not None
    # The original result is untouched.
    original.refresh_from_db()
    assert (original.score, original.judge_version) == (0.5, regrade_lab.judge_version - 1)
    assert list(original.results.values_list("name", "passed", "message")) == before

    # Asking again queues nothing: no second row, no second run.
    again = StringIO()
    call_command("regrade", REGRADE_LAB_SLUG, stdout=again)
    assert "queued 0, 1 already regraded or queued" in again.getvalue()
    time.sleep(2)
    assert Regrade.objects.count() == 1
    assert Regrade.objects.get().deliveries == 1

    # The learner sees both, with the date of the change.
    client.force_login(alice)
    page = client.get(original.get_absolute_url()).content.decode()
    assert "Перепроверено" in page and "обновлённой проверкой: 100% (было 50%)" in page
    assert 'class="score">50%' in page  # the original grade still heads the page


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_regrades_does_not_delay_practice_submissions(
    celery_worker_process, regrade_lab
):
    """With the worker busy on a burst of regrades, practice submissions sent after the burst
    are taken as soon as a pool process is free: once they are on the broker, no regrade
    starts before the last of them, but for what the worker had already taken (with acks_late
    and a prefetch of one per process, at most its two processes' jobs). Round-robin between
    the queues (kombu's default) would take turns: about one regrade per practice job, so
    three or more regrades would overtake the four practice jobs. Measured from the moment
    the practice jobs were sent, so a slow machine sending them late does not count."""
    learners = [LearnerFactory() for _ in range(4)]
    older = regrade_lab.judge_version - 1
    for number in range(12):
        graded(learners[number % 4], regrade_lab, version=older)
    wait_until(lambda: all_final(Submission), "the worker to be idle")
    report = request_regrade(regrade_lab)
    assert len(report.queued) == 12
    # The burst is on the broker and the worker has taken its first jobs.
    wait_until(
        lambda: Regrade.objects.filter(status=Regrade.Status.RUNNING).exists(),
        "the burst to start",
    )
    # Sent together, when the transaction commits: the test is about the order the worker
    # takes queued jobs in, not about how fast this process can send them.
    with transaction.atomic():
        practice = [
            submit_solution(learner, regrade_lab, source=reference_source()) for learner in learners
        ]
    sent = timezone.now()  # the commit has published them
    wait_until(lambda: all_final(Submission), "the practice submissions to be graded")
    wait_until(lambda: all_final(Regrade), "the regrades to be graded")

    last_practice_start = max(
        Submission.objects.filter(pk__in=[s.pk for s in practice]).values_list(
            "started_at", flat=True
        )
    )
    overtaking = Regrade.objects.filter(
        started_at__gt=sent, started_at__lt=last_practice_start
    ).count()
    timeline = sorted(
        [("R", r.started_at, r.finished_at, r.worker) for r in Regrade.objects.all()]
        + [
            ("P", p.started_at, p.finished_at, p.worker)
            for p in Submission.objects.filter(pk__in=[s.pk for s in practice])
        ],
        key=lambda e: e[1],
    )
    assert overtaking <= 2, f"sent at {sent.time()}\n" + "\n".join(
        f"{k} {a.time()} {b.time()} {w}" for k, a, b, w in timeline
    )
    # Guards against a vacuous pass: regrades were still waiting when the practice jobs came.
    assert Regrade.objects.filter(started_at__gt=sent).count() >= 5
    assert set(Submission.objects.filter(pk__in=[s.pk for s in practice]).values_list(
        "status", flat=True
    )) == {Submission.Status.DONE}  # fmt: skip
    assert set(Regrade.objects.values_list("status", flat=True)) == {Regrade.Status.DONE}


# --- Without a worker ---------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_asking_twice_queues_once_and_an_errored_regrade_is_queued_again(
    broker, regrade_lab, alice
):
    older = regrade_lab.judge_version - 1
    first = graded(alice, regrade_lab, version=older)
    second = graded(alice, regrade_lab, version=None)  # graded before versions were recorded
    current = graded(alice, regrade_lab, version=regrade_lab.judge_version)  # nothing to do
    graded(alice, regrade_lab, version=older, status=Submission.Status.REJECTED, score=None)

    report = request_regrade(regrade_lab)
    assert report.candidates == 2 and len(report.queued) == 2  # v1 and "before versions"
    assert sorted(job_id for _task, job_id, _queue in broker) == sorted(report.queued)
    assert {queue for _task, _id, queue in broker} == {"labs.cpu.regrade"}
    assert {task for task, _id, _queue in broker} == {queues.REGRADE_TASK}
    assert not Regrade.objects.filter(submission=current).exists()
    assert set(Regrade.objects.values_list("submission", flat=True)) == {first.pk, second.pk}

    broker.clear()
    assert request_regrade(regrade_lab).queued == [] and broker == []
    assert Regrade.objects.count() == 2

    failed = Regrade.objects.get(submission=first)
    Regrade.objects.filter(pk=failed.pk).update(
        status=Regrade.Status.ERROR, deliveries=3, created_at=timezone.now() - timedelta(days=3)
    )
    report = request_regrade(regrade_lab)
    assert report.queued == [failed.pk] and [job_id for _t, job_id, _q in broker] == [failed.pk]
    failed.refresh_from_db()
    assert failed.status == Regrade.Status.QUEUED and failed.deliveries == 0
    assert failed.created_at > timezone.now() - timedelta(minutes=1)  # not expired at once


@pytest.mark.django_db(transaction=True)
def test_the_command_has_a_dry_run_and_a_since_date(broker, regrade_lab, alice):
    older = regrade_lab.judge_version - 1
    old = graded(alice, regrade_lab, version=older)
    Submission.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    recent = graded(alice, regrade_lab, version=older)

    out = StringIO()
    call_command("regrade", REGRADE_LAB_SLUG, "--dry-run", stdout=out)
    assert "2 submission(s) graded by an older judge; would queue 2" in out.getvalue()
    assert Regrade.objects.count() == 0 and broker == []

    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    call_command("regrade", REGRADE_LAB_SLUG, "--since", since, stdout=StringIO())
    assert list(Regrade.objects.values_list("submission", flat=True)) == [recent.pk]

    with pytest.raises(CommandError, match="no lab"):
        call_command("regrade", "no-such-lab")
    with pytest.raises(CommandError, match="--since"):
        call_command("regrade", REGRADE_LAB_SLUG, "--since", "yesterday")


@pytest.mark.django_db
def test_the_learner_sees_the_new_result_beside_the_old_one(client, alice, bob, regrade_lab):
    submission = graded(alice, regrade_lab, score=0.5)
    # Noon UTC: the same calendar day in Moscow, whatever the hour the test runs at.
    changed_on = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    Regrade.objects.create(
        submission=submission, judge_version=regrade_lab.judge_version,
        status=Regrade.Status.DONE, score=0.75, finished_at=changed_on,
        message="Проверка завершена.",
        messages={"ru": "Проверка завершена.", "en": "Grading finished."},
        tests=[{"name": "identical", "title": "Совпадающие рамки", "weight": 1, "passed": True,
                "message": "Верно.", "messages": {"en": "Correct."}, "duration_s": 0.1}],
    )  # fmt: skip
    Regrade.objects.create(  # an internal error is not news for the learner
        submission=submission, judge_version=regrade_lab.judge_version + 1,
        status=Regrade.Status.ERROR, message="сбой",
    )  # fmt: skip
    client.force_login(alice)
    page = client.get(submission.get_absolute_url()).content.decode()
    assert "Перепроверено 20 ноября 2026 г. обновлённой проверкой: 75% (было 50%)." in page
    assert 'class="score">50%' in page and "старое сообщение" in page
    assert "Результаты обновлённой проверки" in page and "Верно." in page
    assert page.count('class="regrade"') == 1

    client.post(reverse("set_language"), {"language": "en"})
    english = client.get(submission.get_absolute_url()).content.decode()
    assert "Regraded on Nov. 20, 2026 with the updated checks: 75% (was 50%)." in english
    assert "Correct." in english and "Grading finished." in english

    client.force_login(bob)
    assert client.get(submission.get_absolute_url()).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_admin_action_regrades_for_staff_with_the_permission_only(
    client, broker, regrade_lab, alice, ada, ivan
):
    submissions = [graded(alice, regrade_lab, version=regrade_lab.judge_version - 1)]
    submissions.append(graded(alice, regrade_lab, version=regrade_lab.judge_version))
    changelist = reverse("admin:grading_submission_changelist")
    action = {
        "action": "regrade_with_current_judge",
        "_selected_action": [s.pk for s in submissions],
    }

    for outsider in (alice, ivan):  # not staff: the admin site does not let them in
        client.force_login(outsider)
        response = client.post(changelist, action)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert Regrade.objects.count() == 0

    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_submission"))
    client.force_login(viewer)
    listing = client.get(changelist)
    assert listing.status_code == 200
    assert "regrade_with_current_judge" not in listing.content.decode()
    client.post(changelist, action)
    assert Regrade.objects.count() == 0

    client.force_login(ada)
    assert "regrade_with_current_judge" in client.get(changelist).content.decode()
    response = client.post(changelist, action, follow=True)
    assert response.status_code == 200
    assert list(Regrade.objects.values_list("submission", flat=True)) == [submissions[0].pk]
    assert Regrade.objects.get().requested_by == ada
    assert [queue for _task, _id, queue in broker] == ["labs.cpu.regrade"]
    assert "Поставлена в очередь 1 перепроверка." in response.content.decode()


# --- The judge version in the catalogue -------------------------------------------------------
def test_a_labs_judge_version_defaults_to_1_and_must_be_a_positive_integer(tmp_path):
    import shutil

    folder = tmp_path / "some-lab"
    shutil.copytree(load_lab("dl-07-iou").folder, folder)
    toml = (folder / "lab.toml").read_text(encoding="utf-8")
    import re

    toml = re.sub(r"(?m)^judge_version\s*=.*\n", "", toml)
    (folder / "lab.toml").write_text(toml, encoding="utf-8")
    assert load_lab_folder(folder).judge_version == 1
    for bad in ("0", "-1", '"2"', "1.5", "true"):
        (folder / "lab.toml").write_text(f"judge_version = {bad}\n" + toml, encoding="utf-8")
        with pytest.raises(CatalogError, match="judge_version"):
            load_lab_folder(folder)
    (folder / "lab.toml").write_text("judge_version = 3\n" + toml, encoding="utf-8")
    assert load_lab_folder(folder).judge_version == 3


@pytest.mark.django_db
def test_sync_labs_records_the_judge_version(worker_lab_catalog):
    sync_labs(load_catalog(worker_lab_catalog))
    versions = dict(Lab.objects.values_list("slug", "judge_version"))
    assert versions[REGRADE_LAB_SLUG] == versions["dl-07-iou"] + 1
