# expect-fail: predictions, malformed_body, bad_features, dockerfile
# expect-score: 0
# Answers the index of the most probable class instead of the class itself: the model's labels
# are not 0..k-1, so no prediction is right (and what depends on predictions does not count).
import math

import joblib
import numpy as np
from flask import Flask, jsonify, request


def create_app(model_path: str) -> Flask:
    model = joblib.load(model_path)
    n_features = int(model.n_features_in_)
    app = Flask(__name__)

    def error(text: str):
        return jsonify({"error": text}), 400

    @app.post("/predict")
    def predict():
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return error("the body must be a JSON object")
        features = data.get("features")
        if not isinstance(features, list) or len(features) != n_features:
            return error(f"'features' must be a list of {n_features} numbers")
        for value in features:
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if not is_number or not math.isfinite(value):
                return error("every feature must be a number")
        row = np.asarray(features, dtype=np.float64).reshape(1, -1)
        return jsonify({"prediction": int(np.argmax(model.predict_proba(row)[0]))})

    return app


DOCKERFILE = """
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY solution.py model.pkl ./
EXPOSE 5000
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "solution:create_app('model.pkl')"]
"""
