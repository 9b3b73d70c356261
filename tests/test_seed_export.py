import json

import pytest
from django.core.management import CommandError, call_command

from seeds.loader import import_parsed, parse_paths
from tests.seed_files import ALL_SEEDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(db):
    return import_parsed(parse_paths(ALL_SEEDS))


def export(capsys, *args) -> list[dict]:
    call_command("export_content", *args)
    return json.loads(capsys.readouterr().out)


def test_it_exports_every_item_with_its_source(imported, capsys):
    items = export(capsys)
    kinds = {item["kind"] for item in items}
    assert {"qa", "mcq", "ticket", "practical_task", "mindmap", "roleplay"} <= kinds
    assert sum(1 for item in items if item["kind"] == "qa") == 188
    mcq = next(item for item in items if item["kind"] == "mcq")
    assert mcq["source_file"].endswith(".txt")
    first, last = mcq["source_lines"]
    assert first <= last
    assert len(mcq["fields"]["options"]) >= 2
    assert mcq["fields"]["correct_option"] in {o["letter"] for o in mcq["fields"]["options"]}
    task = next(item for item in items if item["kind"] == "practical_task")
    assert task["fields"]["restored_code"]


def test_it_exports_one_course(imported, capsys):
    items = export(capsys, "--course", "ml-engineer")
    files = {item["source_file"] for item in items}
    assert "000_d568f9757774c6fc.txt" not in files
    assert "003_d99cb1add1a2cf9c.txt" in files
    assert sum(1 for item in items if item["kind"] == "ticket") == 5
    # The shared interview list feeds this course too.
    assert "001_9d45ca6f8a06fe05.txt" in files


def test_two_exports_of_the_same_import_are_identical(imported, capsys):
    assert export(capsys) == export(capsys)


def test_an_unknown_course_is_named(imported):
    with pytest.raises(CommandError, match="no course 'nope'"):
        call_command("export_content", "--course", "nope")
