"""The clean step of the SHAP-for-XGBoost lab: grader code only, in a sandbox of its own, over
the model the run step saved (``handoff/model.json``, XGBoost's JSON format). It reports the
model's predictions on the held-out rows (which never entered the learner's sandbox) and on
the rows explain was given, and the exact TreeSHAP values of those rows as XGBoost computes
them (``pred_contribs``: one column per feature, then the bias). The targets stay with the
judge.

No learner code runs here and nothing of the learner's is imported: the model file is parsed
by XGBoost as the JSON it is."""

import os

import numpy as np

MAX_ERROR = 300


def _error(error: Exception) -> dict:
    return {"error": f"{type(error).__name__}: {error}"[:MAX_ERROR]}


def _booster(path: str):
    import xgboost

    booster = xgboost.Booster(model_file=path)
    booster.set_param({"nthread": 1})
    return booster


def run(observe, inputs, handoff):
    import xgboost

    path = os.path.join(handoff, "model.json")
    try:
        booster = _booster(path) if os.path.exists(path) else {"error": "no model file"}
    except Exception as error:
        booster = _error(error)

    def predict(x, **options):
        if isinstance(booster, dict):
            return booster
        if booster.num_features() != x.shape[1]:
            return {"error": f"the model takes {booster.num_features()} features, not {x.shape[1]}"}
        try:
            values = booster.predict(xgboost.DMatrix(x), **options)
        except Exception as error:
            return _error(error)
        return np.asarray(values, dtype=np.float64)

    with observe("pred_test") as seen:
        seen.value = predict(inputs["X_test"])
    with observe("pred_explain") as seen:
        seen.value = predict(inputs["X_explain"])
    with observe("contribs") as seen:
        seen.value = predict(inputs["X_explain"], pred_contribs=True)
