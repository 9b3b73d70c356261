"""A submission's missing names and unusable signatures are named in the learner's language,
read from its source outside the sandbox (labs/interface.py)."""

import ast

import pytest
from django.utils import translation

from grading.engine import grade_source
from labs.catalog import load_lab
from labs.interface import Class, Function, interface_problems

INTERFACE = [
    Function("iou", ("box1", "box2")),
    Function("mask_tokens", ("input_ids", "mask_token_id"), keywords=("generator",)),
    Class("SimpleCNN", init_keywords=("num_classes",), methods={"forward": ("x",)}),
    Class("SeqModel", init=("input_size", "hidden_size")),
]
GOOD = """
import torch.nn as nn
def iou(box1, box2, eps=1e-9):
    return 0.0
def mask_tokens(input_ids, mask_token_id, vocab_size=10, *, generator=None):
    return input_ids
class Base(nn.Module):
    def forward(self, x):
        return x
class SimpleCNN(Base):
    def __init__(self, num_classes=10):
        super().__init__()
class SeqModel(nn.Module):
    def __init__(self, input_size, hidden_size, output_size=1):
        super().__init__()
"""


def problems(source: str) -> list[str]:
    with translation.override("en"):
        return [m.render() for m in interface_problems(ast.parse(source), INTERFACE)]


def test_a_matching_solution_has_no_problems():
    assert problems(GOOD) == []


def test_it_names_each_missing_function_and_class_with_the_call():
    assert problems("x = 1") == [
        "The solution has no function iou(box1, box2).",
        "The solution has no function mask_tokens(input_ids, mask_token_id, generator).",
        "The solution has no class SimpleCNN.",
        "The solution has no class SeqModel.",
    ]


def test_it_names_a_signature_that_cannot_take_the_call():
    found = problems(GOOD.replace("def iou(box1, box2, eps=1e-9)", "def iou(a, b, c)"))
    assert found == ["The checks call iou(box1, box2), but it is defined as iou(a, b, c)."]


def test_a_missing_keyword_and_a_required_keyword_only_argument_are_named():
    source = GOOD.replace("*, generator=None", "*, seed")
    assert problems(source) == [
        "The checks call mask_tokens(input_ids, mask_token_id, generator), but it is defined "
        "as mask_tokens(input_ids, mask_token_id, vocab_size=…, *, seed)."
    ]


def test_methods_and_constructors_are_checked_through_module_bases_only():
    source = GOOD.replace("    def forward(self, x):\n        return x\n", "    pass\n")
    assert problems(source) == ["Class SimpleCNN has no method forward(x)."]
    source = GOOD.replace("def __init__(self, input_size, hidden_size, output_size=1)",
                          "def __init__(self, input_size)")  # fmt: skip
    assert problems(source) == [
        "The checks call SeqModel(input_size, hidden_size), but it is defined as "
        "SeqModel(input_size)."
    ]


def test_names_bound_otherwise_are_taken_on_trust():
    source = (
        "from mylib import iou\nmask_tokens = lambda *a, **k: a\n"
        + GOOD.split("class Base")[0].split("def iou")[0]
        + "class Base(Other):\n    pass\n"
        + (
            "class SimpleCNN(Base):\n    pass\nclass SeqModel(nn.Module):\n"
            "    def __init__(self, *sizes):\n        pass\n"
        )
    )
    assert problems(source) == []


def test_a_source_that_does_not_parse_reports_nothing_here():
    assert interface_problems(None, INTERFACE) == []


@pytest.mark.integration
def test_the_graded_result_names_what_is_missing_in_russian():
    result = grade_source(load_lab("dl-07-iou"), "def iou(a, b, c):\n    return 0.5\n", seed=1)
    assert result.score == 0
    assert (
        "Проверки вызывают iou(box1, box2), а в решении объявлено iou(a, b, c)." in result.message
    )
    assert "В решении нет функции iou_matrix(a, b)." in result.message
    assert "The solution has no function iou_matrix(a, b)." in result.messages["en"]
