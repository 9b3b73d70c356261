"""Grading messages read in the viewer's language: what grading itself writes is stored in
every language of the site, what the engine gives in several languages is stored as given,
and a message known only in Russian falls back to it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from grading import services
from grading.engine import GradeResult, TestOutcome
from grading.models import Submission, TestResult, message_in
from grading.services import RateLimited, Upload, check_rate_limit, submit_solution
from labs.models import Lab
from labs.sync import sync_labs

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab(db) -> Lab:
    sync_labs()
    return Lab.objects.get(slug="dl-07-iou")


def english(client) -> None:
    client.post(reverse("set_language"), {"language": "en"})


def test_a_message_falls_back_to_the_russian_one():
    messages = {"ru": "Верно.", "en": "Correct."}
    assert message_in("Верно.", messages, "en") == "Correct."
    assert message_in("Верно.", messages, "en-us") == "Correct."
    assert message_in("Верно.", {}, "en") == "Верно."
    assert message_in("Верно.", {"en": ""}, "en") == "Верно."
    assert message_in("Верно.", None, None) == "Верно."


def test_a_rejected_file_reads_in_the_viewers_language(client, alice, lab):
    upload = Upload("solution.py", "# решение\n".encode("cp1251"))
    with translation.override("en"):  # whatever the writer's language, both are stored
        submission = submit_solution(alice, lab, upload=upload)
    assert submission.message.startswith("Файл не в кодировке UTF-8 (строка 1)")
    assert submission.messages["en"].startswith("The file is not in UTF-8 (line 1)")
    client.force_login(alice)
    assert "Файл не в кодировке UTF-8" in client.get(submission.get_absolute_url()).text
    english(client)
    page = client.get(submission.get_absolute_url()).text
    assert "The file is not in UTF-8 (line 1). Save it as UTF-8." in page
    assert "Файл не в кодировке" not in page


def test_an_empty_solution_is_rejected_in_both_languages(alice, lab):
    submission = submit_solution(alice, lab, source="   ")
    assert submission.status == Submission.Status.REJECTED
    assert submission.messages == {"ru": "Решение пустое.", "en": "The solution is empty."}


def test_the_rate_limit_speaks_the_requests_language_with_plurals(alice, lab, settings):
    settings.GRADING_MAX_ACTIVE_PER_LEARNER = 2
    for _ in range(2):
        Submission.objects.create(learner=alice, lab=lab, source="x = 1")
    with pytest.raises(RateLimited, match="У вас уже 2 решения в очереди"):
        check_rate_limit(alice)
    with translation.override("en"), pytest.raises(RateLimited, match="2 submissions in"):
        check_rate_limit(alice)
    settings.GRADING_MAX_ACTIVE_PER_LEARNER = 5
    for _ in range(3):
        Submission.objects.create(learner=alice, lab=lab, source="x = 1")
    with pytest.raises(RateLimited, match="У вас уже 5 решений в очереди"):
        check_rate_limit(alice)


def outcome(name: str, message: str, **languages: str) -> TestOutcome:
    test = TestOutcome(name=name, title=name, weight=1.0, passed=False, message=message)
    if languages:
        test.messages = dict(languages)  # what the engine adds for other languages
    return test


def test_results_the_engine_gives_in_several_languages_are_stored_and_shown(client, alice, lab):
    submission = Submission.objects.create(learner=alice, lab=lab, source="x = 1")
    claim = services.claim_job(Submission, submission.pk, "w|h|1", wall_s=10)
    tests = [
        outcome("identical", "Ожидалось 1.0.", en="Expected 1.0."),
        outcome("disjoint", "Только по-русски."),
        outcome("touching", "Касание."),
    ]
    tests[2].message_en = "Touching."  # the other shape the engine may use
    result = GradeResult(status="done", score=0.0, tests=tests, message="Проверка завершена.")
    result.messages = {"en": "Grading finished."}
    assert services.record_result(submission.pk, claim, result, judge_version=1)

    submission.refresh_from_db()
    assert submission.messages == {"ru": "Проверка завершена.", "en": "Grading finished."}
    assert submission.judge_version == 1
    stored = {r.name: r.messages for r in TestResult.objects.filter(submission=submission)}
    assert stored == {
        "identical": {"ru": "Ожидалось 1.0.", "en": "Expected 1.0."},
        "disjoint": {},
        "touching": {"ru": "Касание.", "en": "Touching."},
    }

    client.force_login(alice)
    page = client.get(submission.get_absolute_url()).text
    assert "Ожидалось 1.0." in page and "Проверка завершена." in page
    english(client)
    page = client.get(submission.get_absolute_url()).text
    assert "Expected 1.0." in page and "Grading finished." in page and "Touching." in page
    assert "Только по-русски." in page  # no English given: the Russian one, not nothing
    assert "Ожидалось 1.0." not in page
