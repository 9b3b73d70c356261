"""The Telegram channel export (002)."""

from functools import cache
from pathlib import Path

from seeds.parsers import ParsedSeed, parse_seed, parse_seed_text
from seeds.parsers.records import QACollection, QAItem, Reaction

DATA = Path(__file__).resolve().parent.parent / "seeds" / "data"
CHANNEL = "002_bac1e50e9b8a78e7.txt"


@cache
def parsed() -> ParsedSeed:
    return parse_seed(DATA / CHANNEL)


def posts() -> list[QAItem]:
    return [r for r in parsed().records if isinstance(r, QAItem)]


def test_it_reads_every_post():
    # every post ends with a run of hashtag lines:
    # awk '/^#/ && prev !~ /^#/ {n++} {prev=$0} END{print n}' -> 13
    assert parsed().layout == "telegram"
    assert parsed().count_by_kind() == {"qa_collection": 1, "qa": 13}


def test_it_reads_the_channel_name_and_description():
    channel = parsed().records[0]
    assert isinstance(channel, QACollection)
    assert channel.title == "Библиотека собеса по Data Science | вопросы с собеседований"
    assert channel.description == "Вопросы с собеседований по Data Science и ответы на них."


def test_it_reads_question_answer_tags_and_reactions():
    first = posts()[0]
    assert first.question == "Что означает «насыщение нейрона»?"
    assert first.answer.startswith("В контексте нейронных сетей, насыщением называют")
    assert first.tags == ("глубокое_обучение",)
    assert first.reactions == (Reaction(emoji="👍", count=4),)
    assert (first.first_line, first.last_line) == (17, 24)
    third = posts()[2]
    assert third.tags == ("машинное_обучение", "глубокое_обучение")
    assert "🔹Инициализация весов" in third.answer


def test_it_reads_a_post_that_has_no_reactions():
    # line 148 is the last hashtag of a post, line 149 starts the next one
    post = next(p for p in posts() if p.first_line == 132)
    assert post.last_line == 148
    assert post.reactions == ()
    assert posts()[posts().index(post) + 1].first_line == 149


def test_it_normalises_and_reports_a_hashtag_with_a_space():
    post = next(p for p in posts() if p.first_line == 149)
    assert post.tags == ("машинное_обучение", "глубокое_обучение")
    [warning] = parsed().warnings_with_code("hashtag_space")
    assert warning.line == 156


def test_it_names_the_skipped_channel_header_in_one_warning():
    [warning] = parsed().warnings_with_code("boilerplate")
    assert warning.lines == (2, 3, 4, 5, 6, 9, 11, 13, 15, 16)


def test_it_accounts_for_every_line():
    assert parsed().uncovered_lines() == []


def test_it_keeps_the_reactions_of_every_post_that_has_them():
    # grep -nP '^[^\w\s#]*\d+[^\w\s#]' 002: lines 24, 34, 54, 64, 80, 88, 96, 121, 131, 157,
    # 169, 186 (twelve posts; the post at 132-148 has none).
    with_reactions = [p for p in posts() if p.reactions]
    assert [p.last_line for p in with_reactions] == [
        24, 34, 54, 64, 80, 88, 96, 121, 131, 157, 169, 186,
    ]  # fmt: skip
    assert next(p for p in posts() if p.last_line == 121).reactions == (
        Reaction(emoji="👍", count=71),
    )


def test_it_reports_the_malformed_reactions_line_and_keeps_what_it_says():
    post = next(p for p in posts() if p.last_line == 96)
    # "4👍2": the emoji before the 4 was lost in the export.
    assert post.reactions == (Reaction(emoji="", count=4), Reaction(emoji="👍", count=2))
    [warning] = parsed().warnings_with_code("malformed_reactions")
    assert (warning.file, warning.line) == (CHANNEL, 96)
    assert "4👍2" in warning.message


def test_odd_content_in_a_reactions_line_is_reported_with_its_line_and_left_out():
    text = (DATA / CHANNEL).read_text(encoding="utf-8").replace("\n👍10\n", "\n👍10 🔥x\n", 1)
    seed = parse_seed_text(CHANNEL, text)
    post = next(p for p in seed.records if isinstance(p, QAItem) and p.last_line == 54)
    assert post.reactions == (Reaction(emoji="👍", count=10),)
    [warning] = [w for w in seed.warnings_with_code("malformed_reactions") if w.line != 96]
    assert warning.line == 54 and "🔥x" in warning.message
    # The line is not read as the next post's question.
    assert [p.first_line for p in seed.records[1:]] == [p.first_line for p in posts()]
    assert seed.uncovered_lines() == []
