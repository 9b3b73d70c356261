"""GIFT, Moodle's plain-text question format, written and read by hand (no library does it
well). What we write:

    // topics: cnn training
    $CATEGORY: $course$/Course title/Topic name

    ::name::Question text{
    =right option
    ~wrong option
    }

    ::name::Essay question{####reference answer}

Reading accepts what Moodle writes for these two types: `//` comments, `$CATEGORY:` lines,
an optional `::title::`, an optional `[html]`/`[plain]`/... format, answers with `#feedback`
and `~%0%` weights. Other types (true/false, short answer, numerical, matching, multiple
right answers) are skipped with a warning; a malformed question stops the import with its line.

Escapes: `~ = # { } :` and the backslash are written as `\\X`; a newline inside a text as `\\n`
(Moodle reads both), so a question is always one block without blank lines.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from assessments.interchange import (
    ESSAY,
    MULTICHOICE,
    InterchangeError,
    Option,
    Question,
)

SPECIAL = "\\~=#{}:"
TOPICS_COMMENT = "// topics:"
FORMAT_TAG = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")


def escape(text: str) -> str:
    out = []
    for char in text:
        if char in SPECIAL:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            continue
        else:
            out.append(char)
    return "".join(out)


def unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            following = text[i + 1]
            out.append("\n" if following == "n" else following)
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def dump(questions: list[Question], category_prefix: str) -> str:
    """GIFT text for questions in the interchange shape (already grouped by category)."""
    lines: list[str] = [f"// {category_prefix}", ""]
    current = None
    for question in questions:
        if question.category != current:
            current = question.category
            lines += [f"$CATEGORY: {category_prefix}/{current}", ""]
        if question.topics:
            lines.append(f"{TOPICS_COMMENT} {' '.join(question.topics)}")
        head = f"::{escape(question.name)}::{escape(question.text)}"
        if question.kind == MULTICHOICE:
            lines.append(head + "{")
            for option in question.options:
                lines.append(("=" if option.is_correct else "~") + escape(option.text))
            lines.append("}")
        else:
            lines.append(head + "{####" + escape(question.answer) + "}")
        lines.append("")
    return "\n".join(lines)


@dataclass
class ParseResult:
    questions: list[Question] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _find_unescaped(text: str, targets: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in targets:
            return i
        i += 1
    return -1


def _split_unescaped(text: str, separators: str) -> list[tuple[str, str]]:
    """Split an answer block into (marker, text) pieces at unescaped `=` / `~`."""
    pieces: list[tuple[str, str]] = []
    i = _find_unescaped(text, separators)
    if i < 0:
        return pieces
    if text[:i].strip():
        raise ValueError(text[:i].strip())
    while i >= 0:
        j = _find_unescaped(text, separators, i + 1)
        pieces.append((text[i], text[i + 1 : j if j >= 0 else len(text)]))
        i = j
    return pieces


def parse(text: str) -> ParseResult:
    """Questions of a GIFT text; raises InterchangeError naming the line of a bad question."""
    result = ParseResult()
    category = ""
    pending_topics: list[str] = []
    block: list[tuple[int, str]] = []

    def flush() -> None:
        nonlocal pending_topics
        if block:
            question = _parse_block(block, category, pending_topics, result)
            if question is not None:
                result.questions.append(question)
            block.clear()
        pending_topics = []

    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.strip()
        if line.startswith("\ufeff"):
            line = line[1:]
        if not block and line.startswith(TOPICS_COMMENT):
            pending_topics = line[len(TOPICS_COMMENT) :].split()
            continue
        if line.startswith("//"):
            continue
        if not block and line.startswith("$CATEGORY:"):
            category = line[len("$CATEGORY:") :].strip().rsplit("/", 1)[-1]
            continue
        if not line:  # a blank line ends a question
            flush()
            continue
        block.append((number, raw))
    flush()
    return result


def _parse_block(
    block: list[tuple[int, str]], category: str, topics: list[str], result: ParseResult
) -> Question | None:
    first_line = block[0][0]
    text = "\n".join(raw for _, raw in block).strip()
    name = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        while end >= 0 and text[end - 1] == "\\":
            end = text.find("::", end + 1)
        if end < 0:
            raise InterchangeError(first_line, _("the question title (::title::) is not closed"))
        name = unescape(text[2:end]).strip()
        text = text[end + 2 :].lstrip()
    fmt = FORMAT_TAG.match(text)
    is_html = False
    if fmt:
        is_html = fmt.group(1).lower() == "html"
        text = text[fmt.end() :]
    open_at = _find_unescaped(text, "{")
    if open_at < 0:
        raise InterchangeError(first_line, _("the question has no answer block ({...})"))
    close_at = _find_unescaped(text, "}", open_at + 1)
    if close_at < 0:
        raise InterchangeError(first_line, _("the answer block is not closed (missing '}')"))
    second_open = _find_unescaped(text, "{", open_at + 1)
    if 0 <= second_open < close_at:
        raise InterchangeError(first_line, _("an unescaped '{' inside the answer block"))
    after = text[close_at + 1 :].strip()
    if _find_unescaped(after, "{}") >= 0:
        raise InterchangeError(first_line, _("more than one answer block"))

    def clean(part: str) -> str:
        value = unescape(part).strip()
        if is_html:
            value = html.unescape(strip_tags(value))
        return value

    question_text = clean(text[:open_at] + ((" _____ " + after) if after else ""))
    body = text[open_at + 1 : close_at]
    general = ""
    general_at = body.find("####")
    if general_at >= 0:
        general = body[general_at + 4 :]
        body = body[:general_at]
    stripped = body.strip()
    if not stripped:
        question = Question(
            kind=ESSAY,
            name=name,
            text=question_text,
            answer=clean(general),
            category=category,
            topics=topics,
            line=first_line,
        )
        question.check()
        return question
    if (
        stripped.upper() in {"T", "F", "TRUE", "FALSE"}
        or stripped.startswith("#")
        or ("->" in stripped)
    ):
        result.warnings.append(
            _("line %(line)d: not a multiple-choice question; skipped") % {"line": first_line}
        )
        return None
    try:
        pieces = _split_unescaped(body, "=~")
    except ValueError as error:
        raise InterchangeError(
            first_line, _("text before the first answer: %(text)s") % {"text": error}
        ) from None
    if all(marker == "=" for marker, _ in pieces):
        result.warnings.append(
            _("line %(line)d: a short-answer question; skipped") % {"line": first_line}
        )
        return None
    options = []
    for marker, piece in pieces:
        feedback_at = _find_unescaped(piece, "#")
        if feedback_at >= 0:
            piece = piece[:feedback_at]
        piece = piece.strip()
        weight = WEIGHT.match(piece)
        is_correct = marker == "="
        if weight:
            value = float(weight.group(1))
            if marker == "~" and 0 < value < 100:
                result.warnings.append(
                    _("line %(line)d: partial credit (several right options); skipped")
                    % {"line": first_line}
                )
                return None
            is_correct = is_correct or value == 100
            piece = piece[weight.end() :].strip()
        options.append(Option(clean(piece), is_correct))
    question = Question(
        kind=MULTICHOICE,
        name=name,
        text=question_text,
        options=options,
        category=category,
        topics=topics,
        line=first_line,
    )
    question.check()
    return question
