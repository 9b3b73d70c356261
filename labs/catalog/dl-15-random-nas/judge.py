"""The trusted half of the random-search NAS lab (contract: labs/grader_api.py).

The grader's ``train_and_eval`` (probe.py: Evaluator) trains each model it is given a few
steps on regression data drawn per job and logs every call: the architecture, the weights
before and after, the score it returned. The search's result is held against that log here:
its history must be the calls in order with their scores, its best score the largest of
them and its best model the model of that call. Reproducibility is judged across three runs:
the same seed after the global random, NumPy and torch generators were seeded differently
must give the same calls (architectures and scores, which depend on the initial weights, so
torch must be seeded too); another seed, after the same global seeding as the first run, must
give other calls (so the seed, not the global state, decides). ``random_model`` is called on
``random.Random`` objects of known seeds, some of them twice with the global ``random``
module in other states.

Statistical bounds (a correct sampler fails with probability < 1e-6). The contract asks
for random depths, widths and activations; take the narrowest sampler that honours it: two
equally likely options for each of the three, drawn once per model.

- Diversity of random_model: at least two depths, two widths and two activations among
  MODELS = 24 models. One option only: <= 2 * 2**-24 = 1.2e-7 for each of the three.
- Trials of a search differ: n_trials is 8-10, and all trials repeat the first architecture
  with probability <= (1/2 * 1/2 * 1/2)**(8 - 1) = 4.8e-7.
"""

from __future__ import annotations

import math

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, EDGE, Draw, Prepared, Test, Verdict
from labs.interface import Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Function("random_model", ("rng", "in_features", "out_features")),
    Function("random_search", ("n_trials", "train_and_eval", "seed"),
             keywords=("in_features", "out_features")),
]  # fmt: skip

MODELS = 24
REPEATS = 3  # seeds asked for twice (the global random module in other states)
PROBE_ROWS = 5
SCORE_TOLERANCE = 1e-9
WEIGHT_TOLERANCE = 1e-6  # relative, on the sums that fingerprint the weights

TESTS = [
    Test("search_result", 5, _("Search result"), CORE, uses=("searches",)),
    Test("reproducible", 3, _("Reproducible with the seed"), EDGE, uses=("searches",),
         requires=("search_result",)),
    Test("model_rng", 1, _("random_model uses its generator"), EDGE, uses=("models",),
         requires=("search_result",)),
    Test("architectures", 1, _("Architectures"), CLAIM, uses=("models",)),
]  # fmt: skip


def prepare(draw: Draw) -> Prepared:
    rng, public = draw.public_np, draw.public
    features = public.choice((8, 12, 16, 20))
    outputs = public.choice((1, 2, 3))
    hidden = 12
    w1 = rng.normal(0, features**-0.5, size=(features, hidden))
    w2 = rng.normal(0, hidden**-0.5, size=(hidden, outputs))

    def data(rows: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(size=(rows, features))
        return x.astype(np.float32), (np.tanh(x @ w1) @ w2).astype(np.float32)

    x_train, y_train = data(256)
    x_val, y_val = data(128)
    seeds = [public.randrange(2**31) for _n in range(MODELS)]
    repeats = public.sample(range(MODELS), REPEATS)
    search_seed = public.randrange(2**31)
    trials = public.randint(8, 10)
    return Prepared(
        inputs={
            "in_features": features,
            "out_features": outputs,
            "n_trials": trials,
            "x_train": x_train,
            "y_train": y_train,
            "x_val": x_val,
            "y_val": y_val,
            "x_probe": rng.normal(size=(PROBE_ROWS, features)).astype(np.float32),
            "model_seeds": seeds + [seeds[i] for i in repeats],
            "junk_seeds": [public.randrange(2**31) for _n in range(MODELS + REPEATS)],
            "search_seed": search_seed,
            "other_seed": (search_seed + 1 + public.randrange(2**20)) % 2**31,
            "global_seeds": [public.randrange(2**31), public.randrange(2**31)],
        },
        hidden={"features": features, "outputs": outputs, "repeats": repeats, "trials": trials},
    )


# --- the search's result against the calls it made --------------------------------------------


def _close(a, b) -> bool:
    return (
        isinstance(a, float) and isinstance(b, float) and math.isfinite(a) and math.isfinite(b)
        and abs(a - b) <= SCORE_TOLERANCE * max(1.0, abs(b))
    )  # fmt: skip


def _same_weights(a, b) -> bool:
    return (
        isinstance(a, list) and isinstance(b, list) and len(a) == len(b) == 2
        and all(abs(x - y) <= WEIGHT_TOLERANCE * max(1.0, abs(y))
                for x, y in zip(a, b, strict=True))
    )  # fmt: skip


def _arch(call: dict):
    return call.get("architecture") if isinstance(call, dict) else None


def _check_run(run: dict, trials: int) -> Verdict | None:
    """None if the run's result matches its calls; else what is wrong."""
    calls, history = run.get("calls") or [], run.get("history")
    if history is None:
        return Verdict.fail(_("The history must be a list of dicts, not {type}."),
                            type=run.get("history_type"))  # fmt: skip
    if len(history) != trials:
        return Verdict.fail(_("The history holds {got} trials; n_trials was {want}."),
                            got=len(history), want=trials)  # fmt: skip
    if len(calls) < trials:
        return Verdict.fail(
            _("train_and_eval was called {got} times for {want} trials: every trial must be "
              "scored with it."),
            got=len(calls), want=trials,
        )  # fmt: skip
    for index, (score, call) in enumerate(zip(history, calls, strict=False)):
        if not isinstance(score, float) or not _close(score, call.get("score")):
            return Verdict.fail(
                _("Trial {index} of the history has score {got}, but train_and_eval returned "
                  "{want} for the model of that trial (the history must list the trials in "
                  "order, each with the score train_and_eval gave it)."),
                index=index, got=score, want=call.get("score"),
            )  # fmt: skip
    scores = [call["score"] for call in calls[:trials]]
    best = int(np.argmax(scores))
    if not _close(run.get("best_score"), scores[best]):
        return Verdict.fail(
            _("best_score is {got}; the largest score of the trials is {want}."),
            got=run.get("best_score"), want=scores[best],
        )  # fmt: skip
    chosen = run.get("best") or {}
    call = calls[best]
    if not chosen.get("module"):
        return Verdict.fail(_("best_model must be an nn.Module, not {type}."),
                            type=chosen.get("type"))  # fmt: skip
    fingerprint = chosen.get("fingerprint")
    same = {key: value for key, value in chosen.items() if key != "fingerprint"}
    if same != call.get("architecture") or not (
        _same_weights(fingerprint, call.get("after"))
        or _same_weights(fingerprint, call.get("before"))
    ):
        return Verdict.fail(
            _("best_model is not the model of the best trial (trial {index}, score {score}).",),
            index=best, score=scores[best],
        )  # fmt: skip
    architectures = {repr(_arch(c)) for c in calls[:trials]}
    if len(architectures) < 2:
        return Verdict.fail(
            _("All {count} trials have the same architecture: the search must sample them."),
            count=trials,
        )
    return None


def _judge_search(seen, trials: int) -> Verdict:
    if not isinstance(seen, list) or len(seen) != 3:
        return Verdict.fail(_("random_search returned no comparable results."))
    for run in seen:
        if not isinstance(run, dict):
            return Verdict.fail(_("random_search returned no comparable results."))
        problem = _check_run(run, trials)
        if problem is not None:
            return problem
    return Verdict.ok(
        _("The history lists the {count} trials in order with their scores; the best score and "
          "model are those of the best trial."),
        count=trials,
    )  # fmt: skip


def _signature(run: dict, trials: int) -> list:
    return [[_arch(call), call.get("score")] for call in (run.get("calls") or [])[:trials]]


def _judge_reproducible(seen, trials: int) -> Verdict:
    if not isinstance(seen, list) or len(seen) != 3 or not all(isinstance(r, dict) for r in seen):
        return Verdict.fail(_("random_search returned no comparable results."))
    first, second, other = seen
    a, b = _signature(first, trials), _signature(second, trials)
    if len(a) != trials or len(b) != trials:
        return Verdict.fail(_("random_search returned no comparable results."))
    for index, (one, two) in enumerate(zip(a, b, strict=True)):
        if one[0] != two[0]:
            return Verdict.fail(
                _("With the same seed, trial {index} got another architecture once the global "
                  "random generators were seeded differently: sample the architectures with a "
                  "random.Random(seed) of your own."),
                index=index,
            )  # fmt: skip
        if not _close(one[1], two[1]):
            return Verdict.fail(
                _("With the same seed, trial {index} has the same architecture but another "
                  "score ({first} and {second}) once the global generators were seeded "
                  "differently: seed torch with the seed too (the initial weights)."),
                index=index, first=one[1], second=two[1],
            )  # fmt: skip
    if _signature(other, trials) == a:
        return Verdict.fail(
            _(
                "Another seed gave exactly the same trials: the seed must decide the search, "
                "not the global random state."
            )
        )
    return Verdict.ok(
        _(
            "The same seed gives the same trials whatever the global random state; another "
            "seed gives others."
        )
    )


def _judge_model_rng(seen, hidden: dict) -> Verdict:
    if not isinstance(seen, list) or len(seen) != MODELS + REPEATS:
        return Verdict.fail(_("random_model returned no comparable results."))
    if not all(isinstance(record, dict) and record.get("consumed") for record in seen):
        return Verdict.fail(
            _(
                "random_model did not draw from the random.Random it was given (its state did "
                "not change)."
            )
        )
    for position, index in enumerate(hidden["repeats"]):
        again = seen[MODELS + position]
        if {k: v for k, v in seen[index].items()} != {k: v for k, v in again.items()}:
            return Verdict.fail(
                _(
                    "Two generators in the same state gave different architectures (the global "
                    "random module was in another state): random_model must draw only from rng."
                )
            )
    return Verdict.ok(_("random_model draws from its generator only: the same state, the same "
                        "architecture."))  # fmt: skip


def _architecture_problem(record: dict, features: int, outputs: int):
    if not record.get("module") or not record.get("sequential"):
        return _("random_model must return an nn.Sequential, not {type}."), {
            "type": record.get("type", "nn.Module")
        }
    layers = record.get("layers") or []
    linear = [layer for layer in layers if layer and layer[0] == "Linear"]
    if not 2 <= len(linear) <= 5:
        return _("A model has {count} nn.Linear layers; it needs 1-4 hidden ones and an output "
                 "layer."), {"count": len(linear)}  # fmt: skip
    if not layers[-1] or layers[-1][0] != "Linear":
        return _("A model does not end with its output nn.Linear layer."), {}
    widths = [features] + [layer[2] for layer in linear]
    chained = all(layer[1] == widths[i] for i, layer in enumerate(linear))
    if not chained or linear[-1][2] != outputs:
        shown = [" ".join(map(str, one)) for one in layers]
        return _("A model's nn.Linear layers do not chain from {features} inputs to {outputs} "
                 "outputs: {layers}."), {"features": features, "outputs": outputs,
                                         "layers": shown}  # fmt: skip
    if len(layers) == len(linear):
        return _("A model has no activation between its nn.Linear layers."), {}
    if record.get("output_shape") != [PROBE_ROWS, outputs]:
        return _("A model maps ({rows}, {features}) to {got}, not to ({rows}, {outputs})."), {
            "rows": PROBE_ROWS, "features": features, "outputs": outputs,
            "got": record.get("output_shape") or record.get("output_error"),
        }  # fmt: skip
    return None


def _judge_architectures(seen, hidden: dict) -> Verdict:
    if not isinstance(seen, list) or len(seen) != MODELS + REPEATS:
        return Verdict.fail(_("random_model returned no comparable results."))
    for record in seen:
        problem = _architecture_problem(record, hidden["features"], hidden["outputs"])
        if problem is not None:
            text, params = problem
            return Verdict.fail(text, **params)
    depths, widths, activations = set(), set(), set()
    for record in seen[:MODELS]:
        layers = record["layers"]
        linear = [layer for layer in layers if layer[0] == "Linear"]
        depths.add(len(linear) - 1)
        widths.update(layer[2] for layer in linear[:-1])
        activations.update(layer[0] for layer in layers if layer[0] != "Linear")
    kinds = (
        (depths, _("Over {count} models random_model always builds the same depth: {values}.")),
        (widths, _("Over {count} models random_model always picks the same width: {values}.")),
        (activations,
         _("Over {count} models random_model always picks the same activation: {values}.")),
    )  # fmt: skip
    for values, text in kinds:
        if len(values) < 2:
            return Verdict.fail(text, count=MODELS, values=sorted(map(str, values)))
    return Verdict.ok(
        _("Every model chains {features} inputs through 1-4 hidden layers to {outputs} outputs; "
          "depths {depths}, widths {widths}, activations {activations}."),
        features=hidden["features"], outputs=hidden["outputs"], depths=sorted(depths),
        widths=sorted(widths), activations=sorted(activations),
    )  # fmt: skip


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test == "search_result":
        return _judge_search(evidence["searches"], hidden["trials"])
    if test == "reproducible":
        return _judge_reproducible(evidence["searches"], hidden["trials"])
    if test == "model_rng":
        return _judge_model_rng(evidence["models"], hidden)
    if test == "architectures":
        return _judge_architectures(evidence["models"], hidden)
    raise KeyError(test)
