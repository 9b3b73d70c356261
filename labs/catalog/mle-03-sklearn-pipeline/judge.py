"""The trusted half of the scikit-learn pipeline lab (contract: labs/grader_api.py).

Each job gets a tabular task drawn here: numeric and categorical columns (names, order and
the target's name drawn too) whose label follows a logistic model of them. The training rows,
labels included, enter the learner's sandbox as a CSV file. The held-out rows never do: their
features go only to the clean check step, which reloads the two joblib files (the grader's fit
of ``build_pipeline``'s pipeline, and the file ``train_and_save`` wrote) with an unpickler that
admits scikit-learn's estimators and NumPy's arrays only, and predicts them; their labels
stay here, and accuracy is computed here. A quarter of the held-out rows carry a categorical
value that no training row has (the pipeline must ignore it, not crash). The structure of the
pipeline is a claim (the probe describes it inside the learner's process).

Thresholds, from `manage.py lab_margins` over 40 draws: the reference's accuracy on the
held-out rows with seen categories was at least 0.865 (threshold 0.70, worst margin 0.165), on
the rows with an unseen category at least 0.83 (threshold 0.60, worst margin 0.23); a model that
ignores its features gets about 0.5. For a model whose accuracy is 0.86, Hoeffding's bound puts
the chance of measuring below 0.70 on 400 rows at exp(-2 * 400 * 0.16^2) < 2e-9, and for 0.83
below 0.60 on 200 rows at exp(-2 * 200 * 0.23^2) < 1e-9. The returned accuracy is measured by
the learner on their own split (120 rows for test_size=0.2: a standard deviation of about 0.03,
0.035 for its difference from ours); the tolerance of 0.2 is over 5.5 of those (< 1e-7).
"""

from __future__ import annotations

import math

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, EDGE, Draw, Prepared, Test, Verdict
from labs.interface import Function

INTERFACE = [
    Function("build_pipeline", ("df", "target")),
    Function("train_and_save", ("csv_path", "target", "model_path")),
]

TRAIN_ROWS = 600
SEEN_ROWS = 400
UNSEEN_ROWS = 200
ACCURACY_THRESHOLD = 0.70  # seen categories; the reference measured >= 0.865
UNSEEN_THRESHOLD = 0.60  # rows with a category unseen in training; the reference >= 0.83
REPORTED_TOLERANCE = 0.2  # |returned accuracy - the saved model's accuracy here|

TESTS = [
    Test("pipeline_accuracy", 3, _("Pipeline accuracy"), CORE,
         uses=("built", "check:built_predictions")),
    Test("unseen_category", 2, _("Unseen category"), CORE,
         uses=("built", "check:built_predictions", "trained", "check:saved_predictions")),
    Test("saved_model", 3, _("Saved model"), CORE, uses=("trained", "check:saved_predictions")),
    Test("reported_accuracy", 1, _("Reported accuracy"), EDGE,
         uses=("trained", "check:saved_predictions"), requires=("saved_model",)),
    Test("pipeline_structure", 1, _("Pipeline structure"), CLAIM, uses=("built",)),
]  # fmt: skip

# Each numeric column: how it is drawn, and its mean and standard deviation (the labels'
# model standardises with these, the same for every set of rows).
NUMERIC = {
    "age": (lambda rng, n: np.clip(rng.normal(40, 12, n), 18, 90).round().astype(int), 40, 12),
    "income": (lambda rng, n: np.round(rng.lognormal(10.8, 0.5, n), 2), 55400, 29500),
    "tenure_months": (lambda rng, n: rng.integers(0, 121, n), 60, 35),
    "visits": (lambda rng, n: rng.poisson(6, n), 6, 2.45),
    "balance": (lambda rng, n: np.round(rng.normal(1000, 400, n), 2), 1000, 400),
    "rating": (lambda rng, n: np.round(rng.uniform(1, 5, n), 1), 3, 1.15),
}
CATEGORICAL = {
    "city": ["Moscow", "Kazan", "Omsk", "Tula", "Perm", "Sochi", "Tver", "Ufa", "Samara"],
    "plan": ["basic", "standard", "premium", "family", "student", "business"],
    "channel": ["web", "app", "phone", "office", "partner", "email"],
    "device": ["android", "ios", "desktop", "tablet", "tv", "console"],
}
TARGETS = ("churn", "target", "purchased", "defaulted", "label")
SEEN_LEVELS = 4  # categories per column seen in training; the rest appear only held out


def _table(columns: list[str], values: dict[str, np.ndarray], rows: int) -> bytes:
    lines = [",".join(columns)]
    for i in range(rows):
        lines.append(",".join(str(values[c][i]) for c in columns))
    return ("\n".join(lines) + "\n").encode()


def prepare(draw: Draw) -> Prepared:
    public, secret = draw.public_np, draw.secret_np
    numeric = sorted(draw.public.sample(sorted(NUMERIC), 3))
    categorical = sorted(draw.public.sample(sorted(CATEGORICAL), 2))
    target = draw.public.choice(TARGETS)
    columns = numeric + categorical
    draw.public.shuffle(columns)
    position = draw.public.randrange(len(columns) + 1)
    with_target = [*columns[:position], target, *columns[position:]]

    levels = {c: list(CATEGORICAL[c]) for c in categorical}
    for c in categorical:
        draw.public.shuffle(levels[c])
    # The model behind the labels (secret: the learner has the training rows only).
    weights = {c: secret.choice([-1, 1]) * secret.uniform(0.8, 1.6) for c in numeric}
    effects = {c: dict(zip(levels[c], secret.normal(0, 1.0, len(levels[c])), strict=True))
               for c in categorical}  # fmt: skip
    for c in categorical:  # categories never seen in training are "average"
        for level in levels[c][SEEN_LEVELS:]:
            effects[c][level] = 0.0

    def rows(rng, n: int, unseen: bool) -> tuple[dict[str, np.ndarray], np.ndarray]:
        values = {c: NUMERIC[c][0](rng, n) for c in numeric}
        for c in categorical:
            values[c] = rng.choice(levels[c][:SEEN_LEVELS], n)
        if unseen:  # one categorical value per row from outside the training levels
            which = rng.integers(0, len(categorical), n)
            for j, c in enumerate(categorical):
                new = rng.choice(levels[c][SEEN_LEVELS:], n)
                values[c] = np.where(which == j, new, values[c])
        logit = np.zeros(n)
        for c in numeric:
            _, mean, std = NUMERIC[c]
            logit += weights[c] * (values[c].astype(np.float64) - mean) / std
        for c in categorical:
            logit += np.array([effects[c][v] for v in values[c]])
        labels = (rng.random(n) < 1.0 / (1.0 + np.exp(-2.5 * logit))).astype(int)
        return values, labels

    train, train_labels = rows(public, TRAIN_ROWS, unseen=False)
    seen, seen_labels = rows(secret, SEEN_ROWS, unseen=False)
    unseen, unseen_labels = rows(secret, UNSEEN_ROWS, unseen=True)
    train[target] = train_labels
    return Prepared(
        inputs={"train_csv": _table(with_target, train, TRAIN_ROWS), "target": target},
        hidden={
            "seen": seen_labels,
            "unseen": unseen_labels,
            "numeric": numeric,
            "categorical": categorical,
        },
        # Features only, in the training file's column order, target column left out.
        check_inputs={
            "seen_csv": _table(columns, seen, SEEN_ROWS),
            "unseen_csv": _table(columns, unseen, UNSEEN_ROWS),
        },
    )


def _accuracy(predictions, labels: np.ndarray, what) -> tuple[float | None, Verdict | None]:
    """Accuracy of ``predictions`` (as the check step reported them) against ``labels``."""
    if isinstance(predictions, dict):
        problem = predictions.get("error") or ""
        return None, Verdict.fail(
            _("{what}: prediction failed: {error}"), what=what, error=str(problem)[:300]
        )
    values = np.asarray(predictions)
    if values.shape != labels.shape:
        return None, Verdict.fail(
            _("{what}: {got} predictions for {want} rows."),
            what=what, got=int(values.size), want=int(labels.size),
        )  # fmt: skip
    return float(np.mean(values == labels)), None


def _loaded(checked: dict, what, built=None) -> Verdict | None:
    problem = checked.get("problem")
    if problem == "missing" and isinstance(built, dict) and not built.get("pipeline"):
        return Verdict.fail(_("build_pipeline must return a sklearn Pipeline, not {type}."),
                            type=built.get("type"))  # fmt: skip
    if problem == "missing":
        return Verdict.fail(_("{what}: no file was written."), what=what)
    if problem == "load":
        return Verdict.fail(
            _("{what}: the file does not reload with joblib.load: {detail}"),
            what=what, detail=str(checked.get("detail", ""))[:300],
        )  # fmt: skip
    return None


def _judge_accuracy(
    checked: dict, labels: np.ndarray, what, threshold: float, built=None
) -> Verdict:
    refused = _loaded(checked, what, built)
    if refused is not None:
        return refused
    accuracy, failed = _accuracy(checked.get("predictions"), labels, what)
    if failed is not None:
        return failed
    margin = accuracy - threshold
    if margin < 0:
        return Verdict.fail(
            _("{what}: accuracy on the grader's held-out rows is {accuracy:.3f}, expected at "
              "least {threshold:.2f}."),
            what=what, accuracy=accuracy, threshold=threshold,
        ).with_margin(margin)  # fmt: skip
    return Verdict.ok(
        _("{what}: accuracy on the grader's held-out rows is {accuracy:.3f} (at least "
          "{threshold:.2f} needed)."),
        what=what, accuracy=accuracy, threshold=threshold,
    ).with_margin(margin)  # fmt: skip


def _judge_unseen(evidence, hidden: dict) -> Verdict:
    labels = hidden["unseen"]
    worst = None
    for name, what in (
        ("check:built_predictions", _("The pipeline of build_pipeline")),
        ("check:saved_predictions", _("The model of train_and_save")),
    ):
        checked = evidence[name]
        refused = _loaded(checked, what, evidence["built"])
        if refused is not None:
            return refused
        unseen = checked.get("unseen")
        if isinstance(unseen, dict) and unseen.get("unknown_category"):
            return Verdict.fail(
                _("{what} fails on rows with a category it did not see in training: {error} "
                  "(OneHotEncoder needs handle_unknown=\"ignore\")."),
                what=what, error=str(unseen.get("error", ""))[:300],
            )  # fmt: skip
        if isinstance(unseen, dict):
            return Verdict.fail(
                _("{what} fails on rows with a category it did not see in training: {error}"),
                what=what, error=str(unseen.get("error", ""))[:300],
            )  # fmt: skip
        accuracy, failed = _accuracy(unseen, labels, what)
        if failed is not None:
            return failed
        margin = accuracy - UNSEEN_THRESHOLD
        if margin < 0:
            return Verdict.fail(
                _("{what}: accuracy on rows with an unseen category is {accuracy:.3f}, expected "
                  "at least {threshold:.2f}."),
                what=what, accuracy=accuracy, threshold=UNSEEN_THRESHOLD,
            ).with_margin(margin)  # fmt: skip
        worst = margin if worst is None else min(worst, margin)
    return Verdict.ok(
        _("Both models predict rows with categories unseen in training (accuracy at least "
          "{threshold:.2f})."),
        threshold=UNSEEN_THRESHOLD,
    ).with_margin(worst)  # fmt: skip


def _judge_reported(trained, checked: dict, hidden: dict) -> Verdict:
    value = trained.get("value") if isinstance(trained, dict) else None
    if not isinstance(trained, dict) or trained.get("type") != "float":
        return Verdict.fail(
            _("train_and_save must return the accuracy as a float, not {type}."),
            type=trained.get("type") if isinstance(trained, dict) else type(trained).__name__,
        )
    if not isinstance(value, float) or not math.isfinite(value) or not 0.0 <= value <= 1.0:
        return Verdict.fail(_("The returned accuracy {value} is not a number in [0, 1]."),
                            value=value)  # fmt: skip
    what = _("The model of train_and_save")
    refused = _loaded(checked, what)
    if refused is not None:
        return refused
    measured, failed = _accuracy(checked.get("predictions"), hidden["seen"], what)
    if failed is not None:  # saved_model fails too; reported_accuracy counts after it only
        return failed
    difference = abs(value - measured)
    margin = REPORTED_TOLERANCE - difference
    if margin < 0:
        return Verdict.fail(
            _("train_and_save returned {value:.3f}, but the saved model's accuracy on the "
              "grader's held-out rows is {measured:.3f} (tolerance {tolerance:.2f}): return the "
              "accuracy on rows held out from training."),
            value=value, measured=measured, tolerance=REPORTED_TOLERANCE,
        ).with_margin(margin)  # fmt: skip
    return Verdict.ok(
        _("train_and_save returned {value:.3f}; the saved model's accuracy on the grader's "
          "held-out rows is {measured:.3f}."),
        value=value, measured=measured,
    ).with_margin(margin)  # fmt: skip


def _judge_structure(built, hidden: dict) -> Verdict:
    if not isinstance(built, dict) or not built.get("pipeline"):
        kind = built.get("type") if isinstance(built, dict) else None
        return Verdict.fail(_("build_pipeline must return a sklearn Pipeline, not {type}."),
                            type=kind)  # fmt: skip
    if built.get("fitted"):
        return Verdict.fail(_("build_pipeline must return an unfitted pipeline."))
    if built.get("final") != "LogisticRegression":
        return Verdict.fail(_("The last step of the pipeline is {step}, not LogisticRegression."),
                            step=built.get("final"))  # fmt: skip
    transformers = built.get("transformers")
    if not isinstance(transformers, list):
        return Verdict.fail(_("The pipeline has no ColumnTransformer before the classifier."))
    numeric, categorical = set(hidden["numeric"]), set(hidden["categorical"])
    scaled, encoded, ignoring = set(), set(), True
    for item in transformers:
        if not isinstance(item, dict) or not isinstance(item.get("columns"), list):
            continue
        classes = set(item.get("classes") or [])
        columns = {str(c) for c in item["columns"]}
        if "StandardScaler" in classes:
            scaled |= columns
        if "OneHotEncoder" in classes:
            encoded |= columns
            ignoring = ignoring and item.get("handle_unknown") == "ignore"
    if scaled != numeric:
        return Verdict.fail(
            _("StandardScaler is applied to {got}; the numeric columns are {want}."),
            got=sorted(scaled), want=sorted(numeric),
        )  # fmt: skip
    if encoded != categorical:
        return Verdict.fail(
            _("OneHotEncoder is applied to {got}; the categorical columns are {want}."),
            got=sorted(encoded), want=sorted(categorical),
        )  # fmt: skip
    if not ignoring:
        return Verdict.fail(_('OneHotEncoder must be created with handle_unknown="ignore".'))
    return Verdict.ok(
        _(
            "An unfitted Pipeline: ColumnTransformer (StandardScaler on the numeric columns, "
            'OneHotEncoder(handle_unknown="ignore") on the categorical ones), then '
            "LogisticRegression."
        )
    )


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test == "pipeline_accuracy":
        return _judge_accuracy(
            evidence["check:built_predictions"], hidden["seen"],
            _("The pipeline of build_pipeline, fitted by the grader"), ACCURACY_THRESHOLD,
            evidence["built"],
        )  # fmt: skip
    if test == "unseen_category":
        return _judge_unseen(evidence, hidden)
    if test == "saved_model":
        return _judge_accuracy(
            evidence["check:saved_predictions"], hidden["seen"],
            _("The model of train_and_save, reloaded from its file"), ACCURACY_THRESHOLD,
        )  # fmt: skip
    if test == "reported_accuracy":
        return _judge_reported(evidence["trained"], evidence["check:saved_predictions"], hidden)
    if test == "pipeline_structure":
        return _judge_structure(evidence["built"], hidden)
    raise KeyError(test)
