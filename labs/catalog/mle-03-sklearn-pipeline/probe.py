"""Runs inside the sandbox, next to the learner's code: reads the training CSV the judge drew,
asks build_pipeline for a pipeline, describes it (a claim: this is the learner's process),
fits it on the training rows itself and hands the fitted pipeline off as a joblib file; then
calls train_and_save, whose file is handed off too. Both files are reloaded and run on
held-out rows only in the clean check step (check.py); their labels never enter either."""

import joblib
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

# Bound before the learner's module is imported (the runner loads this module first).
_isinstance = isinstance
_type = type
_str = str
_float = float
_list = list
_dump = joblib.dump
_read_csv = pd.read_csv
_pipeline = Pipeline
_column_transformer = ColumnTransformer
_estimator = BaseEstimator


def _classes(transformer) -> list:
    """The class names of a transformer and, for a nested Pipeline, of its steps."""
    names = [_type(transformer).__name__]
    if _isinstance(transformer, _pipeline):
        for _, step in transformer.steps:
            names += _classes(step)
    return names


def _handle_unknown(transformer):
    if _type(transformer).__name__ == "OneHotEncoder":
        value = getattr(transformer, "handle_unknown", None)
        return value if _isinstance(value, _str) else None
    if _isinstance(transformer, _pipeline):
        for _, step in transformer.steps:
            found = _handle_unknown(step)
            if found is not None:
                return found
    return None


def _fitted(estimator) -> bool:
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    except Exception:
        return False
    return True


def _describe(pipeline) -> dict:
    """What build_pipeline returned, before the grader fits it (type, fitted or not) and
    after (the fitted ColumnTransformer's columns by name: selectors are resolved then)."""
    if not _isinstance(pipeline, _pipeline):
        return {"pipeline": False, "type": _type(pipeline).__name__}
    final = pipeline.steps[-1][1] if pipeline.steps else None
    return {
        "pipeline": True,
        "fitted": _fitted(final) if _isinstance(final, _estimator) else False,
        "final": _type(final).__name__,
    }


def _transformers(pipeline, columns) -> list | None:
    for _, step in pipeline.steps[:-1]:
        if not _isinstance(step, _column_transformer):
            continue
        described = []
        for _name, transformer, selected in getattr(step, "transformers_", []):
            if _isinstance(transformer, _str):  # "drop" / "passthrough"
                continue
            try:
                chosen = [columns[i] if not _isinstance(i, _str) else i for i in selected]
            except (TypeError, IndexError):
                chosen = []
            described.append(
                {
                    "classes": _classes(transformer),
                    "columns": [_str(c) for c in chosen],
                    "handle_unknown": _handle_unknown(transformer),
                }
            )
        return described
    return None


def run(solution, observe, inputs):
    csv_path, target = inputs["train_csv"], inputs["target"]
    # The check step runs whatever the learner's functions did: it then says which file is
    # missing instead of the run step being left without a check.
    with open(observe.handoff("probe.txt"), "w") as marker:
        marker.write("the run step reached the probe\n")

    with observe("built") as seen:
        frame = _read_csv(csv_path)
        pipeline = solution.build_pipeline(frame.copy(), target)
        description = _describe(pipeline)
        if description["pipeline"]:
            features = frame.drop(columns=[target])
            pipeline.fit(features, frame[target])
            description["transformers"] = _transformers(pipeline, _list(features.columns))
            _dump(pipeline, observe.handoff("built.joblib"))
        seen.value = description

    with observe("trained") as seen:
        accuracy = solution.train_and_save(csv_path, target, observe.handoff("model.joblib"))
        kind = _type(accuracy).__name__
        seen.value = {"type": kind, "value": accuracy if kind == "float" else None}
