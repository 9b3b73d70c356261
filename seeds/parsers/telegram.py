"""A Telegram channel export (002): "Библиотека собеса по Data Science".

Layout: the channel header (name, "4.26K subscribers", counts of photos/videos/files/links, a
description, advertising and links, "Download Telegram"), then posts::

    <question>                     the post's first line

    <answer paragraphs, "🔹"/"▪️" sub-headings>

    #hashtag                       one or more lines
    👍4                            reactions, optional

Known defects: the reactions line is missing after one post (the next post starts right after
its hashtags), one reactions line reads "4👍2" (an emoji lost before the 4: kept as a reaction
of unknown kind and reported), one hashtag is written "#глубокое обучение" with a space
(normalised to "глубокое_обучение" and reported).

A reactions line is the line right after a post's hashtags that starts with an emoji or a
digit, holds a count and no "?": emoji with counts ("👍4 ❤️3"). A part of it that is not
"emoji + count" is reported with its line and left out.
The channel name and description become a ``qa_collection`` record; the other header lines are
reported as skipped boilerplate in one warning. A post without hashtags at the end of the file
means the file was cut.
"""

from __future__ import annotations

import re
import unicodedata

from seeds.parsers.messages import gettext_noop
from seeds.parsers.records import (
    LAYOUT_TELEGRAM,
    ParsedSeed,
    QACollection,
    QAItem,
    Reaction,
    Record,
)
from seeds.parsers.source import SeedText

_SUBSCRIBERS = re.compile(r"^[\d.,]+[KkMm]?\s+subscribers$")
_DOWNLOAD = "Download Telegram"
_HASHTAG = re.compile(r"^#\S")
# One reaction: emoji (symbols, variation selectors, joiners) and a count, e.g. "👍4", "❤️3".
_REACTION = re.compile(r"([^\w\s#?]+)(\d+)")
_MAX_REACTIONS_LINE = 60


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
        raise seed.error(
            1, gettext_noop("not a Telegram channel export (no 'Download Telegram' line)")
        )
    header_end = download if download is not None else _header_end(seed)
    records.append(_channel(seed, header_end))
    posts_start = header_end + 1
    records.extend(_posts(seed, posts_start))
    if len(records) == 1:
        raise seed.error(posts_start, gettext_noop("the channel export holds no posts"))
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
            gettext_noop(
                "skipped channel header lines (subscriber and media counts, advertising, "
                "links, 'Download Telegram')"
            ),
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
            raise seed.error(
                start, gettext_noop("the file ends inside a post (no hashtags after it)")
            )
        reactions: tuple[Reaction, ...] = ()
        end = tag_rows[-1]
        if row <= last and looks_like_reactions(seed.line(row)):
            reactions = _reactions(seed, row)
            end = row
            row += 1
        answer_rows = [n for n in body if seed.line(n)]
        if not answer_rows:
            raise seed.error(start, gettext_noop("a post without text"))
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
            gettext_noop("the hashtag «%(tag)s» has a space; read as #%(normalised)s"),
            tag=seed.line(row),
            normalised=normalised,
        )
        return normalised
    return text


def looks_like_reactions(text: str) -> bool:
    """Whether a line after the hashtags is a reactions line, well formed or not, rather than
    the question of the next post: it starts with an emoji or a digit, holds a count and no
    "?". Odd parts of such a line are reported, never read as a post."""
    if not text or len(text) > _MAX_REACTIONS_LINE or "?" in text:
        return False
    if not any(char.isdigit() for char in text):
        return False
    first = text[0]
    return first.isdigit() or unicodedata.category(first) in ("So", "Sk", "Sm", "Cf")


def _reactions(seed: SeedText, row: int) -> tuple[Reaction, ...]:
    """Emoji with counts; a count without its emoji is kept as a reaction of unknown kind and
    reported, anything else that is not "emoji + count" is reported and left out."""
    text = seed.line(row)
    reactions: list[Reaction] = []
    position = 0
    for match in _REACTION.finditer(text):
        _odd_part(seed, row, text[position : match.start()], reactions)
        reactions.append(Reaction(emoji=match.group(1).strip(), count=int(match.group(2))))
        position = match.end()
    _odd_part(seed, row, text[position:], reactions)
    return tuple(reactions)


def _odd_part(seed: SeedText, row: int, part: str, reactions: list[Reaction]) -> None:
    part = part.strip()
    if not part:
        return
    if part.isdigit():
        reactions.append(Reaction(emoji="", count=int(part)))
        seed.warn(
            row,
            "malformed_reactions",
            gettext_noop(
                "the reactions line «%(reactions)s»: the count %(count)s has no emoji (lost in the "
                "export); kept as %(count)s reactions of unknown kind"
            ),
            reactions=seed.line(row),
            count=part,
        )
        return
    seed.warn(
        row,
        "malformed_reactions",
        gettext_noop(
            "the reactions line «%(reactions)s»: «%(part)s» is not an emoji with a count; left out"
        ),
        reactions=seed.line(row),
        part=part,
    )


def _paragraphs(seed: SeedText, rows: list[int]) -> str:
    lines: list[str] = []
    for row in rows:
        text = seed.line(row)
        if text or (lines and lines[-1]):
            lines.append(text)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)
