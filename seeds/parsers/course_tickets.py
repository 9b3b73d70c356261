"""Exam tickets of the course documents ("Экзаменационный билет №N"), both variants.

DL course (000)::

    Экзаменационный билет №1
    Теоретическая часть:
    -
    <question>
    Ответ: <answer> -
    <question>
    Ответ: <answer>
    Практическая часть:
    - <task>
    Ответ:<the whole program flattened onto one line>

ML course (003): the questions come first as "- " lines, then "Ответы на теоретическую часть:"
and the answers (several lines each, "-"-separated); the practical task is followed by the
program with every line at column 0. Its ticket 6 is only a header (the document was cut there).

A ticket without theory questions or without a practical task is reported as
``truncated_ticket`` and yields no record; at the very end of a file it means the file was cut
in the middle of the ticket, which is a ``SeedError``.
"""

from __future__ import annotations

import re

from seeds.parsers.code_checks import code_notes
from seeds.parsers.code_restoration import (
    GUESS_LAST_LINE,
    GUESS_OUTER_LOOP,
    GUESS_RETURN,
    GUESS_SECTION,
    restore_deindented,
    restore_flattened,
)
from seeds.parsers.messages import Message, gettext_noop
from seeds.parsers.records import (
    PracticalTask,
    ReferenceCode,
    Ticket,
    TicketTheoryQuestion,
)
from seeds.parsers.source import SeedText, bullet, is_separator, strip_item_separator

TICKET_HEADER = re.compile(r"^Экзаменационный билет №\s*(\d+)\s*$")
_THEORY = "Теоретическая часть:"
_THEORY_ANSWERS = "Ответы на теоретическую часть:"
_PRACTICE = "Практическая часть:"
_ANSWER = re.compile(r"^Ответ:\s*")


class _Incomplete(Exception):
    def __init__(self, reason: str, **params: object) -> None:
        self.reason = Message(reason, params)
        super().__init__(str(self.reason))


# A heading glued to the bullet list it introduces ("Основные компоненты:- Offline ...").
_GLUED_BULLET = re.compile(r"^(?P<heading>.*\S:)\s?- (?P<item>\S.*)$")

_GUESS_REASONS = {
    GUESS_RETURN: gettext_noop("a return that uses none of the block's variables leaves it"),
    GUESS_OUTER_LOOP: gettext_noop("the line uses only the outer loop's variable"),
    GUESS_SECTION: gettext_noop("a section comment starts a new part of the script"),
    GUESS_LAST_LINE: gettext_noop("the program's last line uses none of the loop's variables"),
}


def parse_ticket(seed: SeedText, first: int, last: int, *, at_eof: bool) -> Ticket | None:
    """Parse the ticket on lines ``first``..``last`` (inclusive, trailing blanks excluded)."""
    header = TICKET_HEADER.match(seed.line(first))
    assert header is not None
    number = int(header.group(1))
    try:
        return _parse(seed, number, first, last, at_eof=at_eof)
    except _Incomplete as incomplete:
        if at_eof:
            raise seed.error(
                first,
                gettext_noop("the file ends inside exam ticket №%(number)d: %(reason)s"),
                number=number,
                reason=incomplete.reason,
            ) from None
        seed.warn(
            first,
            "truncated_ticket",
            gettext_noop(
                "exam ticket №%(number)d is incomplete (%(reason)s); no ticket was created"
            ),
            range(first, last + 1),
            number=number,
            reason=incomplete.reason,
        )
        return None


def _parse(seed: SeedText, number: int, first: int, last: int, *, at_eof: bool) -> Ticket:
    cursor = first + 1
    if cursor > last or seed.line(cursor) != _THEORY:
        raise _Incomplete(gettext_noop("no theory part"))
    cursor += 1
    practice = next(
        (n for n in range(cursor, last + 1) if seed.line(n) == _PRACTICE),
        None,
    )
    if practice is None:
        raise _Incomplete(gettext_noop("no practical part"))
    theory_end = practice - 1
    if cursor <= theory_end and is_separator(seed.line(cursor)):
        questions = _theory_inline(seed, number, cursor + 1, theory_end)
    else:
        questions = _theory_grouped(seed, number, cursor, theory_end)
    if not questions:
        raise _Incomplete(gettext_noop("no theory questions"))
    task = _practical(seed, number, practice, last, at_eof=at_eof)
    return Ticket(
        source_file=seed.file,
        first_line=first,
        last_line=last,
        number=number,
        theory_questions=tuple(questions),
        practical_task=task,
    )


def _theory_inline(
    seed: SeedText, number: int, first: int, last: int
) -> list[TicketTheoryQuestion]:
    """DL layout: question line, then "Ответ: ..." line, repeated."""
    questions: list[TicketTheoryQuestion] = []
    cursor = first
    while cursor <= last:
        text = seed.line(cursor)
        if not text or is_separator(text):
            cursor += 1
            continue
        answer_line = cursor + 1
        if answer_line > last or not _ANSWER.match(seed.line(answer_line)):
            seed.warn(
                cursor,
                "unparsed",
                gettext_noop("ticket №%(number)d: a theory line without an answer line after it"),
                [cursor],
                number=number,
            )
            cursor += 1
            continue
        answer = strip_item_separator(_ANSWER.sub("", seed.line(answer_line), count=1))
        questions.append(
            TicketTheoryQuestion(
                source_file=seed.file,
                first_line=cursor,
                last_line=answer_line,
                ticket_number=number,
                position=len(questions) + 1,
                question=strip_item_separator(text),
                reference_answer=answer,
                question_line=cursor,
                answer_first_line=answer_line,
                answer_last_line=answer_line,
            )
        )
        cursor = answer_line + 1
    return questions


def _theory_grouped(
    seed: SeedText, number: int, first: int, last: int
) -> list[TicketTheoryQuestion]:
    """ML layout: "- question" lines, then the answers under "Ответы на теоретическую часть:"."""
    asked: list[tuple[int, str]] = []
    cursor = first
    while cursor <= last and seed.line(cursor) != _THEORY_ANSWERS:
        item = bullet(seed.line(cursor))
        if item is not None:
            asked.append((cursor, item))
        elif seed.line(cursor):
            seed.warn(
                cursor,
                "unparsed",
                gettext_noop("ticket №%(number)d: not a theory question"),
                [cursor],
                number=number,
            )
        cursor += 1
    if cursor > last:
        raise _Incomplete(gettext_noop("no reference answers to the theory questions"))
    answers: list[tuple[int, int, str]] = []
    block: list[int] = []

    def close_block() -> None:
        rows = [n for n in block if seed.line(n)]
        if rows:
            text = "\n".join(_unglued(seed, n, rows, number) for n in rows)
            answers.append((rows[0], rows[-1], text))
        block.clear()

    for row in range(cursor + 1, last + 1):
        if is_separator(seed.line(row)):
            close_block()
        else:
            block.append(row)
    close_block()
    if len(answers) != len(asked):
        seed.warn(
            first,
            "answer_count_mismatch",
            gettext_noop("ticket №%(number)d: %(asked)d theory questions but %(answers)d answers"),
            number=number,
            asked=len(asked),
            answers=len(answers),
        )
    questions: list[TicketTheoryQuestion] = []
    for position, ((question_line, question), answer) in enumerate(
        zip(asked, answers, strict=False), start=1
    ):
        answer_first, answer_last, answer_text = answer
        questions.append(
            TicketTheoryQuestion(
                source_file=seed.file,
                first_line=question_line,
                last_line=answer_last,
                ticket_number=number,
                position=position,
                question=question,
                reference_answer=answer_text,
                question_line=question_line,
                answer_first_line=answer_first,
                answer_last_line=answer_last,
            )
        )
    return questions


def _practical(
    seed: SeedText, number: int, heading: int, last: int, *, at_eof: bool
) -> PracticalTask:
    task_line = heading + 1
    if task_line > last or bullet(seed.line(task_line)) is None:
        raise _Incomplete(gettext_noop("no practical task"))
    task = bullet(seed.line(task_line)) or ""
    code_first = task_line + 1
    if code_first > last:
        raise _Incomplete(gettext_noop("no reference code"))
    first_code_text = seed.line(code_first)
    if _ANSWER.match(first_code_text):
        seed_code = _ANSWER.sub("", first_code_text, count=1)
        code_last = code_first
        if code_last < last:
            seed.warn(
                code_last + 1,
                "unparsed",
                gettext_noop("ticket №%(number)d: lines after the flattened reference code"),
                range(code_last + 1, last + 1),
                number=number,
            )
        code = restore_flattened(seed_code)
    else:
        code_last = last
        seed_code = "\n".join(seed.lines[code_first - 1 : code_last])
        code = restore_deindented(seed_code)
    warnings_before = len(seed.warnings)
    notes = _check_code(seed, number, code, code_first, at_eof=at_eof)
    _report_guesses(seed, number, code, code_first)
    return PracticalTask(
        source_file=seed.file,
        first_line=heading,
        last_line=code_last,
        ticket_number=number,
        text=task,
        code=code,
        code_first_line=code_first,
        code_last_line=code_last,
        notes=tuple(notes),
        code_warnings=tuple(seed.warnings[warnings_before:]),
    )


_CUT_PROBLEMS = ("cannot be tokenized", "unbalanced", "the code ends inside")


def _check_code(
    seed: SeedText, number: int, code: ReferenceCode, line: int, *, at_eof: bool
) -> list[str]:
    if not code.restored:
        if at_eof and code.problem.startswith(_CUT_PROBLEMS):
            raise _Incomplete(
                gettext_noop("the reference code is cut (%(problem)s)"), problem=code.problem
            )
        seed.warn(
            line,
            "code_not_restored",
            gettext_noop(
                "ticket №%(number)d: the reference code was kept as in the seed: %(problem)s"
            ),
            number=number,
            problem=code.problem_detail or code.problem,
        )
    network, removed, undefined = code_notes(code)
    notes: list[str] = []
    for message in network:
        seed.warn(
            line,
            "needs_network",
            gettext_noop("ticket №%(number)d: the reference solution %(problem)s"),
            number=number,
            problem=Message(message),
        )
        notes.append(f"needs network: {message}")
    for message in removed:
        seed.warn(
            line,
            "removed_api",
            gettext_noop("ticket №%(number)d: the reference solution %(problem)s"),
            number=number,
            problem=Message(message),
        )
        notes.append(f"removed API: {message}")
    if undefined:
        names = ", ".join(undefined)
        seed.warn(
            line,
            "undefined_name",
            gettext_noop(
                "ticket №%(number)d: the reference solution uses names it never imports or "
                "defines: %(names)s"
            ),
            number=number,
            names=names,
        )
        notes.append(f"undefined names: {names}")
    return notes


def _report_guesses(seed: SeedText, number: int, code: ReferenceCode, code_first: int) -> None:
    """A warning for each block end that restoration guessed, at the seed line that holds it."""
    for guess in code.guesses:
        seed.warn(
            code_first + guess.seed_line - 1,
            "block_end_guessed",
            gettext_noop(
                "ticket №%(number)d: restored line %(restored_line)d («%(statement)s») is "
                "placed after the end of «%(header)s» (line %(header_line)d), a guess: the "
                "seed does not record where blocks end (%(reason)s)"
            ),
            number=number,
            restored_line=guess.line,
            statement=_shortened(guess.statement),
            header=_shortened(guess.header),
            header_line=guess.header_line,
            reason=Message(_GUESS_REASONS[guess.reason]),
        )


def _shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unglued(seed: SeedText, row: int, rows: list[int], number: int) -> str:
    """A line that glues a heading to the first item of the bullet list under it
    ("Основные компоненты:- Offline ...") is split in two, and reported."""
    text = seed.line(row)
    glued = _GLUED_BULLET.match(text)
    following = next((n for n in rows if n > row), None)
    if glued is None or following is None or bullet(seed.line(following)) is None:
        return text
    seed.warn(
        row,
        "bullet_glued",
        gettext_noop(
            "ticket №%(number)d: the bullet «- %(item)s» is glued to the line before it "
            "(«%(heading)s»); split onto its own line"
        ),
        number=number,
        item=_shortened(glued.group("item"), 40),
        heading=glued.group("heading"),
    )
    return f"{glued.group('heading')}\n- {glued.group('item')}"
