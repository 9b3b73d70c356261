"""Messages stored as data (a msgid, its parameters, and for plurals the plural msgid and the
count) and rendered in the language of whoever reads them: an import's warnings are written
once and read later by an English- or a Russian-speaking admin or instructor.

The shape is {"msgid", "params", "plural"?, "count"?}; a parameter may itself be such a
message ("case №2"). seeds/parsers/messages.py writes it without Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext, ngettext


def is_message(value: Any) -> bool:
    return isinstance(value, Mapping) and "msgid" in value


def render_message(message: Mapping[str, Any]) -> str:
    """The message in the active language; parameters filled in, nested messages too."""
    msgid = message.get("msgid", "")
    if message.get("plural"):
        template = ngettext(msgid, message["plural"], message.get("count") or 0)
    else:
        template = gettext(msgid) if msgid else ""
    params = {
        name: render_message(value) if is_message(value) else value
        for name, value in (message.get("params") or {}).items()
    }
    return template % params if params else template
