"""Read a seed file and hand it to the parser of its layout.

1. Read bytes: refuse a file over ``MAX_SEED_BYTES`` before reading it, an empty file, and
   binary content (a NUL byte).
2. Decode as strict UTF-8 (a byte-order mark is allowed); a file in another encoding such as
   cp1251 fails here with the line of the first bad byte.
3. Pick the layout from the text (Telegram export, numbered interview list, course document);
   a text that matches none is refused.
4. Parse. Parsers raise ``SeedError`` instead of returning a partial result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from seeds.parsers.course_document import looks_like_course_document, parse_course_document
from seeds.parsers.interview_list import looks_like_interview_list, parse_interview_list
from seeds.parsers.messages import gettext_noop
from seeds.parsers.records import (
    LAYOUT_COURSE_DOCUMENT,
    LAYOUT_INTERVIEW_LIST,
    LAYOUT_TELEGRAM,
    ParsedSeed,
    SeedError,
)
from seeds.parsers.telegram import looks_like_telegram, parse_telegram

# The real seeds are under 150 KB; anything near this limit is not a seed.
MAX_SEED_BYTES = 5 * 1024 * 1024

_PARSERS: dict[str, Callable[[str, str], ParsedSeed]] = {
    LAYOUT_TELEGRAM: parse_telegram,
    LAYOUT_INTERVIEW_LIST: parse_interview_list,
    LAYOUT_COURSE_DOCUMENT: parse_course_document,
}


def parse_seed(path: str | Path, *, layout: str | None = None) -> ParsedSeed:
    """Parse the seed at ``path``; records name the file by its base name."""
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as error:
        raise SeedError(
            name, 1, gettext_noop("cannot read the file: %(reason)s"), reason=error.strerror
        ) from None
    if size > MAX_SEED_BYTES:
        raise _too_large(name, size)
    return parse_seed_bytes(name, path.read_bytes(), layout=layout)


def parse_seed_bytes(name: str, data: bytes, *, layout: str | None = None) -> ParsedSeed:
    if len(data) > MAX_SEED_BYTES:
        raise _too_large(name, len(data))
    if not data.strip():
        raise SeedError(name, 1, gettext_noop("the file is empty"))
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise SeedError(
            name,
            line,
            gettext_noop("binary content (a NUL byte at offset %(offset)d), not text"),
            offset=nul,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        bad = data[error.start : error.start + 1].hex()
        raise SeedError(
            name,
            line,
            gettext_noop(
                "not UTF-8 (byte 0x%(byte)s at offset %(offset)d); save the seed as UTF-8"
            ),
            byte=bad,
            offset=error.start,
        ) from None
    return parse_seed_text(name, text, layout=layout)


def parse_seed_text(name: str, text: str, *, layout: str | None = None) -> ParsedSeed:
    """Parse seed text; ``layout`` (optional) is the layout the caller expects."""
    if len(text) > MAX_SEED_BYTES:
        raise SeedError(
            name,
            1,
            gettext_noop("the text is %(size)d characters; too large for a seed"),
            size=len(text),
        )
    if not text.strip():
        raise SeedError(name, 1, gettext_noop("the file is empty"))
    if "\x00" in text:
        raise SeedError(
            name, text.count("\n", 0, text.index("\x00")) + 1, gettext_noop("binary content")
        )
    text = text.removeprefix("\ufeff")
    detected = detect_layout(name, text)
    if layout is not None and layout != detected:
        raise SeedError(
            name,
            1,
            gettext_noop("expected a %(expected)s seed, but the file is a %(detected)s seed"),
            expected=layout,
            detected=detected,
        )
    return _PARSERS[detected](name, text)


def detect_layout(name: str, text: str) -> str:
    """The layout of a seed text, or ``SeedError`` when no layout matches."""
    lines = tuple(text.split("\n"))
    if looks_like_telegram(lines):
        return LAYOUT_TELEGRAM
    if looks_like_interview_list(lines):
        return LAYOUT_INTERVIEW_LIST
    if looks_like_course_document(lines):
        return LAYOUT_COURSE_DOCUMENT
    raise SeedError(
        name,
        1,
        gettext_noop(
            "no known seed layout matches (expected a course document, a numbered interview "
            "list or a Telegram channel export)"
        ),
    )


def _too_large(name: str, size: int) -> SeedError:
    return SeedError(
        name,
        1,
        gettext_noop("the file is %(size)d bytes; a seed is at most %(max)d"),
        size=size,
        max=MAX_SEED_BYTES,
    )
