"""`import_seeds` runs the practical tasks' reference code in the real sandbox and reports what
reading cannot decide: code that stops with an error on its own small inputs, and a printed
value that disagrees with the value its comment states."""

import json

import pytest
from django.core.management import call_command

from assessments.models import PracticalTask
from seeds.parsers import parse_seed_text
from seeds.parsers.code_checks import stated_values
from seeds.reference_runs import run_reference_code
from tests.seed_files import ALL_SEEDS, DL

pytestmark = [pytest.mark.django_db, pytest.mark.integration, pytest.mark.slow]


def test_the_import_reports_what_running_the_reference_code_finds(capsys):
    call_command("import_seeds", "--json", *map(str, ALL_SEEDS))
    data = json.loads(capsys.readouterr().out)
    found = {(w["file"], w["line"], w["code"]) for w in data["warnings"]}
    assert {
        (DL.name, 596, "reference_code_fails"),  # X.mm(w) with a 1-D w
        (DL.name, 646, "reference_output_mismatch"),  # IoU prints 0.2857, the comment ~0.1429
        (DL.name, 686, "reference_code_fails"),  # targets[:, t, :] on a 2-D tensor
    } <= found
    messages = {w["line"]: w["message"] for w in data["warnings"] if w["file"] == DL.name}
    assert "mat2 must be a matrix" in messages[596] and "X.mm(w)" in messages[596]
    assert "IndexError" in messages[686]
    mismatch = next(w for w in data["warnings"] if w["code"] == "reference_output_mismatch")
    assert "0.2857" in mismatch["message"] and "~0.1429" in mismatch["message"]
    # The tasks that needed the network were not run, so nothing is said twice about them.
    assert (DL.name, 586, "reference_code_fails") not in found
    # What the run found is kept next to the code, for instructors.
    task = PracticalTask.objects.get(source_file=DL.name, ticket__number=2)
    assert [w["code"] for w in task.run_findings] == ["reference_code_fails"]
    assert task.run_checked_at is not None
    ok = PracticalTask.objects.get(source_file=DL.name, ticket__number=5)
    assert ok.run_findings == [] and ok.run_checked_at is not None


def test_a_correct_program_with_a_correct_stated_value_finds_nothing():
    text = DL.read_text(encoding="utf-8")
    # Ticket 7's IoU program, replaced by a flattened one whose comment is right.
    start = text.index("Ответ:import torch def iou(box1, box2):")
    end = text.index("\n", start)
    flattened = "Ответ:def area(w, h): return w * h print(f'area: {area(2, 3):.2f}') # ~6.00"
    seed = parse_seed_text(DL.name, text[:start] + flattened + text[end:])
    [task] = [t for t in seed.of_kind("practical_task") if t.ticket_number == 7]
    assert [s.value for s in stated_values(task.code.restored_text)] == [6.0]
    runs = run_reference_code([seed])
    assert runs.findings[(DL.name, 7)] == []
    assert runs.findings[(DL.name, 2)][0].code == "reference_code_fails"
