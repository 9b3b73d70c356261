"""A Telegram channel export (002): "Библиотека собеса по Data Science".

Layout: the channel header (name, "4.26K subscribers", counts of photos/videos/files/links, a
description, advertising and links, "Download Telegram"), then posts::

    <question>                     the post's first line

    <answer paragraphs, "🔹"/"▪️" sub-headings>

    #hashtag                       one or more lines
    👍4                            reactions, optional

Known defects: the reactions line is missing after one post (the next post starts right after
its hashtags), one reactions line reads "4👍2" (an emoji lost before the 4), one hashtag is
written "#глубокое обучение" with a space (normalised to "глубокое_обучение" and reported).
The channel name and description become a ``qa_collection`` record; the other header lines are
reported as skipped boilerplate in one warning. A post without hashtags at the end of the file
means the file was cut.
"""

from __future__ import annotations

import re

from seeds.parsers.records import LAYOUT_TELEGRAM, ParsedSeed, QACollection, QAItem, Record
from seeds.parsers.source import SeedText

_SUBSCRIBERS = re.compile(r"^[\d.,]+[KkMm]?\s+subscribers$")
_DOWNLOAD = "Download Telegram"
_HASHTAG = re.compile(r"^#\S")
# Emoji and counts only, e.g. "👍4", "4👍2", "❤️3 👍10".
_REACTIONS = re.compile(r"^(?:[^\w\s#]+\d+|\d+[^\w\s#]+\d*|\s)+$")


def looks_like_telegram(lines: tuple[str, ...]) -> bool:
    head = [line.strip() for line in lines[:30]]
    return _DOWNLOAD in head or any(_SUBSCRIBERS.match(line) for line in head)


def parse_telegram(file: str, text: str) -> ParsedSeed:
    seed = SeedText(file, text)
    records: list[Record] = []
    download = next((n for n in range(1, len(seed) + 1) if seed.line(n) == _DOWNLOAD), None)
    subscribers = next(
        (n for n in range(1, min(len(seed), 30) + 1) if _SUBSCRIBERS.match(seed.line(n))), None
    )
    if download is None and subscribers is None:
        raise seed.error(1, "not a Telegram channel export (no 'Download Telegram' line)")
    header_end = download if download is not None else _header_end(seed)
    records.append(_channel(seed, header_end))
    posts_start = header_end + 1
    records.extend(_posts(seed, posts_start))
    if len(records) == 1:
        raise seed.error(posts_start, "the channel export holds no posts")
    return ParsedSeed(
        file=file,
        layout=LAYOUT_TELEGRAM,
        records=tuple(records),
        warnings=tuple(seed.warnings),
        lines=seed.lines,
    )


def _header_end(seed: SeedText) -> int:
    """Without a "Download Telegram" line the header ends at its first blank-line gap before a
    question; take the line before the first line ending with "?"."""
    for row in range(1, len(seed) + 1):
        if seed.line(row).endswith("?"):
            return row - 1
    return 1


def _channel(seed: SeedText, header_end: int) -> QACollection:
    """The channel's name (line 1) and description (the first line that is not a count)."""
    rows = [n for n in range(1, header_end + 1) if seed.line(n)]
    name_row = rows[0]
    description_row = next(
        (
            n
            for n in rows[1:]
            if not re.match(r"^[\d.,]+[KkMm]?\s+\w+$", seed.line(n))
            and ":" not in seed.line(n)
            and seed.line(n) != _DOWNLOAD
        ),
        None,
    )
    skipped = [n for n in rows[1:] if n != description_row]
    if skipped:
        seed.warn(
            skipped[0],
            "boilerplate",
            "skipped channel header lines (subscriber and media counts, advertising, links, "
            "'Download Telegram')",
            skipped,
        )
    return QACollection(
        source_file=seed.file,
        first_line=name_row,
        last_line=name_row if description_row is None else description_row,
        title=seed.line(name_row),
        description=seed.line(description_row) if description_row else "",
    )


def _posts(seed: SeedText, first: int) -> list[QAItem]:
    posts: list[QAItem] = []
    row = first
    last = len(seed)
    while row <= last:
        if not seed.line(row):
            row += 1
            continue
        start = row
        row += 1
        body: list[int] = []
        while row <= last and not _HASHTAG.match(seed.line(row)):
            body.append(row)
            row += 1
        tags: list[str] = []
        tag_rows: list[int] = []
        while row <= last and _HASHTAG.match(seed.line(row)):
            tags.append(_tag(seed, row))
            tag_rows.append(row)
            row += 1
        if not tag_rows:
            raise seed.error(start, "the file ends inside a post (no hashtags after it)")
        reactions = ""
        end = tag_rows[-1]
        if row <= last and _REACTIONS.match(seed.line(row)):
            reactions = seed.line(row)
            end = row
            row += 1
        answer_rows = [n for n in body if seed.line(n)]
        if not answer_rows:
            raise seed.error(start, "a post without text")
        posts.append(
            QAItem(
                source_file=seed.file,
                first_line=start,
                last_line=end,
                question=seed.line(start),
                answer=_paragraphs(seed, body),
                tags=tuple(tags),
                reactions=reactions,
            )
        )
    return posts


def _tag(seed: SeedText, row: int) -> str:
    text = seed.line(row)[1:].strip()
    if " " in text:
        normalised = "_".join(text.split())
        seed.warn(
            row,
            "hashtag_space",
            f"the hashtag {seed.line(row)!r} has a space; read as #{normalised}",
        )
        return normalised
    return text


def _paragraphs(seed: SeedText, rows: list[int]) -> str:
    lines: list[str] = []
    for row in rows:
        text = seed.line(row)
        if text or (lines and lines[-1]):
            lines.append(text)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)
