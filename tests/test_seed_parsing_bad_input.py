"""Files that are not seeds, or broken seeds: a clear SeedError naming the file and the line,
never a partial result."""

from pathlib import Path

import pytest

from seeds.parsers import MAX_SEED_BYTES, SeedError, parse_seed, parse_seed_bytes, parse_seed_text

DATA = Path(__file__).resolve().parent.parent / "seeds" / "data"
DL = "000_d568f9757774c6fc.txt"
LIST = "001_9d45ca6f8a06fe05.txt"
CHANNEL = "002_bac1e50e9b8a78e7.txt"
ML = "003_d99cb1add1a2cf9c.txt"


def seed_lines(name: str) -> list[str]:
    return (DATA / name).read_text(encoding="utf-8").split("\n")


def cut(name: str, last_line: int) -> str:
    """The seed's first ``last_line`` lines, as if the file had been cut there."""
    return "\n".join(seed_lines(name)[:last_line])


def test_it_refuses_a_seed_saved_in_cp1251(tmp_path):
    path = tmp_path / "seed.txt"
    text = (DATA / LIST).read_text(encoding="utf-8")
    path.write_bytes(text.encode("cp1251"))
    with pytest.raises(SeedError) as raised:
        parse_seed(path)
    assert raised.value.file == "seed.txt"
    assert raised.value.line == 1  # the title already holds Cyrillic
    assert "not UTF-8" in str(raised.value)


def test_it_names_the_line_of_the_first_bad_byte():
    data = "# 1 вопрос\n\n### 1. Что?\n".encode() + "Ответ: да".encode("cp1251")
    with pytest.raises(SeedError) as raised:
        parse_seed_bytes("list.txt", data)
    assert raised.value.line == 4
    assert str(raised.value).startswith("list.txt:4: ")


def test_it_refuses_a_binary_file(tmp_path):
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(SeedError, match="binary") as raised:
        parse_seed(path)
    assert raised.value.file == "image.png"


def test_it_refuses_an_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(SeedError, match="empty") as raised:
        parse_seed(path)
    assert (raised.value.file, raised.value.line) == ("empty.txt", 1)
    with pytest.raises(SeedError, match="empty"):
        parse_seed_text("blank.txt", "\n \n\t\n")


def test_it_refuses_a_50_mb_file_without_reading_it(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: nothing is written to disk
    with pytest.raises(SeedError, match="at most") as raised:
        parse_seed(path)
    assert raised.value.file == "huge.txt"
    with pytest.raises(SeedError, match="at most"):
        parse_seed_bytes("huge.txt", b"a" * (MAX_SEED_BYTES + 1))


def test_it_refuses_a_file_of_another_kind():
    readme = "# Notes\n\nSome text about the project.\n\n## Setup\n\nRun it.\n"
    with pytest.raises(SeedError, match="no known seed layout") as raised:
        parse_seed_text("README.md", readme)
    assert raised.value.line == 1
    with pytest.raises(SeedError, match="no known seed layout"):
        parse_seed_text("settings.json", '{"debug": true}')


def test_it_refuses_a_seed_of_another_layout_than_expected():
    with pytest.raises(SeedError, match="expected a telegram seed") as raised:
        parse_seed(DATA / DL, layout="telegram")
    assert raised.value.file == DL


def test_it_refuses_a_course_document_cut_inside_a_ticket():
    # line 583 is the second theory answer of ticket 1; its practical part is lost
    with pytest.raises(SeedError, match="ends inside exam ticket №1") as raised:
        parse_seed_text(DL, cut(DL, 583))
    assert (raised.value.file, raised.value.line) == (DL, 577)


def test_it_refuses_a_course_document_cut_inside_the_reference_code():
    lines = seed_lines(DL)[:586]
    lines[-1] = lines[-1][:400]  # the flattened program of ticket 1, cut mid-statement
    with pytest.raises(SeedError, match="ends inside exam ticket №1"):
        parse_seed_text(DL, "\n".join(lines))


def test_it_refuses_a_course_document_cut_inside_an_mcq():
    # lines 125-130 are the first MCQ; cut after its option B (line 127)
    with pytest.raises(SeedError, match="multiple-choice") as raised:
        parse_seed_text(DL, cut(DL, 127))
    assert raised.value.line == 125


def test_it_refuses_the_ml_course_cut_inside_a_ticket():
    # ticket 4 starts on line 771; cut inside its theory answers
    with pytest.raises(SeedError, match="ticket №4") as raised:
        parse_seed_text(ML, cut(ML, 790))
    assert raised.value.line == 771


def test_it_refuses_the_interview_list_cut_after_a_question():
    with pytest.raises(SeedError, match="question 3") as raised:
        parse_seed_text(LIST, cut(LIST, 9))
    assert raised.value.line == 9


def test_it_refuses_the_channel_cut_inside_a_post():
    # the second post starts on line 25; cut inside its text, before its hashtags
    with pytest.raises(SeedError, match="inside a post") as raised:
        parse_seed_text(CHANNEL, cut(CHANNEL, 27))
    assert raised.value.line == 25


def test_it_accepts_a_course_document_that_ends_between_items():
    # cut after a complete MCQ block: a shorter document, not a broken one
    result = parse_seed_text(DL, cut(DL, 274))
    assert result.count_by_kind()["mcq"] == 25
    assert result.uncovered_lines() == []


def test_it_reports_an_mcq_whose_stated_answer_disagrees_with_its_option():
    lines = seed_lines(ML)
    assert lines[182] == "Ответ: D) TensorFlow Serving -"
    lines[182] = "Ответ: D) MLflow -"
    result = parse_seed_text(ML, "\n".join(lines))
    [warning] = result.warnings_with_code("mcq_answer_mismatch")
    assert (warning.file, warning.line) == (ML, 183)
    assert "MLflow" in warning.message and "TensorFlow Serving" in warning.message


def test_it_names_unparsable_fragments_in_the_report():
    lines = seed_lines(DL)
    lines.insert(124, "-")  # an extra separator: line 126 becomes a lone question line
    lines.insert(125, "Вопрос без ответа?")
    result = parse_seed_text(DL, "\n".join(lines))
    assert [(w.line, w.code) for w in result.warnings_with_code("unparsed")] == [(126, "unparsed")]
    assert result.uncovered_lines() == []
