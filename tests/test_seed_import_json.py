import json

import pytest
from django.core.management import call_command

from assessments.models import ExamTicket
from tests.seed_files import ALL_SEEDS, MLE

pytestmark = pytest.mark.django_db

REQUIRED_KINDS = {
    "qa", "mcq", "ticket", "ticket_theory_question", "practical_task", "case", "roleplay",
    "mindmap", "literature", "related_course", "outcome", "syllabus_topic",
}  # fmt: skip


def run_json(capsys, *args) -> dict:
    call_command("import_seeds", "--json", "--no-run-code", *args)
    return json.loads(capsys.readouterr().out)


def test_it_prints_counts_per_file_under_the_agreed_kind_names(capsys):
    data = run_json(capsys, *map(str, ALL_SEEDS))
    mle = data["files"][MLE.name]["counts"]
    assert set(mle) >= REQUIRED_KINDS
    assert mle["ticket"] == 5
    assert mle["practical_task"] == 5
    assert mle["mcq"] == 75
    assert data["files"]["002_bac1e50e9b8a78e7.txt"]["counts"] == {"qa": 13, "qa_collection": 1}
    assert all({"file", "line", "code", "message"} <= set(w) for w in data["warnings"])
    telegram = data["files"]["002_bac1e50e9b8a78e7.txt"]
    assert telegram["reactions"]["posts"] == 12
    assert telegram["reactions"]["by_emoji"]["👍"] == 122
    counts = data["warning_counts"]
    assert counts["malformed_reactions"] == 1
    assert counts["bullet_glued"] == 4
    assert counts["mcq_negated_twin"] == 1
    assert counts["block_end_guessed"] == 20
    assert data["dry_run"] is False


def test_a_json_dry_run_writes_nothing(capsys):
    data = run_json(capsys, "--dry-run", str(MLE))
    assert data["dry_run"] is True
    assert data["totals"]["ticket"]["new"] == 5
    assert ExamTicket.objects.count() == 0
