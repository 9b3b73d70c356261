"""The trusted half of the LightGBM-to-ONNX lab (contract: labs/grader_api.py).

The data is scikit-learn's breast-cancer set as the worker's dataset store holds it, split as
the statement says (25% held out, stratified, ``random_state=42``). Only the training part
enters the learner's sandbox; the held-out rows go to the clean check step alone and their
labels stay here. The learner's ``train_and_export`` writes the ONNX file, and the probe
writes the returned model's booster as LightGBM's own text format (data, not a pickle); both
are opened only by check.py, in a sandbox where no learner code runs, which reports the labels
of the native model and of the ONNX model on the held-out rows. This judge compares them with
the held-out labels. ``onnx_predict`` gets rows drawn per job (mixes of training rows); the
clean step runs the same ONNX file on them, and the two must agree row for row.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, Draw, Prepared, Test, Verdict
from labs.heldout import tabular_set
from labs.interface import Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Function("train_and_export", ("X_train", "y_train", "onnx_path")),
    Function("onnx_predict", ("onnx_path", "X")),
]

DATASET = "breast_cancer"
TEST_SIZE = 0.25
SPLIT_SEED = 42
# The contract's bars (shared/specs/labs.md). The reference (LGBMClassifier(n_estimators=100,
# random_state=42)) reaches 0.965 on the real set and 0.951 on the generated stand-in the tests
# use; the split is fixed, so a model trained the same way scores the same on every draw.
MIN_ACCURACY = 0.93
MIN_AGREEMENT = 0.99
PROBE_ROWS = 40  # rows onnx_predict gets: half training rows, half mixes of two of them

TESTS = [
    Test("accuracy", 4, _("Accuracy on the held-out split"), CORE,
         uses=("native", "check:native_test")),
    Test("onnx_matches", 3, _("ONNX agrees with LightGBM"), CORE,
         uses=("native", "check:native_test", "check:onnx_test")),
    Test("onnx_predict", 2, _("Inference with onnx_predict"), CORE,
         uses=("predicted", "check:onnx_probe")),
    Test("lgbm_type", 1, _("The model is an LGBMClassifier"), CLAIM, uses=("trained",)),
]  # fmt: skip


def dataset() -> tuple[np.ndarray, np.ndarray]:
    """The set from the worker's store (labs/heldout.py). The learner's code never reads the
    set: this judge hands it the rows."""
    x, y = tabular_set(DATASET)
    return x, y.astype(np.int64)


def split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The set from the worker's store, split as the statement says (float32 features)."""
    from sklearn.model_selection import train_test_split

    x, y = dataset()
    x_train, x_test, y_train, y_test = train_test_split(
        x.astype(np.float32), y, test_size=TEST_SIZE, stratify=y, random_state=SPLIT_SEED
    )
    return x_train, x_test, y_train.astype(np.int64), y_test.astype(np.int64)


def prepare(draw: Draw) -> Prepared:
    x_train, x_test, y_train, y_test = split()
    rng = draw.public_np
    half = PROBE_ROWS // 2
    rows = rng.choice(len(x_train), size=half, replace=False)
    first, second = rng.integers(0, len(x_train), size=(2, half))
    weight = rng.uniform(0.2, 0.8, size=(half, 1)).astype(np.float32)
    mixed = weight * x_train[first] + (1 - weight) * x_train[second]
    x_probe = np.concatenate([x_train[rows], mixed]).astype(np.float32)
    x_probe = x_probe[rng.permutation(len(x_probe))]
    return Prepared(
        inputs={"X_train": x_train, "y_train": y_train, "X_probe": x_probe},
        hidden={"y_test": y_test, "probe_rows": len(x_probe)},
        # The held-out rows enter the clean step only; their labels never leave this process.
        check_inputs={"X_test": x_test, "X_probe": x_probe},
    )


def _labels(seen, rows: int, what) -> tuple[np.ndarray | None, Verdict | None]:
    """Labels a step reported (an int array of one label per row), or why they are unusable."""
    if isinstance(seen, dict):
        return None, Verdict.fail(
            _("{what} could not be computed: {error}"), what=what, error=seen.get("error")
        )
    values = np.asarray(seen)
    if values.shape != (rows,):
        return None, Verdict.fail(
            _("{what}: expected one label per row, shape {want}, got shape {got}."),
            what=what, want=[rows], got=list(values.shape),
        )  # fmt: skip
    return values.astype(np.int64), None


def _judge_accuracy(native, y_test: np.ndarray) -> Verdict:
    labels, problem = _labels(native, len(y_test), _("The model's predictions"))
    if problem:
        return problem
    accuracy = float(np.mean(labels == y_test))
    verdict = (Verdict.ok if accuracy >= MIN_ACCURACY else Verdict.fail)(
        _("Accuracy on the {rows} held-out rows: {accuracy:.3f} (needed: at least {bar:.2f})."),
        rows=len(y_test), accuracy=accuracy, bar=MIN_ACCURACY,
    )  # fmt: skip
    return verdict.with_margin(accuracy - MIN_ACCURACY)


def _judge_onnx(native, onnx, y_test: np.ndarray) -> Verdict:
    rows = len(y_test)
    onnx_labels, problem = _labels(onnx, rows, _("The ONNX model's labels"))
    if problem:
        return problem
    native_labels, problem = _labels(native, rows, _("The model's predictions"))
    if problem:
        return problem
    agreement = float(np.mean(onnx_labels == native_labels))
    accuracy = float(np.mean(onnx_labels == y_test))
    margin = min(agreement - MIN_AGREEMENT, accuracy - MIN_ACCURACY)
    if agreement < MIN_AGREEMENT:
        return Verdict.fail(
            _("The ONNX model gives the LightGBM model's label on {share:.1%} of the held-out "
              "rows (needed: at least {bar:.0%})."),
            share=agreement, bar=MIN_AGREEMENT,
        ).with_margin(margin)  # fmt: skip
    if accuracy < MIN_ACCURACY:
        return Verdict.fail(
            _("The ONNX model's accuracy on the held-out rows is {accuracy:.3f} (needed: at "
              "least {bar:.2f})."),
            accuracy=accuracy, bar=MIN_ACCURACY,
        ).with_margin(margin)  # fmt: skip
    return Verdict.ok(
        _("The ONNX model gives the LightGBM model's label on {share:.1%} of the held-out rows; "
          "its accuracy is {accuracy:.3f}."),
        share=agreement, accuracy=accuracy,
    ).with_margin(margin)  # fmt: skip


def _judge_onnx_predict(seen, onnx_probe, rows: int) -> Verdict:
    if isinstance(seen, dict):
        return Verdict.fail(
            _("onnx_predict must return a NumPy array of labels, not {type}."),
            type=seen.get("type"),
        )
    expected, problem = _labels(onnx_probe, rows, _("The ONNX model's labels"))
    if problem:
        return problem
    values = np.asarray(seen)
    if values.shape != (rows,):
        return Verdict.fail(
            _("onnx_predict must return one label per row, shape {want}; got shape {got}."),
            want=[rows], got=list(values.shape),
        )  # fmt: skip
    if values.dtype.kind == "f" and not np.all(np.isfinite(values) & (values == np.round(values))):
        return Verdict.fail(
            _("onnx_predict returned fractional numbers (probabilities?), not class labels.")
        )
    wrong = int(np.sum(values.astype(np.int64) != expected))
    if wrong:
        return Verdict.fail(
            _("onnx_predict's labels differ from the ONNX model's on {wrong} of {rows} rows."),
            wrong=wrong, rows=rows,
        )  # fmt: skip
    return Verdict.ok(
        _("onnx_predict returns the ONNX model's label for each of the {rows} rows."), rows=rows
    )


def judge(test: str, evidence, hidden: dict) -> Verdict:
    y_test = hidden["y_test"]
    if test == "accuracy":
        return _judge_accuracy(evidence["check:native_test"], y_test)
    if test == "onnx_matches":
        return _judge_onnx(evidence["check:native_test"], evidence["check:onnx_test"], y_test)
    if test == "onnx_predict":
        return _judge_onnx_predict(
            evidence["predicted"], evidence["check:onnx_probe"], hidden["probe_rows"]
        )
    if test == "lgbm_type":
        seen = evidence["trained"]
        if isinstance(seen, dict) and seen.get("lgbm") is True:
            return Verdict.ok(_("train_and_export returns an LGBMClassifier."))
        kind = seen.get("type") if isinstance(seen, dict) else None
        return Verdict.fail(
            _("train_and_export must return an LGBMClassifier, not {type}."), type=kind
        )
    raise KeyError(test)
