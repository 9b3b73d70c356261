"""The HTML report of a graded notebook, made with nbconvert: the learner's notebook with a
first cell that holds the grade and the per-test results."""

from __future__ import annotations

import nbformat
from django.utils import translation
from django.utils.translation import gettext as _
from nbconvert import HTMLExporter
from nbformat.v4 import new_markdown_cell, new_notebook

from grading.models import Submission


def notebook_report_html(submission: Submission) -> str:
    try:
        notebook = nbformat.reads(submission.notebook, as_version=4)
    except Exception:  # an unreadable notebook was refused at submission; be safe anyway
        notebook = new_notebook()
    language = translation.get_language()
    # Words, not emoji alone: a machine without an emoji font shows two identical boxes.
    passed = _("✓ passed")
    failed = _("✗ failed")
    rows = "\n".join(
        f"| {passed if r.passed else failed} | {_cell(r.title_in(language))} | {r.weight:g} "
        f"| {_cell(r.message_in(language))} |"
        for r in submission.results.all()
    )
    score = f"{submission.score:.0%}" if submission.score is not None else "—"
    heading = _("Grading result: %(lab)s") % {"lab": submission.lab.title}
    status, score_label = _("Status"), _("Score")
    columns = " | ".join([_("Test"), _("Weight"), _("Message")])
    summary = (
        f"# {heading}\n\n"
        f"**{status}:** {submission.get_status_display()} · **{score_label}:** {score}\n\n"
        f"{_cell(submission.message_in(language))}\n\n"
        f"| {_('Result')} | {columns} |\n|---|---|---|---|\n" + rows
    )
    notebook.cells.insert(0, new_markdown_cell(summary))
    exporter = HTMLExporter(template_name="classic")
    body, _resources = exporter.from_notebook_node(notebook)
    return body


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
