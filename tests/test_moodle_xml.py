"""Moodle XML: everything escaped on the way out, safe and line-accurate on the way in."""

from __future__ import annotations

import pytest
from django.utils import translation

from assessments import moodle_xml
from assessments.interchange import ESSAY, MULTICHOICE, InterchangeError, Option, Question

NASTY = "a<b & c? ]]> {x} ~y =z #1: </text></question><question>"


def test_special_characters_are_escaped_and_read_back_unchanged():
    questions = [
        Question(
            kind=MULTICHOICE,
            name="n&<1>",
            text=NASTY,
            options=[Option("<script>alert(1)</script>", True), Option("\"'&amp;", False)],
            category="Тема <1>",
            topics=["cnn"],
        ),
        Question(kind=ESSAY, name="e", text="Эссе", answer="Ответ & <b>код</b>"),
    ]
    data = moodle_xml.dump(questions, "$course$/Курс & co")
    assert b"<script>" not in data and b"</text></question><question>" not in data
    assert b"a&lt;b &amp; c? ]]&gt;" in data
    parsed = moodle_xml.parse(data)
    mcq, essay = parsed.questions
    assert (mcq.name, mcq.text, mcq.category) == ("n&<1>", NASTY, "Тема <1>")
    assert [(o.text, o.is_correct) for o in mcq.options] == [
        ("<script>alert(1)</script>", True),
        ("\"'&amp;", False),
    ]
    assert mcq.topics == ["cnn"]
    assert essay.answer == "Ответ & <b>код</b>"


def test_html_texts_from_moodle_are_read_as_plain_text():
    data = b"""<?xml version="1.0"?>
<quiz>
  <question type="multichoice">
    <name><text>q</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>What is <b>2&amp;2</b>?</p>]]></text>
    </questiontext>
    <answer fraction="100"><text>4</text></answer>
    <answer fraction="0"><text>5</text></answer>
  </question>
  <question type="truefalse"><name><text>tf</text></name></question>
</quiz>"""
    with translation.override("en"):
        parsed = moodle_xml.parse(data)
    assert parsed.questions[0].text == "What is 2&2?"
    assert parsed.warnings == ["line 11: question type «truefalse» is not supported; skipped"]
    assert moodle_xml.parse(data).warnings == [
        "строка 11: тип вопроса «truefalse» не поддерживается; пропущен"
    ]


@pytest.fixture
def english():
    """The readers' messages are in the active language; these tests read them in English."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b"<quiz>\n<question type='essay'>\n<name><text>x</text></name>\n</quiz>", 4, "malformed"),
        (
            b"<quiz>\n  <question type='multichoice'>\n    <name><text>x</text></name>\n"
            b"    <questiontext><text>Q</text></questiontext>\n"
            b"    <answer fraction='0'><text>a</text></answer>\n"
            b"    <answer fraction='0'><text>b</text></answer>\n  </question>\n</quiz>",
            2,
            "exactly one right option",
        ),
        (b"<?xml version='1.0'?>\n<!DOCTYPE quiz [<!ENTITY boom 'x'>]>\n<quiz/>", 2, "refused"),
        (b"\n\n<notquiz/>", 3, "not <quiz>"),
    ],
)
def test_a_malformed_file_names_its_line(english, data, line, message):
    with pytest.raises(InterchangeError) as error:
        moodle_xml.parse(data)
    assert error.value.line == line
    assert message in error.value.message


def test_external_entities_are_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        "<quiz><question type='essay'><name><text>&x;</text></name></question></quiz>"
    ).encode()
    with pytest.raises(InterchangeError):
        moodle_xml.parse(data)
