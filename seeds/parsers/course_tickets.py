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
from seeds.parsers.code_restoration import restore_deindented, restore_flattened
from seeds.parsers.records import PracticalTask, ReferenceCode, Ticket, TicketTheoryQuestion
from seeds.parsers.source import SeedText, bullet, is_separator, strip_item_separator

TICKET_HEADER = re.compile(r"^Экзаменационный билет №\s*(\d+)\s*$")
_THEORY = "Теоретическая часть:"
_THEORY_ANSWERS = "Ответы на теоретическую часть:"
_PRACTICE = "Практическая часть:"
_ANSWER = re.compile(r"^Ответ:\s*")


class _Incomplete(Exception):
    pass


def parse_ticket(seed: SeedText, first: int, last: int, *, at_eof: bool) -> Ticket | None:
    """Parse the ticket on lines ``first``..``last`` (inclusive, trailing blanks excluded)."""
    header = TICKET_HEADER.match(seed.line(first))
    assert header is not None
    number = int(header.group(1))
    try:
        return _parse(seed, number, first, last, at_eof=at_eof)
    except _Incomplete as reason:
        if at_eof:
            raise seed.error(
                first, f"the file ends inside exam ticket №{number}: {reason}"
            ) from None
        seed.warn(
            first,
            "truncated_ticket",
            f"exam ticket №{number} is incomplete ({reason}); no ticket was created",
            range(first, last + 1),
        )
        return None


def _parse(seed: SeedText, number: int, first: int, last: int, *, at_eof: bool) -> Ticket:
    cursor = first + 1
    if cursor > last or seed.line(cursor) != _THEORY:
        raise _Incomplete("no theory part")
    cursor += 1
    practice = next(
        (n for n in range(cursor, last + 1) if seed.line(n) == _PRACTICE),
        None,
    )
    if practice is None:
        raise _Incomplete("no practical part")
    theory_end = practice - 1
    if cursor <= theory_end and is_separator(seed.line(cursor)):
        questions = _theory_inline(seed, number, cursor + 1, theory_end)
    else:
        questions = _theory_grouped(seed, number, cursor, theory_end)
    if not questions:
        raise _Incomplete("no theory questions")
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
                f"ticket №{number}: a theory line without an answer line after it",
                [cursor],
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
            seed.warn(cursor, "unparsed", f"ticket №{number}: not a theory question", [cursor])
        cursor += 1
    if cursor > last:
        raise _Incomplete("no reference answers to the theory questions")
    answers: list[tuple[int, int, str]] = []
    block: list[int] = []

    def close_block() -> None:
        rows = [n for n in block if seed.line(n)]
        if rows:
            text = "\n".join(seed.line(n) for n in rows)
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
            f"ticket №{number}: {len(asked)} theory questions but {len(answers)} answers",
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
        raise _Incomplete("no practical task")
    task = bullet(seed.line(task_line)) or ""
    code_first = task_line + 1
    if code_first > last:
        raise _Incomplete("no reference code")
    first_code_text = seed.line(code_first)
    if _ANSWER.match(first_code_text):
        seed_code = _ANSWER.sub("", first_code_text, count=1)
        code_last = code_first
        if code_last < last:
            seed.warn(
                code_last + 1,
                "unparsed",
                f"ticket №{number}: lines after the flattened reference code",
                range(code_last + 1, last + 1),
            )
        code = restore_flattened(seed_code)
    else:
        code_last = last
        seed_code = "\n".join(seed.lines[code_first - 1 : code_last])
        code = restore_deindented(seed_code)
    notes = _check_code(seed, number, code, code_first, at_eof=at_eof)
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
    )


_CUT_PROBLEMS = ("cannot be tokenized", "unbalanced", "the code ends inside")


def _check_code(
    seed: SeedText, number: int, code: ReferenceCode, line: int, *, at_eof: bool
) -> list[str]:
    if not code.restored:
        if at_eof and code.problem.startswith(_CUT_PROBLEMS):
            raise _Incomplete(f"the reference code is cut ({code.problem})")
        seed.warn(
            line,
            "code_not_restored",
            f"ticket №{number}: the reference code was kept as in the seed: {code.problem}",
        )
    network, removed, undefined = code_notes(code)
    notes: list[str] = []
    for message in network:
        seed.warn(line, "needs_network", f"ticket №{number}: the reference solution {message}")
        notes.append(f"needs network: {message}")
    for message in removed:
        seed.warn(line, "removed_api", f"ticket №{number}: the reference solution {message}")
        notes.append(f"removed API: {message}")
    if undefined:
        names = ", ".join(undefined)
        seed.warn(
            line,
            "undefined_name",
            f"ticket №{number}: the reference solution uses names it never imports or "
            f"defines: {names}",
        )
        notes.append(f"undefined names: {names}")
    return notes
