"""Plain typed records produced by the seed parsers (no Django, no ORM).

Every record is a frozen dataclass that knows its ``kind`` (one of the names in ``KINDS``), the
seed file it came from and its line range (1-based, inclusive). Some records hold nested records
(a course holds its syllabus parts, a ticket holds its theory questions and its practical task);
``Record.nested()`` lists them so that a caller can walk every record with ``iter_records``.

Line ranges of nested records lie inside the range of their parent. A ticket of the
"Machine Learning Engineer" document lists its questions first and their answers later, so the
range of one of its theory questions may overlap the range of the other one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from seeds.parsers.messages import Message, Plural

# Kind names, used as ``Record.kind`` and in reports. The first group is the team's vocabulary;
# the second group holds the extra kinds these documents have.
QA = "qa"
MCQ_KIND = "mcq"  # not MCQ: that name is the record class below
TICKET = "ticket"
TICKET_THEORY_QUESTION = "ticket_theory_question"
PRACTICAL_TASK = "practical_task"
CASE = "case"
ROLEPLAY = "roleplay"
MINDMAP = "mindmap"
LITERATURE = "literature"
RELATED_COURSE = "related_course"
OUTCOME = "outcome"
SYLLABUS_TOPIC = "syllabus_topic"
COURSE = "course"
REQUIREMENT = "requirement"
LEARNING_FORMAT = "format"
QA_COLLECTION = "qa_collection"
# Not content: an item the import refuses but whose place it keeps (see ``RefusedItem``).
REFUSED = "refused"

KINDS = (
    QA,
    MCQ_KIND,
    TICKET,
    TICKET_THEORY_QUESTION,
    PRACTICAL_TASK,
    CASE,
    ROLEPLAY,
    MINDMAP,
    LITERATURE,
    RELATED_COURSE,
    OUTCOME,
    SYLLABUS_TOPIC,
    COURSE,
    REQUIREMENT,
    LEARNING_FORMAT,
    QA_COLLECTION,
)

# Layout names, one per parser.
LAYOUT_COURSE_DOCUMENT = "course_document"
LAYOUT_INTERVIEW_LIST = "interview_list"
LAYOUT_TELEGRAM = "telegram"


class SeedError(Exception):
    """A seed that cannot be imported at all: bad encoding, binary, empty, too large,
    no known layout, or a file that ends in the middle of an item.

    Parsers raise it instead of returning a partial result. ``message`` is the English text;
    ``detail`` keeps its msgid and parameters for translation (seeds.report.translate).
    """

    def __init__(
        self, file: str, line: int, message: str | Plural | Message, **params: Any
    ) -> None:
        self.detail = Message.of(message, params)
        self.file = file
        self.line = line
        self.message = str(self.detail)
        super().__init__(f"{file}:{line}: {self.message}")


@dataclass(frozen=True, kw_only=True)
class SeedWarning:
    """Something the importer should know about: a fragment that was skipped, a defect in an
    item, code that could not be restored. ``lines`` names every seed line the warning covers
    (it may be empty when the warning is about a record that covers its own lines).
    ``detail`` is the message as msgid and parameters; ``message`` its English text."""

    file: str
    line: int
    code: str
    detail: Message
    lines: tuple[int, ...] = ()

    @property
    def message(self) -> str:
        return str(self.detail)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.code}] {self.message}"


def seed_warning(
    file: str,
    line: int,
    code: str,
    message: str | Plural | Message,
    lines: Iterable[int] = (),
    params: Mapping[str, Any] | None = None,
) -> SeedWarning:
    return SeedWarning(
        file=file,
        line=line,
        code=code,
        detail=Message.of(message, params or {}),
        lines=tuple(lines),
    )


@dataclass(frozen=True, kw_only=True)
class Record:
    """Base of all records: the source file name and the line range."""

    kind: str = field(init=False, default="")
    source_file: str
    first_line: int
    last_line: int

    def nested(self) -> tuple[Record, ...]:
        return ()

    @property
    def source(self) -> str:
        return f"{self.source_file}:{self.first_line}-{self.last_line}"


# --- course documents: the course and its syllabus -----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SyllabusTopic(Record):
    """One "- ..." line under "Что предстоит пройти:"."""

    kind: str = field(init=False, default=SYLLABUS_TOPIC)
    position: int
    text: str


@dataclass(frozen=True, kw_only=True)
class Outcome(Record):
    """An expected learning outcome; ``category`` is "знать" or "уметь"."""

    kind: str = field(init=False, default=OUTCOME)
    category: str
    position: int
    text: str


@dataclass(frozen=True, kw_only=True)
class Requirement(Record):
    """A prerequisite under "Требования к слушателям:"."""

    kind: str = field(init=False, default=REQUIREMENT)
    text: str


@dataclass(frozen=True, kw_only=True)
class LearningFormat(Record):
    """The course format under "Формат обучения:"."""

    kind: str = field(init=False, default=LEARNING_FORMAT)
    text: str


@dataclass(frozen=True, kw_only=True)
class Course(Record):
    """The course itself: title, description and the syllabus parts that follow them."""

    kind: str = field(init=False, default=COURSE)
    title: str
    description: str
    topics: tuple[SyllabusTopic, ...]
    outcomes: tuple[Outcome, ...]
    requirements: tuple[Requirement, ...]
    formats: tuple[LearningFormat, ...]

    def nested(self) -> tuple[Record, ...]:
        return (*self.topics, *self.outcomes, *self.requirements, *self.formats)


@dataclass(frozen=True, kw_only=True)
class QACollection(Record):
    """The title of a question list that is not a course (the interview list, the channel)."""

    kind: str = field(init=False, default=QA_COLLECTION)
    title: str
    description: str


# --- question banks ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Reaction:
    """One reaction count under a Telegram post ("👍4"). ``emoji`` is empty where the export
    lost it ("4👍2": four reactions of an unknown kind, then two 👍)."""

    emoji: str
    count: int


@dataclass(frozen=True, kw_only=True)
class QAItem(Record):
    """A question with its answer. ``block`` is the 1-based number of the "-"-separated block of
    a course document (None elsewhere); ``number`` the question's own number where the seed
    numbers them; ``tags`` and ``reactions`` come from the Telegram channel."""

    kind: str = field(init=False, default=QA)
    question: str
    answer: str
    block: int | None = None
    number: int | None = None
    tags: tuple[str, ...] = ()
    reactions: tuple[Reaction, ...] = ()


@dataclass(frozen=True, kw_only=True)
class MCQOption:
    letter: str
    text: str
    line: int


@dataclass(frozen=True, kw_only=True)
class MCQ(Record):
    """A multiple-choice question. ``correct_index`` indexes ``options``; ``stated_answer_text``
    is the text after the letter in the answer line ("Ответ: C) text"), empty where the seed
    gives only the letter ("Правильный ответ: C")."""

    kind: str = field(init=False, default=MCQ_KIND)
    question: str
    options: tuple[MCQOption, ...]
    correct_index: int
    stated_answer_text: str
    block: int

    @property
    def correct_letter(self) -> str:
        return self.options[self.correct_index].letter

    @property
    def correct_option(self) -> MCQOption:
        return self.options[self.correct_index]

    @property
    def stated_answer_disagrees(self) -> bool:
        """True when the seed's answer line repeats a text that is not the option's text."""
        return bool(self.stated_answer_text) and _normalised(
            self.stated_answer_text
        ) != _normalised(self.correct_option.text)


def _normalised(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split()).rstrip(".")


@dataclass(frozen=True, kw_only=True)
class RefusedItem(Record):
    """An item of kind ``refused_kind`` that the seed holds but the import refuses (an MCQ
    without exactly four options and one key). It keeps its place among the items of its kind,
    so the keys of the items after it do not shift, and the row it had in the database, if
    any, stays exactly as it was. The reason is reported as a warning."""

    kind: str = field(init=False, default=REFUSED)
    refused_kind: str


# --- exam tickets --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TicketTheoryQuestion(Record):
    kind: str = field(init=False, default=TICKET_THEORY_QUESTION)
    ticket_number: int
    position: int
    question: str
    reference_answer: str
    question_line: int
    answer_first_line: int
    answer_last_line: int


@dataclass(frozen=True, kw_only=True)
class BlockEndGuess:
    """A place where restoring the code's indentation had to guess where a block ends: the
    seed does not record it. ``line`` is the line of the restored code that was moved out of
    the block opened by ``header`` (on restored line ``header_line``); ``seed_line`` is the
    seed line that holds it; ``reason`` names the rule that decided."""

    line: int
    header_line: int
    header: str
    statement: str
    reason: str
    seed_line: int = 0


@dataclass(frozen=True, kw_only=True)
class ReferenceCode:
    """The reference solution of a practical task.

    ``seed_text`` is the code as the seed holds it (one flattened line, or lines without their
    indentation); ``restored_text`` is real, indented Python when ``restored`` is true, and a copy
    of ``seed_text`` otherwise, with ``problem`` saying why. ``guesses`` lists the block ends
    that restoration had to guess.
    """

    seed_text: str
    restored_text: str
    restored: bool
    seed_form: str  # "flattened" or "deindented"
    problem: str = ""
    problem_detail: Message | None = None  # ``problem`` for people, to translate
    guesses: tuple[BlockEndGuess, ...] = ()
    # For each line of restored_text, the line of seed_text it comes from (1-based; 0 for a
    # blank line restoration added). Empty when the code was not restored.
    line_rows: tuple[int, ...] = ()

    def seed_row(self, restored_line: int) -> int:
        """The line of seed_text that holds a line of restored_text (1 when unknown)."""
        if 1 <= restored_line <= len(self.line_rows):
            return self.line_rows[restored_line - 1] or 1
        return 1


@dataclass(frozen=True, kw_only=True)
class PracticalTask(Record):
    """The practical part of a ticket. ``notes`` lists what a grader must know about the
    reference code (network access, removed APIs, names it never defines) in English;
    ``code_warnings`` are the import's warnings about the code (those notes, block ends that
    restoration guessed), to show next to it."""

    kind: str = field(init=False, default=PRACTICAL_TASK)
    ticket_number: int
    text: str
    code: ReferenceCode
    code_first_line: int
    code_last_line: int
    notes: tuple[str, ...] = ()
    code_warnings: tuple[SeedWarning, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Ticket(Record):
    kind: str = field(init=False, default=TICKET)
    number: int
    theory_questions: tuple[TicketTheoryQuestion, ...]
    practical_task: PracticalTask

    def nested(self) -> tuple[Record, ...]:
        return (*self.theory_questions, self.practical_task)


# --- cases, role-play games, mind maps -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Section:
    """A titled part of a case or a role-play game; ``text`` keeps the seed lines joined by
    newlines."""

    title: str
    text: str
    first_line: int
    last_line: int


@dataclass(frozen=True, kw_only=True)
class CaseStudy(Record):
    kind: str = field(init=False, default=CASE)
    number: int
    title: str
    sections: tuple[Section, ...]


@dataclass(frozen=True, kw_only=True)
class Role:
    title: str
    duties: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Stage:
    number: int
    title: str
    duration: str  # e.g. "15 мин"; empty where the seed gives none
    text: str


@dataclass(frozen=True, kw_only=True)
class RolePlay(Record):
    """A role-play game. The named parts are parsed into fields; ``sections`` keeps every part
    as in the seed (including "Дополнительно" of the ML course)."""

    kind: str = field(init=False, default=ROLEPLAY)
    number: int
    title: str
    goal: str
    format: str
    setting: str
    roles: tuple[Role, ...]
    stages: tuple[Stage, ...]
    effects: tuple[str, ...]
    challenges: tuple[str, ...]
    results: str
    extra: str
    sections: tuple[Section, ...]


@dataclass(frozen=True, kw_only=True)
class MindMapNode:
    label: str
    line: int
    children: tuple[MindMapNode, ...] = ()

    def walk(self) -> Iterator[MindMapNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, kw_only=True)
class MindMap(Record):
    """A mind map as a tree: the central node is the root, branches are its children and the
    "- ..." items under a branch are the branch's children. ``branches_title`` is the heading
    above the branches ("Основные ветки" or "Основные этапы")."""

    kind: str = field(init=False, default=MINDMAP)
    number: int
    title: str
    branches_title: str
    root: MindMapNode


# --- literature and related courses --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Literature(Record):
    """A literature entry. ``material_type`` comes from "- Тип:" or from a prefix such as
    "Книга:"; ``details`` keeps every "- Label: text" line as a (label, text) pair."""

    kind: str = field(init=False, default=LITERATURE)
    number: int
    title: str
    authors: str
    material_type: str
    citation: str
    details: tuple[tuple[str, str], ...]


@dataclass(frozen=True, kw_only=True)
class RelatedCourse(Record):
    kind: str = field(init=False, default=RELATED_COURSE)
    title: str
    announcement: str


# --- the result of parsing one seed --------------------------------------------------------------


def iter_records(records: Iterable[Record]) -> Iterator[Record]:
    """Every record, nested ones included, parents before their children."""
    for record in records:
        yield record
        yield from iter_records(record.nested())


@dataclass(frozen=True, kw_only=True)
class ParsedSeed:
    """What a parser returns: top-level records (nested ones hang under them), warnings, and
    the seed's lines so that line coverage can be checked."""

    file: str
    layout: str
    records: tuple[Record, ...]
    warnings: tuple[SeedWarning, ...]
    lines: tuple[str, ...]

    def all_records(self) -> list[Record]:
        return list(iter_records(self.records))

    def of_kind(self, kind: str) -> list[Record]:
        return [record for record in iter_records(self.records) if record.kind == kind]

    def count_by_kind(self) -> dict[str, int]:
        return dict(Counter(record.kind for record in iter_records(self.records)))

    def warnings_with_code(self, code: str) -> list[SeedWarning]:
        return [warning for warning in self.warnings if warning.code == code]

    def uncovered_lines(self) -> list[int]:
        """Line numbers that are neither blank, nor a bare "-" separator, nor inside a top-level
        record, nor named by a warning. An honest parse leaves this list empty."""
        covered = bytearray(len(self.lines) + 2)
        for record in self.records:
            for number in range(record.first_line, record.last_line + 1):
                covered[number] = 1
        for warning in self.warnings:
            for number in warning.lines:
                covered[number] = 1
        return [
            number
            for number, line in enumerate(self.lines, start=1)
            if not covered[number] and line.strip() not in ("", "-")
        ]
