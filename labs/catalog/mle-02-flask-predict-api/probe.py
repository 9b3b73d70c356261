"""Runs inside the sandbox, next to the learner's code: builds the grader's model from the
weights the judge drew (a scikit-learn LogisticRegression), pickles it next to the job, asks
the learner's create_app for the app on that file, and sends it every request of the judge's
shuffled list through Flask's test client (no socket, no server). Each response is recorded
as plain data: its status, whether its body is JSON, and the "prediction" it holds. Nothing
here knows which request serves which test or what any prediction should be."""

import json
import os
import pickle

import numpy as np
from flask import Flask
from sklearn.linear_model import LogisticRegression

# Bound before the learner's module is imported (the runner loads this module first).
_isinstance = isinstance
_type = type
_int, _float, _bool, _dict = int, float, bool, dict
_loads = json.loads
_dumps = json.dumps
_flask = Flask
MODEL_FILE = "grader_model.pkl"
MAX_BODY = 20_000


def _model(weights: dict) -> LogisticRegression:
    model = LogisticRegression()
    model.coef_ = np.asarray(weights["coef"], dtype=np.float64)
    model.intercept_ = np.asarray(weights["intercept"], dtype=np.float64)
    model.classes_ = np.asarray(weights["classes"], dtype=np.int64)
    model.n_features_in_ = int(model.coef_.shape[1])
    return model


def _send(client, request: dict):
    mode = request["mode"]
    if mode == "none":
        return client.post("/predict")
    if mode == "raw":
        return client.post("/predict", data=request["data"], content_type=request["content_type"])
    return client.post("/predict", data=_dumps(request["value"]), content_type="application/json")


def _record(response) -> dict:
    record = {"status": _int(response.status_code), "json": False, "has_prediction": False}
    body = response.get_data()[:MAX_BODY]
    try:
        parsed = _loads(body)
        record["json"] = _bool(response.is_json)
    except ValueError:
        return record
    if _isinstance(parsed, _dict) and "prediction" in parsed:
        value = parsed["prediction"]
        record["has_prediction"] = True
        record["prediction_type"] = _type(value).__name__
        if _type(value) in (_int, _float, _bool):
            record["prediction"] = value
    return record


def run(solution, observe, inputs):
    path = os.path.abspath(MODEL_FILE)
    with open(path, "wb") as handle:
        pickle.dump(_model(inputs["model"]), handle)

    with observe("responses") as seen:
        app = solution.create_app(path)
        if not _isinstance(app, _flask):
            raise TypeError(f"create_app returned {_type(app).__name__}, not flask.Flask")
        client = app.test_client()
        records = []
        for request in inputs["requests"]:
            try:
                records.append(_record(_send(client, request)))
            except Exception:  # the app raised through the test client (TESTING on)
                records.append({"status": None, "raised": True, "json": False})
        seen.value = records
