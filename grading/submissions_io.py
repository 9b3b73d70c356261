"""Turning what a learner sends (a .py file, a notebook, or editor text) into the Python
source the sandbox runs, or a clear refusal.

A notebook's code cells run in order as one file; cells tagged ``skip`` are left out, and
IPython magics (``%...``, ``!...``) become comments, since there is no IPython in the sandbox.
"""

from __future__ import annotations

import json

MAX_SUBMISSION_BYTES = 512 * 1024
SKIP_TAG = "skip"


class SubmissionRejected(Exception):
    """The file cannot be graded; the message (Russian) tells the learner why."""


def read_submission_file(name: str, data: bytes) -> str:
    if len(data) > MAX_SUBMISSION_BYTES:
        raise SubmissionRejected(
            f"Файл слишком большой: {len(data) // 1024} КБ, допустимо до "
            f"{MAX_SUBMISSION_BYTES // 1024} КБ."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SubmissionRejected(
            f"Файл не в кодировке UTF-8 (строка {line}). Сохраните его в UTF-8."
        ) from None
    if "\x00" in text:
        raise SubmissionRejected("Файл двоичный, а не текстовый.")
    if name.endswith(".ipynb"):
        return notebook_to_source(text)
    if not name.endswith(".py"):
        raise SubmissionRejected("Загрузите solution.py или solution.ipynb.")
    return text


def notebook_to_source(text: str) -> str:
    import nbformat

    try:
        notebook = nbformat.reads(text, as_version=4)
    except (ValueError, json.JSONDecodeError) as error:
        raise SubmissionRejected(f"Ноутбук не читается: это не JSON ({error}).") from None
    except Exception as error:  # nbformat raises several kinds for a malformed notebook
        raise SubmissionRejected(f"Ноутбук не читается: {error}") from None
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
        raise SubmissionRejected("В ноутбуке нет ячеек с кодом.")
    return "\n\n".join(chunks) + "\n"
