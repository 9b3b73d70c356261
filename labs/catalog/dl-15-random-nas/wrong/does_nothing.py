# expect-fail: search_result, reproducible, model_rng, architectures
# expect-score: 0
# One fixed model, scored once, and a history of one trial.
import random

from torch import nn


def random_model(rng, in_features, out_features):
    return nn.Sequential(nn.Linear(in_features, 8), nn.ReLU(), nn.Linear(8, out_features))


def random_search(n_trials, train_and_eval, seed, in_features=16, out_features=1):
    model = random_model(random.Random(seed), in_features, out_features)
    score = train_and_eval(model)
    return model, score, [{"score": score}]
