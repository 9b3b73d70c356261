# expect-fail: search_result, reproducible, model_rng, architectures
# expect-score: 0
# Keeps the lowest score, as if it were a loss: train_and_eval returns a score where higher
# is better.
import random

import torch
from torch import nn

WIDTHS = (8, 16, 32, 64)
ACTIVATIONS = (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU)


def random_model(rng: random.Random, in_features: int, out_features: int) -> nn.Sequential:
    """1-4 hidden layers of random widths, each followed by a random activation."""
    layers = []
    width = in_features
    for _ in range(rng.randint(1, 4)):
        hidden = rng.choice(WIDTHS)
        layers += [nn.Linear(width, hidden), rng.choice(ACTIVATIONS)()]
        width = hidden
    return nn.Sequential(*layers, nn.Linear(width, out_features))


def describe(model: nn.Sequential) -> list[str]:
    return [
        f"Linear({m.in_features}, {m.out_features})"
        if isinstance(m, nn.Linear)
        else type(m).__name__
        for m in model
    ]


def random_search(n_trials, train_and_eval, seed, in_features=16, out_features=1):
    rng = random.Random(seed)  # noqa: S311 - the architectures: never the global random
    torch.manual_seed(seed)  # the weights
    best_model, best_score, history = None, float("inf"), []
    for trial in range(n_trials):
        model = random_model(rng, in_features, out_features)
        score = float(train_and_eval(model))
        history.append({"trial": trial, "score": score, "architecture": describe(model)})
        if best_model is None or score < best_score:  # "lower is better": the wrong way
            best_model, best_score = model, score
    return best_model, best_score, history
