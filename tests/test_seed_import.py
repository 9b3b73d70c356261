"""Importing the four seeds into an empty database: every item, with its source."""

import pytest
from django.core.management import call_command

from assessments.models import MCQ, ExamTicket, MCQOption, PracticalTask, TicketTheoryQuestion
from courses.models import (
    CaseStudy,
    Course,
    LiteratureEntry,
    MindMap,
    Outcome,
    QACollection,
    QAItem,
    RelatedCourse,
    RolePlay,
    SyllabusTopic,
)
from seeds.loader import SEED_MODELS, import_parsed, parse_paths
from seeds.parsers import parse_seed
from tests.seed_files import ALL_SEEDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(db):
    return import_parsed(parse_paths(ALL_SEEDS))


def test_it_creates_a_row_for_every_parsed_item(report):
    parsed = {seed.name: parse_seed(seed).count_by_kind() for seed in ALL_SEEDS}
    # Counted by the parser tests from the seeds themselves (grep); here they must all land.
    expected = {
        QAItem: 50 + 50 + 13 + 75,
        MCQ: 75 + 75,
        ExamTicket: 15 + 5,
        TicketTheoryQuestion: 30 + 10,
        PracticalTask: 15 + 5,
        CaseStudy: 2 + 2,
        RolePlay: 4 + 4,
        MindMap: 3 + 3,
        LiteratureEntry: 5 + 5,
        RelatedCourse: 25 + 25,
        Outcome: 7 + 8,
        SyllabusTopic: 6 + 8,
        Course: 2,
        QACollection: 4,
    }
    assert {model: model.objects.count() for model in expected} == expected
    assert sum(counts.get("qa", 0) for counts in parsed.values()) == expected[QAItem]


def test_every_row_knows_its_seed_file_and_lines(report):
    for model in SEED_MODELS:
        for row in model.objects.all():
            assert row.source_file.endswith(".txt")
            assert 1 <= row.source_first_line <= row.source_last_line, row.seed_key


def test_every_mcq_has_exactly_one_correct_option(report):
    assert MCQOption.objects.filter(is_correct=True).count() == MCQ.objects.count()
    assert not MCQ.objects.filter(options__isnull=True).exists()


def test_the_two_courses_get_their_slugs_and_question_lists(report):
    assert set(Course.objects.values_list("slug", flat=True)) == {"deep-learning", "ml-engineer"}
    interview = QACollection.objects.get(source_file="001_9d45ca6f8a06fe05.txt")
    assert set(interview.courses.values_list("slug", flat=True)) == {
        "deep-learning",
        "ml-engineer",
    }
    dl_own = QACollection.objects.get(source_file="000_d568f9757774c6fc.txt")
    assert list(dl_own.courses.values_list("slug", flat=True)) == ["deep-learning"]


def test_restored_reference_code_is_kept_beside_the_seed_text(report):
    restored = PracticalTask.objects.filter(code_restored=True)
    assert restored.count() == 19
    broken = PracticalTask.objects.get(code_restored=False)
    assert broken.ticket.number == 2 and broken.ticket.course.slug == "ml-engineer"
    assert broken.restored_code == broken.seed_code
    assert broken.restoration_problem


def test_the_report_counts_every_item_as_new_and_names_the_warnings(report):
    data = report.as_dict()
    assert data["totals"]["qa"] == {
        "new": 188,
        "changed": 0,
        "unchanged": 0,
        "retired": 0,
        "refused": 0,
    }
    assert data["files"]["000_d568f9757774c6fc.txt"]["counts"]["ticket"] == 15
    codes = {(w["file"], w["line"], w["code"]) for w in data["warnings"]}
    assert ("003_d99cb1add1a2cf9c.txt", 881, "truncated_ticket") in codes
    assert ("003_d99cb1add1a2cf9c.txt", 865, "removed_api") in codes
    assert ("003_d99cb1add1a2cf9c.txt", 697, "code_not_restored") in codes
    assert ("000_d568f9757774c6fc.txt", 586, "needs_network") in codes
    assert not [w for w in data["warnings"] if w["code"] == "unparsed_lines"]


def test_every_question_item_gets_at_least_one_topic(report):
    for model in (QAItem, MCQ, TicketTheoryQuestion, PracticalTask):
        untagged = model.objects.filter(topics__isnull=True).values_list("seed_key", flat=True)
        assert list(untagged) == [], model.__name__


def test_the_same_question_in_two_seeds_is_linked_both_ways(report):
    dl = QAItem.objects.get(source_file="000_d568f9757774c6fc.txt", source_first_line=61)
    mle = QAItem.objects.get(source_file="003_d99cb1add1a2cf9c.txt", source_first_line=59)
    assert mle in dl.see_also.all()
    assert dl in mle.see_also.all()


def test_the_command_imports_the_default_seed_folder(db, capsys):
    call_command("import_seeds", "--no-run-code")
    assert "Импорт выполнен." in capsys.readouterr().out
    assert ExamTicket.objects.count() == 20
