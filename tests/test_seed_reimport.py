"""Importing again changes nothing; an edited seed updates its items in place; an item gone
from its seed is retired, not deleted."""

import pytest

from assessments.models import MCQ
from courses.models import QAItem
from seeds.loader import SEED_MODELS, import_parsed, parse_paths
from tests.seed_files import ALL_SEEDS, DL, INTERVIEW, copy_with

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        model.__name__: sorted(
            model.objects.values_list("seed_key", "content_hash", "retired_at", "updated_at")
        )
        for model in SEED_MODELS
    }


def test_importing_the_same_files_again_changes_nothing():
    import_parsed(parse_paths(ALL_SEEDS))
    before = snapshot()
    report = import_parsed(parse_paths(ALL_SEEDS))
    assert not report.changed_anything
    assert report.totals()["mcq"] == {
        "new": 0,
        "changed": 0,
        "unchanged": 150,
        "retired": 0,
        "refused": 0,
    }
    assert snapshot() == before


def test_an_edited_question_is_updated_in_place(tmp_path):
    import_parsed(parse_paths(ALL_SEEDS))
    original = MCQ.objects.get(source_file=DL.name, position=1)
    edited = copy_with(
        tmp_path,
        DL,
        {
            original.question: original.question + " (уточнено)",
        },
    )
    report = import_parsed(parse_paths([edited]))
    assert report.totals()["mcq"] == {
        "new": 0,
        "changed": 1,
        "unchanged": 74,
        "retired": 0,
        "refused": 0,
    }
    updated = MCQ.objects.get(pk=original.pk)
    assert updated.question.endswith("(уточнено)")
    assert updated.options.count() == original.options.count()


def test_an_item_gone_from_its_seed_is_retired_and_comes_back_when_restored(tmp_path):
    import_parsed(parse_paths(ALL_SEEDS))
    last = QAItem.objects.get(source_file=INTERVIEW.name, number=50)
    text = INTERVIEW.read_text(encoding="utf-8")
    cut_at = text.index(last.question) - len("### 50. ")
    assert text[cut_at:].startswith("### 50. ")
    shortened = tmp_path / INTERVIEW.name
    # The title says "50 вопросов": keep it honest so only the removal is under test.
    shortened.write_text(text[:cut_at].rstrip() + "\n", encoding="utf-8")

    report = import_parsed(parse_paths([shortened]))
    assert report.totals()["qa"]["retired"] == 1
    retired = QAItem.objects.get(pk=last.pk)
    assert retired.retired_at is not None
    assert QAItem.objects.live().filter(source_file=INTERVIEW.name).count() == 49

    report = import_parsed(parse_paths([INTERVIEW]))
    assert report.totals()["qa"] == {
        "new": 0,
        "changed": 1,
        "unchanged": 49,
        "retired": 0,
        "refused": 0,
    }
    assert QAItem.objects.get(pk=last.pk).retired_at is None


def test_a_dry_run_reports_the_changes_and_writes_nothing(tmp_path):
    import_parsed(parse_paths(ALL_SEEDS))
    before = snapshot()
    original = MCQ.objects.get(source_file=DL.name, position=2)
    edited = copy_with(tmp_path, DL, {original.question: "Совсем другой вопрос?"})
    report = import_parsed(parse_paths([edited]), dry_run=True)
    assert report.dry_run
    assert report.totals()["mcq"]["changed"] == 1
    assert snapshot() == before
