"""Runs inside the sandbox, next to the learner's code. It records:

- for many ``random.Random`` objects of known seeds (the global ``random`` module reseeded
  with other values before each call): the architecture ``random_model`` builds from each,
  the shape of its output, and whether it drew from the generator it was given;
- three runs of ``random_search`` with the grader's ``train_and_eval``: two with the same
  seed after the global random, NumPy and torch generators were seeded differently, one with
  another seed. ``train_and_eval`` trains the model a few steps on the grader's regression
  data and logs every call (the architecture it got, its weights before and after, the score
  it returned), so that the judge can hold the search's result against the calls it made.
"""

import random

import numpy
import torch
from torch import nn

_float = float
_isinstance = isinstance
_type = type
_dict, _list, _tuple = dict, list, tuple
_module, _linear, _sequential = nn.Module, nn.Linear, nn.Sequential

TRAIN_STEPS = 10
LR = 0.01


def describe(model) -> dict:
    """The model's layers as plain data: ["Linear", in, out] or [type name]."""
    if not _isinstance(model, _module):
        return {"module": False, "type": _type(model).__name__}
    sequential = _isinstance(model, _sequential)
    layers = []
    for layer in model.children() if sequential else ():
        if _isinstance(layer, _linear):
            layers.append(["Linear", layer.in_features, layer.out_features])
        else:
            layers.append([_type(layer).__name__])
    return {"module": True, "sequential": sequential, "layers": layers}


def fingerprint(model) -> list:
    """Two numbers that change with any weight: the sum and the sum of squares."""
    with torch.no_grad():
        values = [p.detach().to(torch.float64).flatten() for p in model.parameters()]
        flat = torch.cat(values) if values else torch.zeros(0, dtype=torch.float64)
        return [_float(flat.sum()), _float((flat * flat).sum())]


def _number(value):
    try:
        return _float(value)
    except Exception:
        return None


def _reseed(value) -> None:
    random.seed(value)
    numpy.random.seed(value % 2**32)
    torch.manual_seed(value)


class Evaluator:
    """The grader's train_and_eval: a few full-batch Adam steps, then minus the validation MSE.
    It uses no random numbers, so its result depends only on the model it is given."""

    def __init__(self, inputs) -> None:
        self.x_train = torch.from_numpy(inputs["x_train"])
        self.y_train = torch.from_numpy(inputs["y_train"])
        self.x_val = torch.from_numpy(inputs["x_val"])
        self.y_val = torch.from_numpy(inputs["y_val"])
        self.calls = []

    def __call__(self, model) -> float:
        call = {"architecture": describe(model)}
        self.calls.append(call)
        call["before"] = fingerprint(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        for _step in range(TRAIN_STEPS):
            loss = ((model(self.x_train) - self.y_train) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            score = -_float(((model(self.x_val) - self.y_val) ** 2).mean())
        call["after"] = fingerprint(model)
        call["score"] = score
        return score


def _search(solution, inputs, seed, global_seed) -> dict:
    evaluator = Evaluator(inputs)
    _reseed(global_seed)
    best_model, best_score, history = solution.random_search(
        inputs["n_trials"],
        evaluator,
        seed,
        in_features=inputs["in_features"],
        out_features=inputs["out_features"],
    )
    scores = None
    if _isinstance(history, _list | _tuple):
        scores = [
            _number(entry["score"]) if _isinstance(entry, _dict) and "score" in entry else None
            for entry in history
        ]
    best = describe(best_model)
    if best["module"]:
        best["fingerprint"] = fingerprint(best_model)
    return {
        "calls": evaluator.calls,
        "history": scores,
        "history_type": _type(history).__name__,
        "best_score": _number(best_score),
        "best": best,
    }


def run(solution, observe, inputs):
    features, outputs = inputs["in_features"], inputs["out_features"]
    x = torch.from_numpy(inputs["x_probe"])

    with observe("models") as seen:
        models = []
        for seed, junk in zip(inputs["model_seeds"], inputs["junk_seeds"], strict=True):
            random.seed(junk)
            rng = random.Random(seed)  # noqa: S311 - the contract's generator
            model = solution.random_model(rng, features, outputs)
            record = describe(model)
            record["consumed"] = rng.getstate() != random.Random(seed).getstate()  # noqa: S311
            if record["module"]:
                try:
                    with torch.no_grad():
                        out = model(x)
                    record["output_shape"] = (
                        _list(out.shape) if _isinstance(out, torch.Tensor) else None
                    )
                except Exception as error:
                    record["output_error"] = f"{_type(error).__name__}: {error}"[:200]
            models.append(record)
        seen.value = models

    with observe("searches") as seen:
        seed, other = inputs["search_seed"], inputs["other_seed"]
        first, second = inputs["global_seeds"]
        seen.value = [
            _search(solution, inputs, seed, first),
            _search(solution, inputs, seed, second),  # the same seed, other global state
            _search(solution, inputs, other, first),  # another seed, the first global state
        ]
