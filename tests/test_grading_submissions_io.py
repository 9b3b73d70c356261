"""What a learner sends becomes Python to run, or a clear refusal in Russian."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grading.submissions_io import MAX_SUBMISSION_BYTES, SubmissionRejected, read_submission_file


def notebook_bytes(*cells) -> bytes:
    return nbformat.writes(new_notebook(cells=list(cells))).encode()


def test_a_notebook_runs_its_code_cells_in_order_without_skipped_ones():
    data = notebook_bytes(
        new_markdown_cell("# Заголовок"),
        new_code_cell("import torch"),
        new_code_cell("raise RuntimeError('ноутбучный эксперимент')", metadata={"tags": ["skip"]}),
        new_code_cell("%matplotlib inline\ndef iou(a, b):\n    return 0.0"),
    )
    source = read_submission_file("solution.ipynb", data)
    assert "import torch" in source
    assert "ноутбучный эксперимент" not in source
    assert "# %matplotlib inline" in source
    assert source.index("import torch") < source.index("def iou")
    compile(source, "solution.py", "exec")


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("solution.ipynb", b"{not json", "не JSON"),
        ("solution.ipynb", json.dumps({"cells": "nope"}).encode(), "Ноутбук не читается"),
        ("solution.py", "x = 1  # привет\n".encode("cp1251"), "UTF-8"),
        ("solution.py", b"x" * (MAX_SUBMISSION_BYTES + 1), "слишком большой"),
        ("solution.py", b"\x00\x01binary", "двоичный"),
        ("solution.txt", b"print(1)", "solution.py"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message(name, data, fragment):
    with pytest.raises(SubmissionRejected) as refused:
        read_submission_file(name, data)
    assert fragment in str(refused.value)


def test_a_twenty_megabyte_upload_is_refused_without_decoding(tmp_path):
    with pytest.raises(SubmissionRejected, match="слишком большой"):
        read_submission_file("solution.py", b"#" * (20 * 1024 * 1024))
