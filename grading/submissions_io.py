"""Turning what a learner sends (a .py file, a notebook, or editor text) into the Python
source the sandbox runs, or a clear refusal.

A notebook's code cells run in order as one file; cells tagged ``skip`` are left out, and
IPython magics (``%...``, ``!...``) become comments, since there is no IPython in the sandbox.
"""

from __future__ import annotations

import json

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

MAX_SUBMISSION_BYTES = 512 * 1024
SKIP_TAG = "skip"


class SubmissionRejected(Exception):
    """The file cannot be graded; the message tells the learner why. It is a lazy text, so
    that ``str()`` gives it in whatever language is active (a rejected submission stores it
    in every language: grading/verdicts.py)."""


def read_submission_file(name: str, data: bytes) -> str:
    if len(data) > MAX_SUBMISSION_BYTES:
        raise SubmissionRejected(
            format_lazy(
                _("The file is too large: {size} KB, up to {limit} KB is allowed."),
                size=len(data) // 1024,
                limit=MAX_SUBMISSION_BYTES // 1024,
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SubmissionRejected(
            format_lazy(_("The file is not in UTF-8 (line {line}). Save it as UTF-8."), line=line)
        ) from None
    if "\x00" in text:
        raise SubmissionRejected(_("The file is binary, not text."))
    if name.endswith(".ipynb"):
        return notebook_to_source(text)
    if not name.endswith(".py"):
        raise SubmissionRejected(_("Upload solution.py or solution.ipynb."))
    return text


def notebook_to_source(text: str) -> str:
    import nbformat

    try:
        notebook = nbformat.reads(text, as_version=4)
    except (ValueError, json.JSONDecodeError) as error:
        raise SubmissionRejected(
            format_lazy(_("The notebook cannot be read: it is not JSON ({error})."), error=error)
        ) from None
    except Exception as error:  # nbformat raises several kinds for a malformed notebook
        raise SubmissionRejected(
            format_lazy(_("The notebook cannot be read: {error}"), error=error)
        ) from None
    chunks = []
    for index, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        if SKIP_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        lines = [
            "# " + line if line.lstrip().startswith(("%", "!")) else line
            for line in cell.get("source", "").splitlines()
        ]
        chunks.append(f"# --- cell {index} ---\n" + "\n".join(lines))
    if not chunks:
        raise SubmissionRejected(_("The notebook has no code cells."))
    return "\n\n".join(chunks) + "\n"
