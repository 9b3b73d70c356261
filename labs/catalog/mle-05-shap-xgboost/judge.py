"""The trusted half of the SHAP-for-XGBoost lab (contract: labs/grader_api.py).

The data is scikit-learn's diabetes set as the worker's dataset store holds it, split as the
ticket's code splits it (20% held out, ``random_state=42``). Only the training part enters the
learner's sandbox. The probe saves the model ``train_model`` returns in XGBoost's JSON format
(data, not a pickle); check.py loads it in a clean sandbox, where no learner code runs, and
reports its predictions on the held-out rows (their targets stay here), its predictions on the
rows ``explain`` was given, and the exact TreeSHAP values of those rows as XGBoost computes
them (``pred_contribs``). This judge checks that the learner's SHAP values add up to the
model's predictions, that they are the TreeSHAP values, and the model's R² on the held-out
rows. ``top_features`` is a pure function: it gets SHAP matrices, names and k drawn per job,
and its answers are compared with the ranking computed here.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, Draw, Prepared, Test, Verdict
from labs.heldout import tabular_set
from labs.interface import Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Function("train_model", ("X", "y")),
    Function("explain", ("model", "X")),
    Function("top_features", ("shap_values", "feature_names", "k")),
]

DATASET = "diabetes"
FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
TEST_SIZE = 0.2
SPLIT_SEED = 42
# The contract's bound on additivity (shared/specs/labs.md): prediction minus a row's SHAP sum
# is one constant for every row, within 1e-2. The reference's spread is ~3e-4 (float32 sums).
ADDITIVITY_TOLERANCE = 1e-2
# SHAP values against TreeSHAP recomputed in the clean step from the saved model: the same
# algorithm on the same trees agrees to float32 rounding (~1e-5 here; values reach ~100).
SHAP_TOLERANCE = 1e-3
# R² on the held-out rows. Measured with this split: XGBRegressor() 0.37 on the real set and
# 0.49 on the generated stand-in the tests use, max_depth=10 0.28 / 0.38, depth 3 and
# learning_rate 0.1 0.44 / 0.58; a model trained on shuffled targets -0.32, the mean 0.
MIN_R2 = 0.2
EXPLAIN_ROWS = 60  # rows explain gets: half training rows, half mixes of two of them
TOP_CASES = 4

TESTS = [
    Test("additivity", 3, _("Additivity of SHAP values"), CORE,
         uses=("saved", "explained", "check:pred_explain")),
    Test("shap_values", 2, _("TreeSHAP values"), CORE,
         uses=("saved", "explained", "check:contribs")),
    Test("model_quality", 2, _("R² on the held-out split"), CORE,
         uses=("saved", "check:pred_test")),
    Test("top_features", 2, _("Ranking of features"), CORE,
         uses=tuple(f"top_{case}" for case in range(TOP_CASES))),
    Test("xgb_type", 1, _("The model is an XGBRegressor"), CLAIM, uses=("trained",)),
]  # fmt: skip


def dataset() -> tuple[np.ndarray, np.ndarray]:
    """The set from the worker's store (labs/heldout.py). The learner's code never reads the
    set: this judge hands it the rows."""
    x, y = tabular_set(DATASET)
    return x, y.astype(np.float64)


def split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The set from the worker's store, split as the statement says (float32 features)."""
    from sklearn.model_selection import train_test_split

    x, y = dataset()
    x_train, x_test, y_train, y_test = train_test_split(
        x.astype(np.float32), y.astype(np.float32), test_size=TEST_SIZE, random_state=SPLIT_SEED
    )
    return x_train, x_test, y_train, y_test


def ranking(values: np.ndarray, names: list[str], k: int) -> list[str]:
    """The k names with the largest mean absolute SHAP value, largest first."""
    importance = np.mean(np.abs(values.astype(np.float64)), axis=0)
    order = np.argsort(-importance, kind="stable")
    return [names[j] for j in order[:k]]


def _signed_ranking(values: np.ndarray, names: list[str], k: int) -> list[str]:
    order = np.argsort(-np.mean(values, axis=0), kind="stable")
    return [names[j] for j in order[:k]]


def _top_case(rng: np.random.Generator, features: int, rows: int, k: int) -> dict:
    """SHAP-like values whose mean absolute values are well apart (no near-ties), with mixed
    signs, so that ranking by the signed mean or in the wrong order gives another answer."""
    while True:
        scale = np.exp(rng.uniform(-2.0, 3.0, size=features))
        # Some features push both ways (signed mean near 0), others mostly one way.
        bias = rng.choice([-0.8, 0.0, 0.0, 0.8], size=features)
        values = rng.normal(bias, 1.0, size=(rows, features)) * scale
        importance = np.sort(np.mean(np.abs(values), axis=0))
        gaps = np.diff(importance) / importance[1:]
        names = _names(rng, features)
        if np.min(gaps) > 0.03 and ranking(values, names, k) != _signed_ranking(values, names, k):
            return {"shap_values": values, "feature_names": names, "k": int(k)}


def _names(rng: np.random.Generator, count: int) -> list[str]:
    pool = [*FEATURES, "bmi_x_bp", "glucose", "ldl", "hdl", "tch", "ltg", "age_sq", "bp_mean"]
    chosen = rng.choice(len(pool), size=count, replace=False)
    return [pool[i] for i in chosen]


def prepare(draw: Draw) -> Prepared:
    x_train, x_test, y_train, y_test = split()
    rng = draw.public_np
    half = EXPLAIN_ROWS // 2
    rows = rng.choice(len(x_train), size=half, replace=False)
    first, second = rng.integers(0, len(x_train), size=(2, half))
    weight = rng.uniform(0.2, 0.8, size=(half, 1)).astype(np.float32)
    mixed = weight * x_train[first] + (1 - weight) * x_train[second]
    x_explain = np.concatenate([x_train[rows], mixed]).astype(np.float32)
    x_explain = x_explain[rng.permutation(len(x_explain))]
    # top_features: a narrow matrix, a wide one (fewer rows than features: axis mix-ups show),
    # all k of the features, and one.
    shapes = [(10, 50, int(rng.integers(2, 8))), (12, 6, int(rng.integers(2, 10))),
              (8, 30, 8), (14, 40, 1)]  # fmt: skip
    cases = [_top_case(rng, features, rows_, k) for features, rows_, k in shapes]
    order = rng.permutation(TOP_CASES)
    cases = [cases[i] for i in order]
    return Prepared(
        inputs={"X_train": x_train, "y_train": y_train, "X_explain": x_explain, "top": cases},
        hidden={
            "y_test": y_test.astype(np.float64),
            "explain_rows": len(x_explain),
            "top": [ranking(c["shap_values"], c["feature_names"], c["k"]) for c in cases],
            "top_shapes": [c["shap_values"].shape for c in cases],
        },
        # The held-out rows enter the clean step only; their targets never leave this process.
        check_inputs={"X_test": x_test, "X_explain": x_explain},
    )


def _array(seen, shape: tuple[int, ...], what) -> tuple[np.ndarray | None, Verdict | None]:
    if isinstance(seen, dict):
        if "error" in seen:
            return None, Verdict.fail(
                _("{what} could not be computed: {error}"), what=what, error=seen["error"]
            )
        return None, Verdict.fail(
            _("{what}: expected a NumPy array, got {type}."), what=what, type=seen.get("type")
        )
    values = np.asarray(seen, dtype=np.float64)
    if values.shape != shape:
        return None, Verdict.fail(
            _("{what}: expected shape {want}, got {got}."),
            what=what, want=list(shape), got=list(values.shape),
        )  # fmt: skip
    if not np.all(np.isfinite(values)):
        return None, Verdict.fail(_("{what}: not every value is a finite number."), what=what)
    return values, None


def _explained(evidence, hidden: dict) -> tuple[np.ndarray | None, Verdict | None]:
    return _array(
        evidence["explained"], (hidden["explain_rows"], len(FEATURES)), _("The SHAP values")
    )


def _judge_additivity(evidence, hidden: dict) -> Verdict:
    values, problem = _explained(evidence, hidden)
    if problem:
        return problem
    predictions, problem = _array(
        evidence["check:pred_explain"], (hidden["explain_rows"],), _("The model's predictions")
    )
    if problem:
        return problem
    rest = predictions - values.sum(axis=1)
    spread = float(np.max(np.abs(rest - np.median(rest))))
    margin = ADDITIVITY_TOLERANCE - spread
    if spread > ADDITIVITY_TOLERANCE:
        return Verdict.fail(
            _("Prediction minus the sum of a row's SHAP values is not one constant: over {rows} "
              "rows it moves by up to {spread:.3g} from its median {median:.4g} (tolerance "
              "{tolerance:g})."),
            rows=len(rest), spread=spread, median=float(np.median(rest)),
            tolerance=ADDITIVITY_TOLERANCE,
        ).with_margin(margin)  # fmt: skip
    return Verdict.ok(
        _("For each of the {rows} rows, prediction = {median:.4g} + the sum of its SHAP values "
          "(largest deviation {spread:.1e})."),
        rows=len(rest), median=float(np.median(rest)), spread=spread,
    ).with_margin(margin)  # fmt: skip


def _judge_shap_values(evidence, hidden: dict) -> Verdict:
    values, problem = _explained(evidence, hidden)
    if problem:
        return problem
    contribs, problem = _array(
        evidence["check:contribs"],
        (hidden["explain_rows"], len(FEATURES) + 1),
        _("TreeSHAP of the saved model"),
    )
    if problem:
        return problem
    difference = float(np.max(np.abs(values - contribs[:, :-1])))
    margin = SHAP_TOLERANCE - difference
    if difference > SHAP_TOLERANCE:
        return Verdict.fail(
            _("The SHAP values differ from the model's TreeSHAP values by up to {difference:.3g} "
              "(tolerance {tolerance:g}). Explain the model itself (shap.TreeExplainer(model) or "
              "shap.Explainer(model)), without background data."),
            difference=difference, tolerance=SHAP_TOLERANCE,
        ).with_margin(margin)  # fmt: skip
    return Verdict.ok(
        _("The SHAP values are the model's TreeSHAP values (largest difference {difference:.1e})."),
        difference=difference,
    ).with_margin(margin)


def _judge_quality(evidence, hidden: dict) -> Verdict:
    y_test = hidden["y_test"]
    predictions, problem = _array(
        evidence["check:pred_test"], y_test.shape, _("The model's predictions")
    )
    if problem:
        return problem
    total = float(np.sum((y_test - y_test.mean()) ** 2))
    r2 = 1.0 - float(np.sum((y_test - predictions) ** 2)) / total
    verdict = (Verdict.ok if r2 >= MIN_R2 else Verdict.fail)(
        _("R² on the {rows} held-out rows: {r2:.3f} (needed: at least {bar:.2f})."),
        rows=len(y_test), r2=r2, bar=MIN_R2,
    )  # fmt: skip
    return verdict.with_margin(r2 - MIN_R2)


def _judge_top(evidence, hidden: dict) -> Verdict:
    for case, want in enumerate(hidden["top"]):
        seen = evidence[f"top_{case}"]
        if not (isinstance(seen, list) and all(isinstance(name, str) for name in seen)):
            kind = seen.get("type") if isinstance(seen, dict) else type(seen).__name__
            return Verdict.fail(
                _("top_features must return a list of feature names (strings), not {type}."),
                type=kind,
            )
        if seen != want:
            return Verdict.fail(
                _("For a matrix of {rows}×{features} SHAP values and k={k} expected {want}, got "
                  "{got}."),
                rows=hidden["top_shapes"][case][0], features=hidden["top_shapes"][case][1],
                k=len(want), want=want, got=seen[:20],
            )  # fmt: skip
    return Verdict.ok(_("The ranking is right in all {count} cases."), count=len(hidden["top"]))


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test == "additivity":
        return _judge_additivity(evidence, hidden)
    if test == "shap_values":
        return _judge_shap_values(evidence, hidden)
    if test == "model_quality":
        return _judge_quality(evidence, hidden)
    if test == "top_features":
        return _judge_top(evidence, hidden)
    if test == "xgb_type":
        seen = evidence["trained"]
        if isinstance(seen, dict) and seen.get("xgb") is True:
            return Verdict.ok(_("train_model returns an XGBRegressor."))
        kind = seen.get("type") if isinstance(seen, dict) else None
        return Verdict.fail(_("train_model must return an XGBRegressor, not {type}."), type=kind)
    raise KeyError(test)
