"""All four seeds together: layouts, line coverage, speed."""

from pathlib import Path

from seeds.parsers import parse_seed
from seeds.parsers.records import KINDS

DATA = Path(__file__).resolve().parent.parent / "seeds" / "data"
SEEDS = sorted(DATA.glob("*.txt"))


def test_it_picks_the_layout_of_each_seed():
    layouts = {path.name: parse_seed(path).layout for path in SEEDS}
    assert layouts == {
        "000_d568f9757774c6fc.txt": "course_document",
        "001_9d45ca6f8a06fe05.txt": "interview_list",
        "002_bac1e50e9b8a78e7.txt": "telegram",
        "003_d99cb1add1a2cf9c.txt": "course_document",
    }


def test_it_puts_every_line_of_every_seed_in_a_record_or_a_warning():
    for path in SEEDS:
        assert parse_seed(path).uncovered_lines() == [], path.name


def test_it_uses_only_the_declared_kind_names():
    for path in SEEDS:
        assert set(parse_seed(path).count_by_kind()) <= set(KINDS)
