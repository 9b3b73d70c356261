"""Messages of the parsers: English text that the Django side translates where it is shown.

The parsers stay free of Django, so they cannot translate; they keep each message as its
English msgid and its parameters instead, and ``str()`` gives the English text. The two marker
functions below carry the names that ``makemessages`` (xgettext) looks for, so every msgid of
the parsers lands in the catalog; ``seeds.report.translate`` renders a message in the active
language. A parameter may itself be a ``Message`` ("case №2"), translated in turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def gettext_noop(message: str) -> str:
    """Marks ``message`` for the catalog; returns it unchanged."""
    return message


@dataclass(frozen=True)
class Plural:
    singular: str
    plural: str
    count: int


def ngettext(singular: str, plural: str, count: int) -> Plural:
    """Marks a singular/plural pair for the catalog; the form is chosen where it is shown."""
    return Plural(singular, plural, count)


@dataclass(frozen=True)
class Message:
    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)
    plural: str = ""
    count: int | None = None

    @classmethod
    def of(cls, text: str | Plural | Message, params: Mapping[str, Any]) -> Message:
        if isinstance(text, Message):
            return text
        if isinstance(text, Plural):
            return cls(text.singular, dict(params), text.plural, text.count)
        return cls(text, dict(params))

    def __str__(self) -> str:
        template = self.msgid
        if self.plural and self.count != 1:
            template = self.plural
        return format_message(template, self.params, str)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, nested messages included (see ``from_dict``)."""
        data: dict[str, Any] = {"msgid": self.msgid, "params": _params_to_json(self.params)}
        if self.plural:
            data["plural"] = self.plural
            data["count"] = self.count
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        params = {
            name: cls.from_dict(value) if isinstance(value, dict) and "msgid" in value else value
            for name, value in (data.get("params") or {}).items()
        }
        return cls(data["msgid"], params, data.get("plural", ""), data.get("count"))


def format_message(template: str, params: Mapping[str, Any], render: Any) -> str:
    """``template % params`` with nested messages rendered by ``render`` first."""
    if not params:
        return template
    values = {
        name: render(value) if isinstance(value, Message) else value
        for name, value in params.items()
    }
    return template % values


def _params_to_json(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: value.as_dict() if isinstance(value, Message) else value
        for name, value in params.items()
    }
