"""grading/text_hygiene.py on its own: what it keeps and what it drops."""

import pytest

from grading.sandbox import SandboxOutcome
from grading.text_hygiene import (
    clean_data,
    clean_line,
    clean_name,
    clean_names,
    clean_outcome,
    clean_text,
    valid_unicode,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain text\nnext line\tand a tab", "plain text\nnext line\tand a tab"),
        ("Привет, мир ✓", "Привет, мир ✓"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b[2J\x1b[1;1Hcleared", "cleared"),
        ("\x1b]0;title\x07after", "after"),
        ("\x1b]52;c;ZWNobyBoaQ==\x1b\\after", "after"),  # clipboard write, ST-terminated
        ("\x1b]8;;http://evil\x07link\x1b]8;;\x07", "link"),  # hyperlink
        ("before\x1b]0;never terminated", "before"),
        ("\x9b31mc1 csi", "c1 csi"),
        ("\x9d0;c1 osc\x9cafter", "after"),
        ("\x1bPdcs string\x1b\\after", "after"),
        ("\x1b7saved\x1b8", "saved"),
        ("nul\x00 bell\x07 del\x7f bs\x08", "nul bell del bs"),
        ("progress 10%\rprogress 20%\r\n", "progress 10%\nprogress 20%\n"),
        ("\u202eevil\u202c \u2066isolate\u2069", "evil isolate"),
        ("line\u2028separator", "line\nseparator"),
        ("lone \udcff surrogate", "lone \ufffd surrogate"),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_clean_text_takes_bytes_none_and_a_limit():
    assert clean_text(b"caf\xc3\xa9 \xff") == "café \ufffd"
    assert clean_text(None) == ""
    assert clean_text("\x1b[31m" + "x" * 50, limit=10) == "x" * 10


def test_valid_unicode_turns_escaped_bytes_into_replacement_characters():
    name = b"\xff\xfe-name".decode("utf-8", "surrogateescape")
    assert valid_unicode(name) == "\ufffd\ufffd-name"
    assert valid_unicode("fine") == "fine"
    valid_unicode("\ud800 lone high").encode("utf-8")


def test_clean_line_joins_lines_and_tabs():
    assert clean_line("a\nb\tc\r\nd") == "a b c d"
    assert clean_line("x" * 20, limit=5) == "xxxxx"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("grid.png", "grid.png"),
        ("sub/dir/model.onnx", "sub/dir/model.onnx"),
        (b"\xff\xfe.png".decode("utf-8", "surrogateescape"), "\ufffd\ufffd.png"),
        ("new\nline\x1b[31m.png", "new line.png"),
        ("../escape", "_/escape"),
        ("a/./b", "a/_/b"),
    ],
)
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


def test_clean_name_shortens_long_names_and_keeps_the_extension():
    name = clean_name("x" * 500 + ".png")
    assert len(name) <= 200
    assert name.endswith("~.png")


def test_names_that_clean_to_the_same_one_stay_apart():
    files = {"a\x1b[1m.png": b"1", "a.png": b"2", "a\x07.png": b"3"}
    cleaned = clean_names(files)
    assert sorted(cleaned) == ["a.png", "a~2.png", "a~3.png"]
    assert sorted(cleaned.values()) == [b"1", b"2", b"3"]


def test_clean_outcome_cleans_texts_and_names_and_keeps_the_channel():
    outcome = SandboxOutcome(
        exit_code=0,
        signal=None,
        limit_hit=None,
        stdout="\x1b[31mred\x1b[0m",
        stderr="\x00err",
        duration_s=0.1,
        channel=b'{"obs": "x"}\n\x1b',
        artifacts={b"\xff.png".decode("utf-8", "surrogateescape"): b"data"},
    )
    cleaned = clean_outcome(outcome)
    assert (cleaned.stdout, cleaned.stderr) == ("red", "err")
    assert cleaned.artifacts == {"\ufffd.png": b"data"}
    assert cleaned.channel == outcome.channel


def test_clean_data_cleans_every_string_keys_included():
    data = {"k\x1b[1m": ["v\x07", {"n": "\udcff"}], "number": 1.5}
    assert clean_data(data) == {"k": ["v", {"n": "\ufffd"}], "number": 1.5}
