"""Runs inside the sandbox, next to the learner's code: trains the learner's model on the
training rows it is given, saves it in XGBoost's JSON format for check.py (data, not a
pickle), asks explain for the SHAP values of rows drawn per job and top_features for the
rankings of SHAP matrices drawn per job, and records what comes back. The held-out rows never
enter this sandbox; check.py runs the saved model on them, in a clean sandbox."""

import numpy as np

try:
    from xgboost import XGBRegressor as _XGBRegressor
except ImportError:  # the lab environment has it; without it the type claim simply fails
    _XGBRegressor = None

# Bound before the learner's module is imported (the runner loads this module first).
_isinstance = isinstance
_type = type
_list = list
_str = str
_ndarray = np.ndarray


def _array_or_type(value):
    if _isinstance(value, _ndarray) and value.dtype.kind in "biuf":
        return value
    if _isinstance(value, _ndarray):
        return {"type": f"ndarray of {value.dtype}"}
    return {"type": _type(value).__name__}


def _names_or_type(value):
    if _type(value) is _list and all(_isinstance(name, _str) for name in value):
        return [_str(name) for name in value]
    return {"type": _type(value).__name__}


def run(solution, observe, inputs):
    model = None
    with observe("trained") as seen:
        model = solution.train_model(inputs["X_train"].copy(), inputs["y_train"].copy())
        xgb = _XGBRegressor is not None and _isinstance(model, _XGBRegressor)
        seen.value = {"type": _type(model).__name__, "xgb": bool(xgb)}

    with observe("saved") as seen:
        # The model as XGBoost itself stores it: check.py loads it with xgboost.Booster.
        model.save_model(observe.handoff("model.json"))
        seen.value = True

    with observe("explained") as seen:
        seen.value = _array_or_type(solution.explain(model, inputs["X_explain"].copy()))

    for number, case in enumerate(inputs["top"]):
        with observe(f"top_{number}") as seen:
            names = _list(case["feature_names"])
            result = solution.top_features(case["shap_values"].copy(), names, case["k"])
            seen.value = _names_or_type(result)
