"""The handout notebook of a lab, made with nbformat: the statement and the starter code,
with a last cell tagged ``skip`` where learners may try things that are not graded."""

from __future__ import annotations

import nbformat
from django.utils.translation import gettext as _
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from labs.models import Lab


def handout_notebook(lab: Lab) -> str:
    notebook = new_notebook(
        cells=[
            new_markdown_cell(lab.statement),
            new_code_cell(lab.starter_code),
            new_code_cell(
                "# " + _("This cell is tagged skip: grading does not run it.") + "\n",
                metadata={"tags": ["skip"]},
            ),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(notebook)
    return nbformat.writes(notebook)
