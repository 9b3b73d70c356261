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
from seeds.parsers.messages import Message, gettext_noop, ngettext
from seeds.parsers.records import (
    LAYOUT_COURSE_DOCUMENT,
    MCQ,
    MCQ_KIND,
    Course,
    LearningFormat,
    Literature,
    MCQOption,
    Outcome,
    ParsedSeed,
    QAItem,
    Record,
    RefusedItem,
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
_ANSWER_LINE = re.compile(r"^(?:Правильный ответ|Ответ):\s*(.*)$")
_ONE_KEY = re.compile(r"^([A-Z])(?:\)\s*(.*))?$")
_KEY_LETTER = re.compile(r"\b([A-Z])\b")
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
    _check_negated_twins(seed, [record for record in records if isinstance(record, MCQ)])
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
                    seed.warn(rows[0], "unparsed", gettext_noop("lines after a mind map"), rows)
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
            gettext_noop(
                "the file ends inside «%(item)s»: the literature and related courses that end "
                "a course document are missing (is the file cut?)"
            ),
            item=seed.line(anchors[-1]),
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
    raise seed.error(1, gettext_noop("the file has no content"))


def _report_trailing_boilerplate(seed: SeedText, last: int) -> None:
    rows = [n for n in range(last + 1, len(seed) + 1) if seed.line(n)]
    if rows:
        seed.warn(
            rows[0],
            "boilerplate",
            gettext_noop("skipped web-page boilerplate: %(texts)s"),
            rows,
            texts="; ".join(f"«{seed.line(n)}»" for n in rows),
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
        raise seed.error(1, gettext_noop("the file ends inside the course description"))
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
            seed.warn(
                row, "unparsed", gettext_noop("a syllabus line under no known heading"), [row]
            )
        row += 1
    if row > last and at_eof:
        raise seed.error(row - 1, gettext_noop("the file ends inside the syllabus"))
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
                raise seed.error(
                    row, gettext_noop("the file ends inside a question (no answer follows)")
                )
            seed.warn(
                row,
                "unparsed",
                gettext_noop("a line that is neither a question nor an answer"),
                [row],
            )
            row += 1
            continue
        if new_block:
            blocks[kind] += 1
            new_block = False
        if kind == "mcq":
            mcq, row = _mcq(seed, row, last, blocks[kind], at_eof=at_eof)
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


MCQ_OPTION_LETTERS = ("A", "B", "C", "D")


def _mcq(
    seed: SeedText, first: int, last: int, block: int, *, at_eof: bool
) -> tuple[MCQ | RefusedItem, int]:
    """An MCQ: exactly four options A) to D) and an answer line naming one of them. Anything
    else is refused with its reasons (file:line) and keeps its place (see RefusedItem)."""
    options: list[MCQOption] = []
    row = first + 1
    while row <= last and (match := _OPTION.match(seed.line(row))):
        options.append(MCQOption(letter=match.group(1), text=match.group(2).strip(), line=row))
        row += 1
    answer = _ANSWER_LINE.match(strip_item_separator(seed.line(row))) if row <= last else None
    if answer is None and at_eof and row > last:
        raise seed.error(first, gettext_noop("the file ends inside a multiple-choice question"))
    letters = [option.letter for option in options]
    reasons: list[Message] = []
    if len(options) != len(MCQ_OPTION_LETTERS):
        reasons.append(
            Message.of(
                ngettext(
                    "it has %(count)d option, not four",
                    "it has %(count)d options, not four",
                    len(options),
                ),
                {"count": len(options)},
            )
        )
    elif tuple(letters) != MCQ_OPTION_LETTERS:
        reasons.append(
            Message(
                gettext_noop("its options are lettered %(letters)s, not ABCD"),
                {"letters": "".join(letters)},
            )
        )
    key: re.Match[str] | None = None
    if answer is None:
        reasons.append(Message(gettext_noop("no answer line follows its options")))
    else:
        key = _ONE_KEY.match(answer.group(1).strip())
        named = sorted(set(_KEY_LETTER.findall(answer.group(1))))
        if key is None and len(named) > 1:
            reasons.append(
                Message(
                    gettext_noop("its answer line names %(count)d keys (%(letters)s), not one"),
                    {"count": len(named), "letters": ", ".join(named)},
                )
            )
        elif key is None:
            reasons.append(Message(gettext_noop("its answer line names no key (A to D)")))
        elif key.group(1) not in letters:
            reasons.append(
                Message(
                    gettext_noop("the key %(letter)s names no option"),
                    {"letter": key.group(1)},
                )
            )
    end = row if answer is not None else row - 1
    if reasons:
        seed.warn(
            first,
            "mcq_refused",
            gettext_noop(
                "multiple-choice question refused: %(reasons)s; a question needs exactly four "
                "options (A-D) and one key. Nothing was written for it; its row, if imported "
                "before, is kept as it was"
            ),
            range(first, end + 1),
            reasons=Message(
                "; ".join(["%(r" + str(i) + ")s" for i in range(len(reasons))]),
                {f"r{i}": reason for i, reason in enumerate(reasons)},
            ),
        )
        refused = RefusedItem(
            source_file=seed.file, first_line=first, last_line=end, refused_kind=MCQ_KIND
        )
        return refused, end + 1
    assert key is not None
    letter, stated = key.group(1), (key.group(2) or "").strip()
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
            gettext_noop(
                "the stated answer «%(stated)s» differs from option %(letter)s) «%(text)s»"
            ),
            stated=stated,
            letter=letter,
            text=options[index].text,
        )
    return mcq, row + 1


# How a multiple-choice stem says what it asks about: "Какой из следующих методов (не)
# используется для <subject>?".
_STEM_VERBS = frozenset({"используется", "влияет", "важен", "учитывается", "применяется"})
_STEM_WORD = re.compile(r"[a-zа-я0-9/-]+")
_TWIN_SUBJECT_SIMILARITY = 0.5


def _stem(question: str) -> tuple[bool, str, frozenset[str]] | None:
    """(negated, verb, subject words) of a "which of these is (not) <verb> <subject>" stem."""
    words = _STEM_WORD.findall(question.lower().replace("ё", "е"))
    negated = "не" in words
    words = [word for word in words if word != "не"]
    for index, word in enumerate(words):
        if word in _STEM_VERBS:
            return negated, word, frozenset(words[index + 1 :])
    return None


def _check_negated_twins(seed: SeedText, mcqs: list[MCQ]) -> None:
    """Report two MCQs that ask the same question, one of them negated ("используется" /
    "не используется"), when their keys do not confirm each other.

    Read together, such twins make claims about shared options: the first's key is used for
    the subject, the second's key is not. When each key is an option of the other question
    too, the pair checks itself (the one's key is the other's distractor). When not, their
    keys make claims neither question confirms and that can contradict each other; the
    author must look at both (003 lines 322 and 443 on gradient checkpointing).
    """
    stems = [(mcq, _stem(mcq.question)) for mcq in mcqs]
    for index, (first, first_stem) in enumerate(stems):
        for second, second_stem in stems[index + 1 :]:
            if first_stem is None or second_stem is None:
                continue
            if first_stem[0] == second_stem[0] or first_stem[1] != second_stem[1]:
                continue
            union = first_stem[2] | second_stem[2]
            if not union or len(first_stem[2] & second_stem[2]) / len(union) < (
                _TWIN_SUBJECT_SIMILARITY
            ):
                continue
            first_texts = {_normalised_option(o.text) for o in first.options}
            second_texts = {_normalised_option(o.text) for o in second.options}
            shared = first_texts & second_texts
            keys = {
                _normalised_option(first.correct_option.text),
                _normalised_option(second.correct_option.text),
            }
            if not shared or keys <= shared:
                continue
            positive, negated = (second, first) if first_stem[0] else (first, second)
            seed.warn(
                second.first_line,
                "mcq_negated_twin",
                gettext_noop(
                    "the multiple-choice questions at lines %(positive_line)d and "
                    "%(negated_line)d ask the same question, the second negated, but their keys "
                    "do not confirm each other: line %(positive_line)d keys «%(positive_key)s», "
                    "line %(negated_line)d keys «%(negated_key)s» as the exception, and they "
                    "share only %(shared)s; check both keys together"
                ),
                positive_line=positive.first_line,
                negated_line=negated.first_line,
                positive_key=positive.correct_option.text,
                negated_key=negated.correct_option.text,
                shared=", ".join(
                    f"«{o.text}»" for o in positive.options if _normalised_option(o.text) in shared
                ),
            )


def _normalised_option(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split()).rstrip(".")


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
                    raise seed.error(
                        row, gettext_noop("the file ends inside a related course announcement")
                    )
                seed.warn(
                    row,
                    "unparsed",
                    gettext_noop("a related course without its announcement"),
                    [row],
                )
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
            raise seed.error(
                row, gettext_noop("the file ends inside a related course announcement")
            )
        seed.warn(
            row,
            "unparsed",
            gettext_noop("a line after the literature that is not a course"),
            [row],
        )
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
        raise seed.error(first, gettext_noop("the file ends inside a literature entry"))
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
