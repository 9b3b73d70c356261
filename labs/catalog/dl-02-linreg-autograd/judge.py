"""The trusted half of the linear-regression lab (contract: labs/grader_api.py).

Each job draws regression tasks (1, 3, 8 and 16 features, their weights, bias and noise). The
learner's fit_linear_regression trains on each in its sandbox; this judge computes the
least-squares solution of each task itself (float64, here, never in the sandbox) and compares
what the learner's gradient descent returned with it. The rules on *how* (no nn.Linear, no
torch.optim, no closed-form solve) are read from the source here and from what the probe saw
being called; they are claims, counted only when the solution also converges.
"""

from __future__ import annotations

import ast

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, EDGE, SOURCE, Draw, Prepared, Test, Verdict
from labs.interface import Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [Function("fit_linear_regression", ("X", "y"), keywords=("lr", "epochs"))]

# Full-batch gradient descent on the mean squared error from any reasonable start reaches the
# least-squares solution to ~1e-6 in float32 on these tasks (measured: lab_margins, see
# statement); 0.01 leaves room for a learner's own float32 arithmetic.
TOLERANCE = 0.01
# After EARLY_EPOCHS steps of EARLY_LR gradient descent cannot be near the solution (whose
# weights are 2-4 in size); a closed-form solve lands on it whatever lr and epochs say.
EARLY_LR, EARLY_EPOCHS, EARLY_DISTANCE = 0.001, 3, 0.05

# (observation, features, samples, lr, epochs)
CASES = {
    "one": (1, 100, 0.1, 500),
    "three": (3, 200, 0.1, 500),
    "eight": (8, 300, 0.1, 500),
    "sixteen": (16, 400, 0.05, 1500),
}
CASE_TESTS = {"one_feature": ("one",), "several_features": ("three", "eight"),
              "many_features": ("sixteen",)}  # fmt: skip

TESTS = [
    Test("one_feature", 3, _("One feature"), CORE, uses=("one",)),
    Test("several_features", 4, _("Several features"), CORE, uses=("three", "eight")),
    Test("many_features", 4, _("Sixteen features, lr=0.05"), CORE, uses=("sixteen",)),
    Test("shapes", 1, _("Shapes of w and b"), EDGE, uses=("one", "three", "eight", "sixteen"),
         requires=("one_feature", "several_features")),
    Test("no_linear", 1, _("Without nn.Linear"), CLAIM, uses=(SOURCE, "used")),
    Test("no_optim", 1, _("Without torch.optim"), CLAIM, uses=(SOURCE, "used")),
    Test("no_closed_form", 1, _("Without a closed-form solution"), CLAIM,
         uses=(SOURCE, "used", "early")),
]  # fmt: skip

# What each static rule forbids, as names in the source (attributes, names, imported names)
# and as the labels the probe records when they are called.
FORBIDDEN = {
    "no_linear": {"Linear", "LazyLinear"},
    "no_optim": {"optim"},
    "no_closed_form": {"lstsq", "pinv", "pinverse", "inverse", "inv", "inv_ex", "solve",
                       "solve_ex", "cholesky_solve", "lu_solve", "solve_triangular",
                       "tensorsolve", "tensorinv", "triangular_solve"},
}  # fmt: skip
RUNTIME_PREFIX = {"no_linear": "nn.Linear", "no_optim": "torch.optim", "no_closed_form": "solve:"}


def _task(rng: np.random.Generator, features: int, samples: int):
    """A regression task: X with features of different scales and offsets, true weights of
    size 2-4 with random signs, a bias, and noise; returns X, y (float32, what the learner
    gets) and the least-squares solution of exactly that float32 data (float64)."""
    scale = rng.uniform(0.7, 1.3, size=features)
    offset = rng.uniform(-0.3, 0.3, size=features)
    x = rng.normal(size=(samples, features)) * scale + offset
    w = rng.uniform(2.0, 4.0, size=features) * rng.choice([-1.0, 1.0], size=features)
    b = rng.uniform(-3.0, 3.0)
    y = x @ w + b + rng.normal(0.0, 0.1, size=samples)
    x32, y32 = x.astype(np.float32), y.astype(np.float32).reshape(-1, 1)
    design = np.hstack([x32.astype(np.float64), np.ones((samples, 1))])
    solution, *_rest = np.linalg.lstsq(design, y32.astype(np.float64).ravel(), rcond=None)
    return x32, y32, solution[:-1], float(solution[-1])


def prepare(draw: Draw) -> Prepared:
    rng = draw.public_np
    inputs, hidden = {"cases": {}}, {}
    names = list(CASES)
    draw.public.shuffle(names)  # the order of the calls says nothing
    for name in names:
        features, samples, lr, epochs = CASES[name]
        x, y, w, b = _task(rng, features, samples)
        inputs["cases"][name] = {"X": x, "y": y, "lr": lr, "epochs": epochs}
        hidden[name] = (w, b)
    x, y, w, b = _task(rng, 4, 150)
    inputs["early"] = {"X": x, "y": y, "lr": EARLY_LR, "epochs": EARLY_EPOCHS}
    hidden["early"] = (w, b)
    return Prepared(inputs=inputs, hidden=hidden)


def _values(seen, features: int):
    """(w, b) as float64 arrays from an observation, or a failing verdict."""
    if not isinstance(seen, dict) or not seen.get("pair"):
        return Verdict.fail(
            _("fit_linear_regression must return a pair (w, b), not {type}."),
            type=seen.get("type") if isinstance(seen, dict) else None,
        )
    if seen.get("problem"):
        return Verdict.fail(
            _("w and b could not be read as numbers: {problem}"), problem=seen["problem"]
        )
    w = np.asarray(seen.get("w"), dtype=np.float64).ravel()
    b = np.asarray(seen.get("b"), dtype=np.float64).ravel()
    if w.size != features or b.size != 1:
        return Verdict.fail(
            _("For {d} features expected {d} weights and one bias, got {w} weights and {b} "
              "bias values."),
            d=features, w=int(w.size), b=int(b.size),
        )  # fmt: skip
    return w, float(b[0])


def _judge_case(name: str, seen, hidden: dict) -> Verdict:
    features, _samples, lr, epochs = CASES[name]
    got = _values(seen, features)
    if isinstance(got, Verdict):
        return got
    w, b = got
    want_w, want_b = hidden[name]
    error = max(float(np.max(np.abs(w - want_w))), abs(b - want_b))
    if not np.isfinite(error) or error > TOLERANCE:
        return Verdict.fail(
            _("With {d} features, lr={lr} and epochs={epochs} the result is {error} away from "
              "the minimum of the mean squared error (tolerance {tolerance}): gradient descent "
              "did not converge to it."),
            d=features, lr=lr, epochs=epochs,
            error=f"{error:.3g}" if np.isfinite(error) else "NaN/inf", tolerance=TOLERANCE,
        )  # fmt: skip
    return Verdict.ok(
        _("With {d} features the result is within {error:.1e} of the minimum."),
        d=features, error=error,
    ).with_margin(TOLERANCE - error)  # fmt: skip


def _judge_shapes(evidence) -> Verdict:
    for name, (features, *_rest) in CASES.items():
        seen = evidence[name]
        if not isinstance(seen, dict) or not seen.get("pair"):
            return Verdict.fail(_("fit_linear_regression must return a pair (w, b)."))
        if not (seen.get("w_tensor") and seen.get("b_tensor")):
            return Verdict.fail(_("w and b must be torch tensors."))
        if seen.get("w_shape") != [features, 1] or seen.get("b_shape") != [1]:
            return Verdict.fail(
                _("For {d} features w must have shape ({d}, 1) and b shape (1,); got {w} and "
                  "{b}."),
                d=features, w=tuple(seen.get("w_shape") or ()), b=tuple(seen.get("b_shape") or ()),
            )  # fmt: skip
    return Verdict.ok(_("w has shape (d, 1) and b shape (1,) in every case."))


def _source_findings(source, rule: str) -> list[tuple[int, str]]:
    """Where the source names what ``rule`` forbids, anywhere in the module: as an attribute
    (``torch.linalg.solve``, ``nn.Linear``, ``A.inverse()``) or an import (``from torch.linalg
    import inv``); a local variable that happens to be called ``inv`` is not a finding."""
    if source.tree is None:
        return [(0, "syntax error")]
    found = []
    names = FORBIDDEN[rule]
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Attribute) and node.attr in names:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            parts = set(module.split("."))
            hit = parts & names or {alias.name for alias in node.names} & names
            if hit:
                found.append((node.lineno, f"from {module} import ..."))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if set(alias.name.split(".")) & names:
                    found.append((node.lineno, f"import {alias.name}"))
    _reached, dynamic = source.reachable("fit_linear_regression")
    found += [(finding.line, finding.what) for finding in dynamic]
    return sorted(found)


def _judge_rule(rule: str, evidence, hidden: dict) -> Verdict:
    findings = _source_findings(evidence.source, rule)
    if findings:
        line, what = findings[0]
        return Verdict.fail(
            _("The code uses {what} (line {line}); this lab forbids it, or it hides what the "
              "code runs."),
            what=what, line=line,
        )  # fmt: skip
    used = evidence["used"]
    used = used if isinstance(used, list) else []
    called = sorted({str(name) for name in used if str(name).startswith(RUNTIME_PREFIX[rule])})
    if called:
        return Verdict.fail(
            _("While training, the solution called {what}; this lab forbids it."),
            what=", ".join(called),
        )
    if rule == "no_closed_form":
        got = _values(evidence["early"], 4)
        if isinstance(got, Verdict):
            return got
        w, b = got
        want_w, want_b = hidden["early"]
        distance = max(float(np.max(np.abs(w - want_w))), abs(b - want_b))
        if distance < EARLY_DISTANCE:
            return Verdict.fail(
                _("With lr={lr} and epochs={epochs} the result is already the least-squares "
                  "solution (within {distance:.1e}): {epochs} small gradient steps cannot get "
                  "there, a closed-form solution can."),
                lr=EARLY_LR, epochs=EARLY_EPOCHS, distance=distance,
            )  # fmt: skip
        return Verdict.ok(_("Not found in the code, and not called while training.")).with_margin(
            distance - EARLY_DISTANCE
        )
    return Verdict.ok(_("Not found in the code, and not called while training."))


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test in CASE_TESTS:
        verdicts = [_judge_case(name, evidence[name], hidden) for name in CASE_TESTS[test]]
        failed = [verdict for verdict in verdicts if not verdict.passed]
        if failed:
            return failed[0]
        return min(verdicts, key=lambda verdict: verdict.margin)
    if test == "shapes":
        return _judge_shapes(evidence)
    if test in FORBIDDEN:
        return _judge_rule(test, evidence, hidden)
    raise KeyError(test)
