"""GIFT: what we write escapes every special character, and bad files name their line."""

from __future__ import annotations

import pytest
from django.utils import translation

from assessments import gift
from assessments.interchange import ESSAY, MULTICHOICE, InterchangeError, Option, Question

NASTY = "Что вернёт a<b & c? {x} ~y =z #1: \\ конец\nвторая строка"


def nasty_questions() -> list[Question]:
    return [
        Question(
            kind=MULTICHOICE,
            name="seed.txt:mcq:1",
            text=NASTY,
            options=[
                Option("a = {b}", True),
                Option("~ не это", False),
                Option("# и не это: <", False),
                Option("& \\n", False),
            ],
            category="Темы: {все}",
            topics=["cnn", "training"],
        ),
        Question(kind=ESSAY, name="e:1", text="Эссе {?}", answer="Ответ\n\nс ~ и = и #"),
    ]


def test_specials_are_escaped_and_read_back_unchanged():
    text = gift.dump(nasty_questions(), "$course$/Курс")
    question_line = next(line for line in text.splitlines() if line.startswith("::seed"))
    assert r"\{x\} \~y \=z \#1\: \\ конец\nвторая" in question_line
    parsed = gift.parse(text)
    assert parsed.warnings == []
    mcq, essay = parsed.questions
    assert (mcq.name, mcq.text) == ("seed.txt:mcq:1", NASTY)
    assert [(o.text, o.is_correct) for o in mcq.options] == [
        ("a = {b}", True),
        ("~ не это", False),
        ("# и не это: <", False),
        ("& \\n", False),
    ]
    assert mcq.topics == ["cnn", "training"]
    assert (essay.kind, essay.text, essay.answer) == (ESSAY, "Эссе {?}", "Ответ\n\nс ~ и = и #")


def test_it_reads_what_moodle_writes():
    text = """// question: 1 name: q1
$CATEGORY: $course$/Top/Свёрточные сети

::q1::[html]<p>Какой слой <b>уменьшает</b> размер?</p>{
\t~%0%Свёртка 1x1#нет
\t=Пулинг#да
\t~Dropout
}

// a true/false question
::tf::Земля круглая{T}
"""
    parsed = gift.parse(text)
    (question,) = parsed.questions
    assert question.text == "Какой слой уменьшает размер?"
    assert [(o.text, o.is_correct) for o in question.options] == [
        ("Свёртка 1x1", False),
        ("Пулинг", True),
        ("Dropout", False),
    ]
    assert question.category == "Свёрточные сети"
    assert parsed.warnings == ["строка 11: не вопрос с выбором ответа; пропущен"]


@pytest.fixture
def english():
    """The readers' messages are in the active language; these tests read them in English."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("::a::Q{\n=one\n~two\n}\n\n::b::Q2 {\n=x\n~y\n", 6, "not closed"),
        ("::a::Q{=one ~two}\n\n::b::Q2{~x ~y}\n", 3, "exactly one right option"),
        ("::a::Q{=one ~two}\n\n\n::b no title end{=x ~y}\n", 4, "title"),
        ("\n\nJust text without answers\n", 3, "no answer block"),
        ("::a::Q{=one {=two} ~three}\n", 1, "unescaped '{'"),
    ],
)
def test_a_malformed_question_names_its_line(english, text, line, message):
    with pytest.raises(InterchangeError) as error:
        gift.parse(text)
    assert error.value.line == line
    assert message in error.value.message
