"""The two course documents: "Специалист по глубокому обучению" (000, the DL course) and
"Machine Learning Engineer" (003, the ML course). One parser reads both variants.

Layout, top to bottom:

1. The title (line 1), a description, then the syllabus under headings: "Что предстоит пройти:"
   (topics), outcomes under a heading with "знать" or "уметь" ("Должен знать:", "После
   прохождения курса выпускник должен уметь:"; "Ожидаемые результаты:" only groups them),
   "Требования к слушателям:" (DL) and "Формат обучения:" (ML). A lone "-" line ends it.
2. Blocks separated by lone "-" lines: Q&A blocks (a question line, an answer line) and MCQ
   blocks (a question, "A) ..." to "D) ..." options, then "Правильный ответ: B" (DL) or
   "Ответ: B) option text" (ML)). Inside a block the last line of each item ends with " -".
3. Exam tickets, case studies, role-play games and mind maps, each opened by a header line
   ("Экзаменационный билет №1", "Кейс №1: ...", "Ролевая игра №1: ...", "Интеллект-карта №1:
   ..."); see ``course_tickets`` and ``course_activities``.
4. Literature ("1. "Title" — Authors" + "- Label: text" lines), then related course
   announcements: a title line and an announcement line (DL, "-"-separated) or
   "- Курс: "Title"" + "Анонс: ..." (ML).
5. Scraped page boilerplate ("Нет элементов для просмотра") closes both files; it is reported.

Known defects are reported as warnings (see the report of ``parse_course_document``): the ML
document's ticket 6 is only a header, both documents end with web-page boilerplate, the DL
course's reference code is flattened and the ML course's is deindented (restored by
``code_restoration``). An item left incomplete by the end of the file raises ``SeedError``.
"""

from __future__ import annotations

import re

from seeds.parsers.course_activities import (
    CASE_HEADER,
    MINDMAP_HEADER,
    ROLEPLAY_HEADER,
    parse_case,
    parse_mindmap,
    parse_roleplay,
)
from seeds.parsers.course_tickets import TICKET_HEADER, parse_ticket
from seeds.parsers.records import (
    LAYOUT_COURSE_DOCUMENT,
    MCQ,
    Course,
    LearningFormat,
    Literature,
    MCQOption,
    Outcome,
    ParsedSeed,
    QAItem,
    Record,
    RelatedCourse,
    Requirement,
    SyllabusTopic,
)
from seeds.parsers.source import SeedText, bullet, is_separator, strip_item_separator

_TOPICS = "Что предстоит пройти:"
_OUTCOMES_GROUP = "Ожидаемые результаты:"
_REQUIREMENTS = "Требования к слушателям:"
_FORMAT = "Формат обучения:"
_OUTCOME_HEADING = re.compile(r"^.*\b(знать|уметь):$")
_OPTION = re.compile(r"^([A-Z])\)\s*(.+)$")
_MCQ_ANSWER = re.compile(r"^(?:Правильный ответ|Ответ):\s*([A-Z])(?:\)\s*(.*))?$")
_LITERATURE = re.compile(r'^(\d+)\.\s+(?:([^"]+?):\s*)?"([^"]+)"\s*(?:—\s*(.*))?$')
_RELATED_ML = re.compile(r'^- Курс:\s*"?(.*?)"?\s*$')
_ANNOUNCEMENT = re.compile(r"^Анонс:\s*(.*)$")
_DETAIL = re.compile(r"^- ([^:]{1,40}):\s*(.*)$")
BOILERPLATE = frozenset({"Нет элементов для просмотра"})

_ANCHORS = (TICKET_HEADER, CASE_HEADER, ROLEPLAY_HEADER, MINDMAP_HEADER)


def looks_like_course_document(lines: tuple[str, ...]) -> bool:
    head = [line.strip() for line in lines[:40]]
    return _TOPICS in head or any(TICKET_HEADER.match(line.strip()) for line in lines)


def parse_course_document(file: str, text: str) -> ParsedSeed:
    seed = SeedText(file, text)
    last = _last_content_line(seed)
    anchors = [
        row
        for row in range(1, last + 1)
        if any(pattern.match(seed.line(row)) for pattern in _ANCHORS)
    ]
    records: list[Record] = []
    front_end = (anchors[0] - 1) if anchors else last
    course, cursor = _front_matter(seed, front_end, at_eof=not anchors)
    records.append(course)
    records.extend(_question_blocks(seed, cursor, front_end, at_eof=not anchors))
    tail_start = None
    for index, first in enumerate(anchors):
        region_last = _trim(
            seed, first, anchors[index + 1] - 1 if index + 1 < len(anchors) else last
        )
        at_eof = index + 1 == len(anchors) and region_last == last
        header = seed.line(first)
        if TICKET_HEADER.match(header):
            ticket = parse_ticket(seed, first, region_last, at_eof=at_eof)
            if ticket is not None:
                records.append(ticket)
        elif CASE_HEADER.match(header):
            records.append(parse_case(seed, first, region_last, at_eof=at_eof))
        elif ROLEPLAY_HEADER.match(header):
            records.append(parse_roleplay(seed, first, region_last, at_eof=at_eof))
        else:
            mindmap, end = parse_mindmap(seed, first, region_last, at_eof=at_eof)
            if mindmap is not None:
                records.append(mindmap)
            if end < region_last:
                if index + 1 < len(anchors):
                    rows = [n for n in range(end + 1, region_last + 1) if seed.line(n)]
                    seed.warn(rows[0], "unparsed", "lines after a mind map", rows)
                else:
                    tail_start = end + 1
    if tail_start is not None:
        records.extend(_back_matter(seed, tail_start, last))
    elif anchors:
        # A course document ends with its literature and related courses; a file that stops
        # inside a ticket, a case, a game or a mind map was cut, even where the item it stops
        # in happens to look complete.
        raise seed.error(
            anchors[-1],
            f"the file ends inside {seed.line(anchors[-1])!r}: the literature and related "
            "courses that end a course document are missing (is the file cut?)",
        )
    _report_trailing_boilerplate(seed, last)
    return ParsedSeed(
        file=file,
        layout=LAYOUT_COURSE_DOCUMENT,
        records=tuple(records),
        warnings=tuple(seed.warnings),
        lines=seed.lines,
    )


def _last_content_line(seed: SeedText) -> int:
    """The last line that is neither blank nor boilerplate."""
    for row in range(len(seed), 0, -1):
        text = seed.line(row)
        if text and text not in BOILERPLATE:
            return row
    raise seed.error(1, "the file has no content")


def _report_trailing_boilerplate(seed: SeedText, last: int) -> None:
    rows = [n for n in range(last + 1, len(seed) + 1) if seed.line(n)]
    if rows:
        seed.warn(
            rows[0],
            "boilerplate",
            "skipped web-page boilerplate: " + "; ".join(repr(seed.line(n)) for n in rows),
            rows,
        )


def _trim(seed: SeedText, first: int, last: int) -> int:
    while last > first and not seed.line(last):
        last -= 1
    return last


# --- 1. title, description, syllabus -------------------------------------------------------------


def _front_matter(seed: SeedText, last: int, *, at_eof: bool) -> tuple[Course, int]:
    title = seed.line(1)
    row = 2
    description: list[str] = []
    while row <= last and not _is_syllabus_heading(seed.line(row)):
        if is_separator(seed.line(row)):
            break
        if seed.line(row):
            description.append(seed.line(row))
        row += 1
    if row > last and at_eof:
        raise seed.error(1, "the file ends inside the course description")
    topics: list[SyllabusTopic] = []
    outcomes: list[Outcome] = []
    requirements: list[Requirement] = []
    formats: list[LearningFormat] = []
    heading = ""
    while row <= last and not is_separator(seed.line(row)):
        text = seed.line(row)
        if not text:
            row += 1
            continue
        if _is_syllabus_heading(text):
            heading = text
            row += 1
            continue
        item = bullet(text)
        value = item if item is not None else text
        common = {"source_file": seed.file, "first_line": row, "last_line": row}
        outcome = _OUTCOME_HEADING.match(heading)
        if heading == _TOPICS:
            topics.append(SyllabusTopic(**common, position=len(topics) + 1, text=value))
        elif outcome:
            category = outcome.group(1)
            position = sum(1 for o in outcomes if o.category == category) + 1
            outcomes.append(Outcome(**common, category=category, position=position, text=value))
        elif heading == _REQUIREMENTS:
            requirements.append(Requirement(**common, text=value))
        elif heading == _FORMAT:
            formats.append(LearningFormat(**common, text=value))
        else:
            seed.warn(row, "unparsed", "a syllabus line under no known heading", [row])
        row += 1
    if row > last and at_eof:
        raise seed.error(row - 1, "the file ends inside the syllabus")
    course = Course(
        source_file=seed.file,
        first_line=1,
        last_line=_trim(seed, 1, row - 1),
        title=title,
        description="\n".join(description),
        topics=tuple(topics),
        outcomes=tuple(outcomes),
        requirements=tuple(requirements),
        formats=tuple(formats),
    )
    return course, row


def _is_syllabus_heading(text: str) -> bool:
    return text in (_TOPICS, _OUTCOMES_GROUP, _REQUIREMENTS, _FORMAT) or bool(
        _OUTCOME_HEADING.match(text)
    )


# --- 2. Q&A and MCQ blocks -----------------------------------------------------------------------


def _question_blocks(seed: SeedText, first: int, last: int, *, at_eof: bool) -> list[Record]:
    records: list[Record] = []
    blocks = {"qa": 0, "mcq": 0}
    new_block = True
    row = first
    while row <= last:
        text = seed.line(row)
        if not text:
            row += 1
            continue
        if is_separator(text):
            new_block = True
            row += 1
            continue
        following = seed.line(row + 1) if row + 1 <= last else ""
        after = seed.line(row + 2) if row + 2 <= last else ""
        if _OPTION.match(following) and not _OPTION.match(text):
            kind = "mcq"
        elif (
            following
            and not is_separator(following)
            and not _OPTION.match(text)
            and not _OPTION.match(following)
            and not _OPTION.match(after)  # then ``following`` opens an MCQ
        ):
            kind = "qa"
        else:
            if at_eof and row + 1 > last:
                raise seed.error(row, "the file ends inside a question (no answer follows)")
            seed.warn(row, "unparsed", "a line that is neither a question nor an answer", [row])
            row += 1
            continue
        if new_block:
            blocks[kind] += 1
            new_block = False
        if kind == "mcq":
            mcq, row = _mcq(seed, row, last, blocks[kind], at_eof=at_eof)
            if mcq is not None:
                records.append(mcq)
        else:
            records.append(
                QAItem(
                    source_file=seed.file,
                    first_line=row,
                    last_line=row + 1,
                    question=strip_item_separator(text),
                    answer=strip_item_separator(following),
                    block=blocks[kind],
                )
            )
            row += 2
    return records


def _mcq(
    seed: SeedText, first: int, last: int, block: int, *, at_eof: bool
) -> tuple[MCQ | None, int]:
    options: list[MCQOption] = []
    row = first + 1
    while row <= last and (match := _OPTION.match(seed.line(row))):
        options.append(MCQOption(letter=match.group(1), text=match.group(2).strip(), line=row))
        row += 1
    answer = _MCQ_ANSWER.match(strip_item_separator(seed.line(row))) if row <= last else None
    if answer is None:
        if at_eof and row > last:
            raise seed.error(first, "the file ends inside a multiple-choice question")
        seed.warn(
            first,
            "unparsed",
            "a multiple-choice question without an answer line",
            range(first, row),
        )
        return None, row
    letters = [option.letter for option in options]
    expected = [chr(ord("A") + i) for i in range(len(options))]
    if letters != expected:
        seed.warn(first, "mcq_letters", f"options are lettered {''.join(letters)}")
    letter, stated = answer.group(1), (answer.group(2) or "").strip()
    if letter not in letters:
        seed.warn(
            row,
            "mcq_bad_answer",
            f"the answer letter {letter} names no option; the question was skipped",
            range(first, row + 1),
        )
        return None, row + 1
    index = letters.index(letter)
    mcq = MCQ(
        source_file=seed.file,
        first_line=first,
        last_line=row,
        question=strip_item_separator(seed.line(first)),
        options=tuple(options),
        correct_index=index,
        stated_answer_text=stated,
        block=block,
    )
    if mcq.stated_answer_disagrees:
        seed.warn(
            row,
            "mcq_answer_mismatch",
            f"the stated answer {stated!r} differs from option {letter}) {options[index].text!r}",
        )
    return mcq, row + 1


# --- 4. literature and related courses -----------------------------------------------------------


def _back_matter(seed: SeedText, first: int, last: int) -> list[Record]:
    records: list[Record] = []
    row = first
    while row <= last:
        text = seed.line(row)
        if not text or is_separator(text):
            row += 1
            continue
        if literature := _LITERATURE.match(text):
            entry, row = _literature(seed, row, last, literature)
            records.append(entry)
            continue
        if related := _RELATED_ML.match(text):
            announcement_line = row + 1
            announcement = (
                _ANNOUNCEMENT.match(seed.line(announcement_line))
                if announcement_line <= last
                else None
            )
            if announcement is None:
                if announcement_line > last:
                    raise seed.error(row, "the file ends inside a related course announcement")
                seed.warn(row, "unparsed", "a related course without its announcement", [row])
                row += 1
                continue
            records.append(
                RelatedCourse(
                    source_file=seed.file,
                    first_line=row,
                    last_line=announcement_line,
                    title=related.group(1),
                    announcement=strip_item_separator(announcement.group(1)),
                )
            )
            row += 2
            continue
        following = seed.line(row + 1) if row + 1 <= last else ""
        if following and not is_separator(following) and not text.endswith(" -"):
            records.append(
                RelatedCourse(
                    source_file=seed.file,
                    first_line=row,
                    last_line=row + 1,
                    title=text,
                    announcement=strip_item_separator(following),
                )
            )
            row += 2
            continue
        if row == last:
            raise seed.error(row, "the file ends inside a related course announcement")
        seed.warn(row, "unparsed", "a line after the literature that is not a course", [row])
        row += 1
    return records


def _literature(
    seed: SeedText, first: int, last: int, match: re.Match[str]
) -> tuple[Literature, int]:
    details: list[tuple[str, str]] = []
    row = first + 1
    while (
        row <= last
        and not _RELATED_ML.match(seed.line(row))
        and (detail := _DETAIL.match(seed.line(row)))
    ):
        details.append((detail.group(1).strip(), detail.group(2).strip()))
        row += 1
    if not details and row > last:
        raise seed.error(first, "the file ends inside a literature entry")
    prefix = (match.group(2) or "").strip()
    material_type = prefix or dict(details).get("Тип", "")
    entry = Literature(
        source_file=seed.file,
        first_line=first,
        last_line=row - 1,
        number=int(match.group(1)),
        title=match.group(3).strip(),
        authors=(match.group(4) or "").strip(),
        material_type=material_type,
        citation=seed.line(first),
        details=tuple(details),
    )
    return entry, row
