"""Hostile and broken submissions to a lab that trains (dl-01-cifar-cnn) end with clean
verdicts, as they do for the compute labs (tests/test_sandbox_bad_code.py and the
test_grading_attack_*.py modules): a training loop that never ends is stopped at the wall
limit, one that allocates without bound at the memory limit, and a solution whose names
differ from the contract is told in Russian what it lacks. Nothing is passed, the score is 0,
and every test says why in the learner's language.

The lab's limits are lowered here (wall 4 s, memory 768 MB; CPU time above wall time, so that
the wall clock is the limit that a busy loop meets first) to keep the tests cheap."""

import dataclasses
import textwrap

import pytest

from grading.engine import Status, grade_source
from labs.catalog import load_lab

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("generated_datasets")]

MODEL = textwrap.dedent(
    """
    import torch
    from torch import nn


    class SimpleCNN(nn.Module):
        def __init__(self, num_classes=10):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            )
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 8 * 8, num_classes))

        def forward(self, x):
            return self.classifier(self.features(x))
    """
)

TRAINS_FOREVER = MODEL + textwrap.dedent(
    """

    def train_one_epoch(model, loader, optimizer, device):
        while True:  # "until it converges"
            for inputs, labels in loader:
                optimizer.zero_grad()
                nn.functional.cross_entropy(model(inputs), labels).backward()
                optimizer.step()
    """
)

ALLOCATES_WITHOUT_BOUND = MODEL + textwrap.dedent(
    """

    def train_one_epoch(model, loader, optimizer, device):
        history = []
        while True:  # keeps every batch's activations, and more
            history.append(torch.ones(16 * 1024 * 1024))
    """
)

WRONG_NAMES = textwrap.dedent(
    """
    from torch import nn


    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)

        def forward(self, x):
            return self.conv(x)


    def train(model, loader):
        return 0.0
    """
)


def hostile_lab():
    lab = load_lab("dl-01-cifar-cnn")
    limits = {**lab.limits, "wall_s": 4, "cpu_s": 60, "memory_mb": 768}
    return dataclasses.replace(lab, limits=limits)


def assert_nothing_passed(result, reason_ru: str, reason_en: str) -> None:
    assert result.score == 0
    assert [test.name for test in result.tests if test.passed] == []
    assert reason_ru in result.message, result.message
    assert reason_en in result.messages["en"], result.messages["en"]
    for test in result.tests:
        assert test.message and test.messages["en"], test.name


def test_a_training_loop_that_never_ends_gets_the_wall_limit_verdict():
    result = grade_source(hostile_lab(), TRAINS_FOREVER, seed=21)
    assert result.limit_hit == "wall"
    assert result.status == Status.TIMED_OUT
    assert_nothing_passed(result, "Превышено время выполнения (4 с)", "Time limit exceeded (4 s)")
    unobserved = {
        test.name: test for test in result.tests if test.name in ("accuracy", "epoch_loss")
    }
    for test in unobserved.values():
        assert "Превышено время выполнения" in test.message, test.name


def test_unbounded_allocation_in_training_gets_the_memory_limit_verdict():
    result = grade_source(hostile_lab(), ALLOCATES_WITHOUT_BOUND, seed=22)
    assert result.limit_hit == "memory"
    assert result.status == Status.FAILED
    assert_nothing_passed(
        result, "Превышен лимит памяти (768 МБ)", "Memory limit exceeded (768 MB)"
    )
    epoch_loss = next(test for test in result.tests if test.name == "epoch_loss")
    assert "Превышен лимит памяти" in epoch_loss.message


def test_names_that_differ_from_the_contract_are_named_in_russian():
    result = grade_source(hostile_lab(), WRONG_NAMES, seed=23)
    assert result.status == Status.DONE
    assert_nothing_passed(
        result,
        "В решении нет класса SimpleCNN.",
        "The solution has no class SimpleCNN.",
    )
    assert "В решении нет функции train_one_epoch(model, loader, optimizer, device)." in (
        result.message
    )
