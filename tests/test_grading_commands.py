import json

import pytest
from django.core.management import call_command

from labs.catalog import load_catalog, load_lab

# Labs read the session's generated datasets, as a worker reads its store.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("generated_datasets")]


def run_json(capsys, *args) -> dict:
    call_command(*args, "--json")
    return json.loads(capsys.readouterr().out)


def test_grade_prints_the_agreed_json_for_a_reference_solution(capsys):
    lab = load_lab("dl-07-iou")
    data = run_json(capsys, "grade", "dl-07-iou", str(lab.folder / "reference.py"))
    assert data["status"] == "done"
    assert data["score"] == 1.0
    assert [t["name"] for t in data["tests"]] == [t.name for t in lab.tests]
    assert all(set(t) == {"name", "weight", "passed", "message"} for t in data["tests"])
    assert all(t["passed"] for t in data["tests"])


@pytest.mark.parametrize("slug", [lab.slug for lab in load_catalog()])
def test_grade_works_for_every_lab_of_the_catalogue(capsys, tmp_path, slug):
    # The starter: a full grading of each lab (run step, clean check step, judge) that ends
    # quickly, because it trains nothing; the references are graded by the catalogue tests.
    lab = load_lab(slug)
    starter = tmp_path / "solution.py"
    starter.write_text(lab.starter_code, encoding="utf-8")
    data = run_json(capsys, "grade", slug, str(starter))
    assert data["status"] == "done", data.get("message")
    assert data["score"] == 0
    assert [t["name"] for t in data["tests"]] == [t.name for t in lab.tests]
    assert all(t["message"] for t in data["tests"])


def test_grade_reports_a_file_that_is_not_utf8_as_rejected(capsys, tmp_path):
    bad = tmp_path / "solution.py"
    bad.write_bytes("# решение\n".encode("cp1251"))
    data = run_json(capsys, "grade", "dl-07-iou", str(bad))
    assert data["status"] == "rejected"
    assert "UTF-8" in data["message"]


def test_sandbox_run_reports_a_refused_connection_and_the_output(capsys, tmp_path):
    script = tmp_path / "net.py"
    script.write_text(
        'import socket\nprint("start")\nsocket.create_connection(("127.0.0.1", 5432), 1)\n'
    )
    data = run_json(capsys, "sandbox_run", str(script))
    assert set(data) == {"exit_code", "signal", "limit_hit", "stdout", "stderr", "duration_s"}
    assert data["exit_code"] == 1
    assert data["limit_hit"] is None
    assert data["stdout"] == "start\n"
    assert "unreachable" in data["stderr"]


def test_sandbox_run_names_the_limit_a_memory_bomb_hits(capsys, tmp_path):
    script = tmp_path / "bomb.py"
    script.write_text("chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 2**20))\n")
    data = run_json(capsys, "sandbox_run", str(script))
    assert data["limit_hit"] == "memory"
    assert data["exit_code"] != 0 or data["signal"] is not None
