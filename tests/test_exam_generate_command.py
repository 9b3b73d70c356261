"""`manage.py generate_tickets` on the real seeds: the printed set, its balance, the refusal."""

import json

import pytest
from django.core.management import CommandError, call_command

from exams.models import Ticket, TicketSet
from labs.catalog import load_catalog
from labs.sync import sync_labs
from seeds.loader import import_parsed, parse_paths
from tests.seed_files import ALL_SEEDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeds():
    import_parsed(parse_paths(ALL_SEEDS))
    sync_labs()


def generated(capsys, *args) -> dict:
    call_command("generate_tickets", *args, "--json")
    return json.loads(capsys.readouterr().out)


def test_it_prints_fifteen_balanced_tickets_as_json(seeds, capsys):
    data = generated(capsys, "deep-learning", "--count", "15", "--seed", "3")
    assert data["count"] == 15 and data["seed"] == 3
    theory = [q["id"] for t in data["tickets"] for q in t["theory"]]
    assert len(theory) == len(set(theory)) == 30
    assert [t["number"] for t in data["tickets"]] == list(range(1, 16))
    first = data["tickets"][0]
    assert {"id", "text", "topics", "difficulty", "measured"} <= set(first["theory"][0])
    assert first["theory"][0]["text"] and first["practical"]["text"]
    # 15 tickets, 15 imported practical tasks: each once; a task with a lab names it.
    assert len({t["practical"]["id"] for t in data["tickets"]}) == 15
    labs = {t["practical"]["lab"] for t in data["tickets"]} - {None}
    course_labs = {lab.slug for lab in load_catalog() if lab.course_slug == "deep-learning"}
    assert {"dl-07-iou", "dl-10-mlops-onnx-pipeline"} <= labs == course_labs
    balance = data["balance"]
    assert balance["near_duplicates_in_one_ticket"] == 0
    assert balance["difficulty_spread"] < balance["random_sets"]["difficulty_spread_median"] / 5
    assert TicketSet.objects.filter(origin=TicketSet.Origin.GENERATED).count() == 0


def test_more_tickets_than_the_bank_allows_is_refused_with_the_largest_count(seeds):
    with pytest.raises(CommandError) as refusal:
        call_command("generate_tickets", "ml-engineer", "--count", "75", "--save", "Слишком")
    message = str(refusal.value)
    assert "не больше 74" in message and "Ничего не сохранено" in message
    assert not TicketSet.objects.filter(name="Слишком").exists()


def test_the_largest_set_is_made_and_saved_as_a_named_version(seeds, capsys):
    data = generated(capsys, "ml-engineer", "--count", "74", "--seed", "1", "--save", "Итог")
    uses = {}
    for ticket in data["tickets"]:
        uses[ticket["practical"]["id"]] = uses.get(ticket["practical"]["id"], 0) + 1
    assert sorted(set(uses.values())) == [14, 15]  # 74 tickets over 5 tasks, as evenly as can be
    saved = TicketSet.objects.get(pk=data["saved_as"]["id"])
    assert (saved.name, saved.version, saved.origin) == ("Итог", 1, TicketSet.Origin.GENERATED)
    assert Ticket.objects.filter(ticket_set=saved).count() == 74
    assert saved.generation["seed"] == 1
    again = generated(capsys, "ml-engineer", "--count", "2", "--save", "Итог")
    assert again["saved_as"]["version"] == 2


def test_an_unknown_course_is_named(seeds):
    with pytest.raises(CommandError, match="no course 'nope'"):
        call_command("generate_tickets", "nope", "--count", "3")
