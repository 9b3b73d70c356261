"""The generated sets are learnable: a small model trained for a few seconds beats chance
clearly on the test split, and the same model on shuffled labels does not (so the margin
comes from the classes' patterns, not from an artefact of the files)."""

import pytest
import torch

from labs.labkit import datasets

STEPS = 300
# (least test accuracy after training, chance level) per classification set; the generator's
# difficulty (labs/synthetic_datasets.py) gives ~0.7-0.9 for images, ~0.9 for digits.
CLASSIFICATION = {
    "mnist": 0.5,
    "fashion_mnist": 0.5,
    "cifar10": 0.5,
    "digits": 0.6,
    "breast_cancer": 0.85,  # the majority class alone gives ~0.63
}


def train_classifier(x: torch.Tensor, y: torch.Tensor, classes: int, shuffle: bool = False):
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    if shuffle:
        y = y[torch.randperm(len(y), generator=generator)]
    flat = x.flatten(1)
    mean, std = flat.mean(0), flat.std(0) + 1e-6
    model = torch.nn.Linear(flat.shape[1], classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(STEPS):
        rows = torch.randint(0, len(y), (64,), generator=generator)
        loss = torch.nn.functional.cross_entropy(model((flat[rows] - mean) / std), y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return lambda features: model((features.flatten(1) - mean) / std).argmax(1)


@pytest.mark.parametrize("name", list(CLASSIFICATION))
def test_a_small_model_beats_chance_clearly(generated_datasets, name):
    torch.set_num_threads(1)
    classes = len(datasets.LAYOUTS[name].classes)
    train = datasets.load(name, "train", root=generated_datasets)
    test = datasets.load(name, "test", root=generated_datasets)
    majority = torch.bincount(test.y).max().item() / len(test.y)
    predict = train_classifier(train.x, train.y, classes)
    control = train_classifier(train.x, train.y, classes, shuffle=True)
    with torch.no_grad():
        accuracy = (predict(test.x) == test.y).float().mean().item()
        shuffled = (control(test.x) == test.y).float().mean().item()
    assert accuracy >= CLASSIFICATION[name], (name, accuracy)
    assert shuffled < majority + 0.1, (name, shuffled, majority)


def r_squared(x_train, y_train, x_test, y_test) -> float:
    ones = torch.ones(len(x_train), 1, dtype=torch.float64)
    weights = torch.linalg.lstsq(torch.cat([x_train.double(), ones], 1), y_train.double()[:, None])
    ones = torch.ones(len(x_test), 1, dtype=torch.float64)
    predicted = (torch.cat([x_test.double(), ones], 1) @ weights.solution)[:, 0]
    return 1 - ((predicted - y_test) ** 2).mean().item() / y_test.double().var().item()


def test_the_regression_set_is_learnable(generated_datasets):
    train = datasets.load("diabetes", "train", root=generated_datasets)
    test = datasets.load("diabetes", "test", root=generated_datasets)
    assert r_squared(train.x, train.y, test.x, test.y) >= 0.25
    generator = torch.Generator().manual_seed(0)
    shuffled = [
        r_squared(train.x, train.y[torch.randperm(len(train.y), generator=generator)], *test)
        for _ in range(10)
    ]
    assert sum(shuffled) / len(shuffled) < 0.1, shuffled  # one shuffle alone varies by ~0.2
