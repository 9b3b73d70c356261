"""Restoring indented Python from the flattened (000) and deindented (003) reference code.

The property, for every practical task: ``ast.parse`` accepts the restored code, and the
restored code with whitespace collapsed equals the seed code with whitespace collapsed.
"""

import ast
from functools import cache
from pathlib import Path

import pytest

from seeds.parsers import parse_seed
from seeds.parsers.code_restoration import (
    collapse_whitespace,
    restore_deindented,
    restore_flattened,
)
from seeds.parsers.records import PracticalTask

DATA = Path(__file__).resolve().parent.parent / "seeds" / "data"
DL = "000_d568f9757774c6fc.txt"
ML = "003_d99cb1add1a2cf9c.txt"
# Ticket 2 of the ML course answers with a Dockerfile, app.py and requirements.txt in one
# block: not one Python program, so it cannot pass ast.parse and keeps its seed text.
UNRESTORABLE = {(ML, 2)}


@cache
def tasks(name: str) -> list[PracticalTask]:
    return [r for r in parse_seed(DATA / name).all_records() if isinstance(r, PracticalTask)]


ALL_TASKS = [(name, task.ticket_number) for name in (DL, ML) for task in tasks(name)]


def task(name: str, number: int) -> PracticalTask:
    return next(t for t in tasks(name) if t.ticket_number == number)


@pytest.mark.parametrize(("name", "number"), ALL_TASKS)
def test_it_restores_valid_python_that_moves_only_whitespace(name, number):
    code = task(name, number).code
    assert collapse_whitespace(code.restored_text) == collapse_whitespace(code.seed_text)
    if (name, number) in UNRESTORABLE:
        assert not code.restored
        assert code.restored_text == code.seed_text
        return
    assert code.restored, code.problem
    ast.parse(code.restored_text)


def test_it_restores_every_ticket_of_the_dl_course():
    assert len(tasks(DL)) == 15
    assert all(t.code.restored for t in tasks(DL))


def test_it_restores_every_ticket_of_the_ml_course_except_the_dockerfile_one():
    assert [(t.ticket_number, t.code.restored) for t in tasks(ML)] == [
        (1, True),
        (2, False),
        (3, True),
        (4, True),
        (5, True),
    ]


def test_it_reports_the_code_it_could_not_restore():
    warnings = parse_seed(DATA / ML).warnings_with_code("code_not_restored")
    assert [(w.line, "ticket №2" in w.message) for w in warnings] == [(697, True)]
    assert "Dockerfile, app.py, requirements.txt" in task(ML, 2).code.problem


def test_it_ends_a_comment_where_the_swallowed_code_starts():
    code = restore_flattened(
        "import torch # Обучение модели for epoch in range(2): # Пример с двумя эпохами "
        "for x in data: step(x) print(f'Epoch {epoch}')"
    )
    assert code.restored_text == (
        "import torch\n"
        "# Обучение модели\n"
        "for epoch in range(2):\n"
        "    # Пример с двумя эпохами\n"
        "    for x in data:\n"
        "        step(x)\n"
        "    print(f'Epoch {epoch}')\n"
    )


def test_it_does_not_read_words_of_a_comment_as_code():
    # "box2: [...]" would parse as an annotation, "batch_size = 1" as an assignment
    code = restore_flattened(
        "def iou(a, b): # box1, box2: [x_min, y_min] x = max(a, b) return x "
        "seq = f() # длина = 10, batch_size = 1 out = g(seq)"
    )
    assert code.restored_text.splitlines() == [
        "def iou(a, b):",
        "    # box1, box2: [x_min, y_min]",
        "    x = max(a, b)",
        "    return x",
        "",
        "seq = f()",
        "# длина = 10, batch_size = 1",
        "out = g(seq)",
    ]


def test_it_puts_methods_in_their_class_and_scripts_at_the_top_level():
    restored = task(DL, 1).code.restored_text
    assert "class SimpleCNN(nn.Module):\n    def __init__(self):\n" in restored
    assert "\n    def forward(self, x):\n" in restored
    assert "\ntransform = transforms.Compose(" in restored
    # the loss is printed once per epoch, after the batch loop
    assert "        optimizer.step()\n    print(f'Epoch {epoch+1}" in restored


def test_it_lays_out_one_item_per_line_where_the_seed_had_line_breaks():
    restored = task(DL, 1).code.restored_text
    assert (
        "        self.classifier = nn.Sequential(\n"
        "            nn.Flatten(),\n"
        "            nn.Linear(64 * 8 * 8, 512),\n"
        "            nn.ReLU(),\n"
        "            nn.Linear(512, 10)\n"
        "        )\n"
    ) in restored


def test_it_closes_loops_and_branches_before_the_last_line():
    restored = task(DL, 15).code.restored_text
    assert restored.endswith(
        "    if acc > best_acc:\n"
        "        best_acc = acc\n"
        "        best_model = model\n"
        'print("Лучшая точность:", best_acc)\n'
    )


def test_it_indents_deindented_code_and_bracket_continuations():
    restored = task(ML, 3).code.restored_text
    assert (
        "preprocessor = ColumnTransformer([\n"
        "    ('num', StandardScaler(), num_cols),\n"
        "    ('cat', OneHotEncoder(handle_unknown='ignore'), cat_cols)\n"
        "])\n"
    ) in restored
    restored = task(ML, 1).code.restored_text
    assert 'with open("lgbm_breast_cancer.onnx", "wb") as f:\n    f.write(' in restored
    assert "\n# Инференс на случайном примере\nrandom_sample = " in restored


def test_it_indents_else_and_returns_of_a_method():
    code = restore_deindented(
        "def f(x):\nfor t in x:\nif t:\ny = 1\nelse:\ny = 2\nreturn y\nprint(f(1))"
    )
    assert code.restored_text == (
        "def f(x):\n"
        "    for t in x:\n"
        "        if t:\n"
        "            y = 1\n"
        "        else:\n"
        "            y = 2\n"
        "    return y\n"
        "\n"
        "print(f(1))\n"
    )


def test_it_keeps_the_seed_text_of_code_that_is_not_python():
    code = restore_deindented("FROM python:3.9-slim\nRUN pip install flask")
    assert not code.restored
    assert code.restored_text == code.seed_text
    assert code.problem.startswith("not valid Python")


def test_it_keeps_the_seed_text_of_code_cut_in_the_middle():
    code = restore_flattened("import torch x = torch.ones(2, ")
    assert not code.restored
    assert code.restored_text == code.seed_text
