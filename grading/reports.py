"""The HTML report of a graded notebook, made with nbconvert: the learner's notebook with a
first cell that holds the grade and the per-test results."""

from __future__ import annotations

import nbformat
from nbconvert import HTMLExporter
from nbformat.v4 import new_markdown_cell, new_notebook

from grading.models import Submission


def notebook_report_html(submission: Submission) -> str:
    try:
        notebook = nbformat.reads(submission.notebook, as_version=4)
    except Exception:  # an unreadable notebook was refused at submission; be safe anyway
        notebook = new_notebook()
    rows = "\n".join(
        f"| {'✅' if r.passed else '❌'} | {_cell(r.title)} | {r.weight:g} | {_cell(r.message)} |"
        for r in submission.results.all()
    )
    score = f"{submission.score:.0%}" if submission.score is not None else "—"
    summary = (
        f"# Результат проверки: {submission.lab.title}\n\n"
        f"**Статус:** {submission.get_status_display()} · **Оценка:** {score}\n\n"
        f"{_cell(submission.message)}\n\n"
        "| | Тест | Вес | Сообщение |\n|---|---|---|---|\n" + rows
    )
    notebook.cells.insert(0, new_markdown_cell(summary))
    exporter = HTMLExporter(template_name="classic")
    body, _resources = exporter.from_notebook_node(notebook)
    return body


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
