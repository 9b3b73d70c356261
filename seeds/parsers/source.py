"""The text of one seed as the parsers see it: numbered lines plus the warnings gathered so far."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from seeds.parsers.messages import Message, Plural
from seeds.parsers.records import SeedError, SeedWarning, seed_warning

ITEM_SEPARATOR = " -"


class SeedText:
    """Lines of a seed (index 0 is line 1) and a place to collect warnings."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.lines: tuple[str, ...] = tuple(line.rstrip("\r") for line in text.split("\n"))
        self.warnings: list[SeedWarning] = []

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, number: int) -> str:
        """The stripped text of line ``number`` (1-based)."""
        return self.lines[number - 1].strip()

    def warn(
        self,
        line: int,
        code: str,
        message: str | Plural | Message,
        lines: Iterable[int] = (),
        **params: Any,
    ) -> None:
        """Report a warning; ``message`` is a msgid (marked with gettext_noop or ngettext)
        whose ``%(name)s`` placeholders are filled from ``params``."""
        self.warnings.append(seed_warning(self.file, line, code, message, lines, params))

    def error(self, line: int, message: str | Plural | Message, **params: Any) -> SeedError:
        return SeedError(self.file, line, message, **params)


def is_separator(text: str) -> bool:
    """A line holding only "-": the course documents put it between blocks."""
    return text.strip() == "-"


def strip_item_separator(text: str) -> str:
    """Drop the trailing " -" that the course documents append to an item's last line."""
    text = text.rstrip()
    if text.endswith(ITEM_SEPARATOR):
        return text[: -len(ITEM_SEPARATOR)].rstrip()
    return text


def bullet(text: str) -> str | None:
    """The text of a "- item" line, or None for other lines."""
    if text.startswith("- "):
        return text[2:].strip()
    return None
