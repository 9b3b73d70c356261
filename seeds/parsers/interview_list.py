"""The numbered interview list (001): "50 вопросов для собеседования по глубокому обучению".

Layout::

    # <title>

    ### 1. <question>
    Ответ: <first paragraph>

    <more paragraphs, "Label: text" lines, formulas in "[ ... ]">

    ### 2. <question>
    ...

Known defects: question 38 labels its answer "Отвечать:" (a machine translation of "Answer:")
on a line of its own; some answers run straight into the next "###" line without a blank line;
the file has no final newline. Numbers must run 1, 2, 3... and match the count in the title;
gaps are reported. A "###" heading with no answer at the end of the file means the file was cut.
"""

from __future__ import annotations

import re

from seeds.parsers.messages import gettext_noop
from seeds.parsers.records import LAYOUT_INTERVIEW_LIST, ParsedSeed, QACollection, QAItem, Record
from seeds.parsers.source import SeedText

_TITLE = re.compile(r"^#\s+(.+)$")
_QUESTION = re.compile(r"^###\s*(\d+)\.\s*(.+)$")
_ANSWER_LABEL = re.compile(r"^(?:Ответ|Отвечать):\s*")
_COUNT_IN_TITLE = re.compile(r"^(\d+)\s")


def looks_like_interview_list(lines: tuple[str, ...]) -> bool:
    first = next((line.strip() for line in lines if line.strip()), "")
    return (
        bool(_TITLE.match(first))
        and not first.startswith("##")
        and any(_QUESTION.match(line.strip()) for line in lines)
    )


def parse_interview_list(file: str, text: str) -> ParsedSeed:
    seed = SeedText(file, text)
    title_row = next((n for n in range(1, len(seed) + 1) if seed.line(n)), None)
    if title_row is None or not (title := _TITLE.match(seed.line(title_row))):
        raise seed.error(title_row or 1, gettext_noop("expected a '# title' line"))
    records: list[Record] = [
        QACollection(
            source_file=file,
            first_line=title_row,
            last_line=title_row,
            title=title.group(1).strip(),
            description="",
        )
    ]
    headings = [n for n in range(1, len(seed) + 1) if _QUESTION.match(seed.line(n))]
    if not headings:
        raise seed.error(title_row, gettext_noop("no '### N. question' headings"))
    stray = [n for n in range(title_row + 1, headings[0]) if seed.line(n)]
    if stray:
        seed.warn(
            stray[0],
            "unparsed",
            gettext_noop("text between the title and the first question"),
            stray,
        )
    for index, heading in enumerate(headings):
        end = headings[index + 1] - 1 if index + 1 < len(headings) else len(seed)
        rows = [n for n in range(heading + 1, end + 1) if seed.line(n)]
        match = _QUESTION.match(seed.line(heading))
        assert match is not None
        number = int(match.group(1))
        if not rows:
            if index + 1 == len(headings):
                raise seed.error(
                    heading,
                    gettext_noop("the file ends inside question %(number)d (no answer)"),
                    number=number,
                )
            seed.warn(
                heading,
                "unparsed",
                gettext_noop("question %(number)d has no answer"),
                [heading],
                number=number,
            )
            continue
        records.append(
            QAItem(
                source_file=file,
                first_line=heading,
                last_line=rows[-1],
                question=match.group(2).strip(),
                answer=_answer(seed, heading + 1, rows[-1]),
                number=number,
            )
        )
    _check_numbering(seed, records, title.group(1), title_row)
    return ParsedSeed(
        file=file,
        layout=LAYOUT_INTERVIEW_LIST,
        records=tuple(records),
        warnings=tuple(seed.warnings),
        lines=seed.lines,
    )


def _answer(seed: SeedText, first: int, last: int) -> str:
    """The answer's paragraphs, the "Ответ:" label dropped, blank-line runs kept as one."""
    paragraphs: list[str] = []
    previous_blank = False
    for row in range(first, last + 1):
        text = seed.line(row)
        if row == first or (not paragraphs and text):
            text = _ANSWER_LABEL.sub("", text, count=1)
        if not text:
            previous_blank = bool(paragraphs)
            continue
        if previous_blank:
            paragraphs.append("")
        paragraphs.append(text)
        previous_blank = False
    return "\n".join(paragraphs)


def _check_numbering(seed: SeedText, records: list[Record], title: str, title_row: int) -> None:
    numbers = [record.number for record in records if isinstance(record, QAItem)]
    expected = list(range(1, len(numbers) + 1))
    if numbers != expected:
        seed.warn(
            title_row,
            "numbering",
            gettext_noop("questions are numbered %(numbers)s, not 1..%(count)d"),
            numbers=", ".join(map(str, numbers)),
            count=len(numbers),
        )
    count = _COUNT_IN_TITLE.match(title)
    if count and int(count.group(1)) != len(numbers):
        seed.warn(
            title_row,
            "numbering",
            gettext_noop("the title promises %(promised)s questions, the list has %(count)d"),
            promised=count.group(1),
            count=len(numbers),
        )
