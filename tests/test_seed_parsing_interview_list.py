"""The numbered interview list (001)."""

from functools import cache
from pathlib import Path

from seeds.parsers import ParsedSeed, parse_seed, parse_seed_text
from seeds.parsers.records import QACollection, QAItem

DATA = Path(__file__).resolve().parent.parent / "seeds" / "data"
LIST = "001_9d45ca6f8a06fe05.txt"


@cache
def parsed() -> ParsedSeed:
    return parse_seed(DATA / LIST)


def items() -> list[QAItem]:
    return [r for r in parsed().records if isinstance(r, QAItem)]


def test_it_reads_fifty_numbered_questions():
    # grep -c '^### [0-9]*\.' -> 50, numbered 1 to 50
    assert parsed().layout == "interview_list"
    assert parsed().count_by_kind() == {"qa_collection": 1, "qa": 50}
    assert [item.number for item in items()] == list(range(1, 51))


def test_it_reads_the_title_of_the_list():
    collection = parsed().records[0]
    assert isinstance(collection, QACollection)
    assert collection.title == "50 вопросов для собеседования по глубокому обучению"


def test_it_keeps_multi_paragraph_answers_without_the_answer_label():
    fourth = items()[3]
    assert fourth.question == "Дайте определение функциям активации и приведите примеры."
    assert fourth.answer.startswith("Функции активации — это математические операции")
    assert "\nСигмоида: преобразует" in fourth.answer
    assert (fourth.first_line, fourth.last_line) == (12, 18)


def test_it_reads_the_answer_labelled_otvechat():
    # question 38 labels its answer "Отвечать:" on a line of its own (line 239)
    item = items()[37]
    assert item.number == 38
    assert item.answer.startswith("Регуляризация : такие методы")


def test_it_reads_the_last_answer_without_a_final_newline():
    last = items()[-1]
    assert last.last_line == len(parsed().lines) == 343
    assert last.answer.endswith("приложениях ИИ.")


def test_it_accounts_for_every_line_and_reports_nothing():
    assert parsed().uncovered_lines() == []
    assert parsed().warnings == ()


def test_it_reports_gaps_in_the_numbering():
    text = "# 3 вопроса\n\n### 1. Первый?\nОтвет: да\n\n### 3. Третий?\nОтвет: нет\n"
    result = parse_seed_text("list.txt", text)
    assert [w.code for w in result.warnings] == ["numbering", "numbering"]
