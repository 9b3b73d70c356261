"""The reference code of a practical task as instructors read it: highlighted, with the lines
that the import's warnings name marked, and each warning in the reader's language beside it
(what restoration guessed, what the code needs, what running it in the sandbox found)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from assessments.models import PracticalTask
from core.stored_messages import render_message
from labs.models import Lab

NOT_RUN_CODES = frozenset({"needs_network", "removed_api", "undefined_name", "code_not_restored"})


@dataclass
class CodeNote:
    code: str
    seed_line: int
    text: str
    restored_lines: list[int] = field(default_factory=list)
    from_run: bool = False


@dataclass
class ReferenceCode:
    task: PracticalTask
    html: SafeString
    notes: list[CodeNote]
    lab: LabReference | None = None  # the lab's own reference, shown beside the seed's

    @property
    def guesses(self) -> list[CodeNote]:
        return [note for note in self.notes if note.code == "block_end_guessed"]

    @property
    def cannot_run(self) -> bool:
        """The import does not run code that needs the network, a removed API or names it
        never defines, nor code it could not restore: its notes say why already."""
        return any(note.code in NOT_RUN_CODES for note in self.notes)


def _note(warning: dict[str, Any], *, from_run: bool) -> CodeNote:
    params = warning.get("detail", {}).get("params", {})
    lines = [params[name] for name in ("restored_line",) if isinstance(params.get(name), int)]
    return CodeNote(
        code=warning.get("code", ""),
        seed_line=warning.get("line", 0),
        text=render_message(warning["detail"]) if warning.get("detail") else "",
        restored_lines=lines,
        from_run=from_run,
    )


@dataclass
class LabReference:
    """The reference solution of the lab that grades a ticket's practical task."""

    lab: Lab
    html: SafeString | None  # None: the catalogue of this machine has no reference.py for it


def lab_reference(lab: Lab) -> LabReference:
    source = lab.reference_source()
    if source is None:
        return LabReference(lab=lab, html=None)
    formatter = HtmlFormatter(noclasses=True, style="friendly", cssclass="code", linenos="inline")
    # Pygments escapes the code it formats, so its HTML is safe to mark as such.
    return LabReference(lab=lab, html=mark_safe(highlight(source, PythonLexer(), formatter)))  # noqa: S308


def reference_code(task: PracticalTask) -> ReferenceCode:
    notes = [_note(w, from_run=False) for w in task.code_warnings]
    notes += [_note(w, from_run=True) for w in task.run_findings]
    marked = sorted({line for note in notes for line in note.restored_lines})
    formatter = HtmlFormatter(
        noclasses=True,
        style="friendly",
        cssclass="code",
        linenos="inline",
        hl_lines=marked,
        lineanchors=f"task-{task.pk}-line",
    )
    # Pygments escapes the code it formats, so its HTML is safe to mark as such.
    html = mark_safe(highlight(task.restored_code or task.seed_code, PythonLexer(), formatter))  # noqa: S308
    return ReferenceCode(task=task, html=html, notes=notes)
