"""Text that came out of a sandbox, made safe to store, serialise, render and print.

Everything a job produces (stdout, stderr, the values it reports, the names of the files it
leaves in ``out/``) is written by learner code, so it may hold byte sequences that are not
UTF-8 (file names arrive as lone surrogates), NUL characters (PostgreSQL refuses them in text),
or terminal control sequences: ANSI CSI sequences that move the cursor or clear the screen,
OSC sequences that set the window title or write the operator's clipboard (OSC 52), the 8-bit
C1 forms of the same, and Unicode bidirectional overrides that make text read differently
from what it is. ``clean_text`` keeps the printable text, newlines and tabs and drops the
rest; ``clean_name`` also makes a file name one short line; ``clean_outcome`` applies both to
a whole ``SandboxOutcome``. The grading engine cleans each outcome as it arrives, and the
commands that print to a terminal clean again what they print.
"""

from __future__ import annotations

import dataclasses
import re

from grading.sandbox import SandboxOutcome

REPLACEMENT = "\ufffd"
MAX_NAME_CHARS = 200  # grading.models.Artifact.name

# ESC-introduced strings (OSC, DCS, SOS, PM, APC) run to their terminator: BEL or ST (ESC \ or
# the C1 ST, U+009C); one left open runs to the end of the text. The 8-bit introducers (U+0090
# DCS, U+0098 SOS, U+009D OSC, U+009E PM, U+009F APC) open the same strings.
_STRING_SEQUENCE = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c|$)"
# CSI (ESC [ or U+009B): parameter bytes, intermediate bytes, one final byte.
_CSI_SEQUENCE = r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
# Any other escape: ESC, intermediate bytes, one final byte (or a lone ESC).
_OTHER_ESCAPE = r"\x1b[\x20-\x2f]*[\x30-\x7e]?"
_ESCAPES = re.compile("|".join((_STRING_SEQUENCE, _CSI_SEQUENCE, _OTHER_ESCAPE)))
# C0 controls but tab and newline, DEL, C1 controls; bidirectional embeddings, overrides and
# isolates (U+202A-U+202E, U+2066-U+2069).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x85]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """``text`` with every lone surrogate (how Python carries undecodable bytes, e.g. in file
    names) replaced by U+FFFD, so that it encodes as UTF-8."""
    if not _SURROGATES.search(text):
        return text
    # Surrogate escapes of bytes become those bytes, then undecodable runs become U+FFFD.
    raw = text.encode("utf-8", "surrogateescape" if _only_escapes(text) else "surrogatepass")
    return _SURROGATES.sub(REPLACEMENT, raw.decode("utf-8", "replace"))


def _only_escapes(text: str) -> bool:
    return all("\udc80" <= ch <= "\udcff" for ch in _SURROGATES.findall(text))


def clean_text(text: object, *, limit: int | None = None) -> str:
    """Printable text with newlines and tabs; no escape sequences or other control characters;
    valid UTF-8; at most ``limit`` characters (counted after cleaning)."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = valid_unicode(str(text))
    text = _LINE_BREAKS.sub("\n", text)
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text)
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return text


def clean_line(text: object, *, limit: int | None = None) -> str:
    """``clean_text`` on one line: newlines and tabs become spaces."""
    return " ".join(clean_text(text).split()) if limit is None else clean_line(text)[:limit]


def clean_name(name: str) -> str:
    """A file name reported by a job, made a short single line that names the same file for a
    reader: each path component cleaned, empty or dot-only components replaced by ``_``."""
    parts = []
    for part in str(name).split("/"):
        part = clean_line(part).strip()
        parts.append(part if part.strip(".") else "_")
    cleaned = "/".join(parts) or "_"
    if len(cleaned) > MAX_NAME_CHARS:
        _head, dot, extension = cleaned.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        cleaned = cleaned[: MAX_NAME_CHARS - len(keep) - 2] + "~" + ("." + keep if keep else "")
    return cleaned


def clean_names(files: dict[str, bytes]) -> dict[str, bytes]:
    """The same files under clean names; two names that clean to the same one stay apart."""
    cleaned: dict[str, bytes] = {}
    for name, data in files.items():
        new = clean_name(name)
        candidate, number = new, 2
        while candidate in cleaned:
            stem, dot, extension = new.rpartition(".")
            candidate = f"{stem}~{number}.{extension}" if dot else f"{new}~{number}"
            number += 1
        cleaned[candidate] = data
    return cleaned


def clean_outcome(outcome: SandboxOutcome) -> SandboxOutcome:
    """The outcome with its texts and artifact names cleaned; the channel stays bytes (its
    lines are parsed as data, and each text taken from them is cleaned where it is used)."""
    return dataclasses.replace(
        outcome,
        stdout=clean_text(outcome.stdout),
        stderr=clean_text(outcome.stderr),
        artifacts=clean_names(dict(outcome.artifacts)),
    )


def clean_data(value: object, *, limit: int = 2000) -> object:
    """Plain data (parsed JSON) with every string in it, keys included, cleaned to one line."""
    if isinstance(value, str):
        return clean_line(value, limit=limit)
    if isinstance(value, list):
        return [clean_data(item, limit=limit) for item in value]
    if isinstance(value, dict):
        return {clean_line(k, limit=200): clean_data(v, limit=limit) for k, v in value.items()}
    return value
