# expect-fail: dockerfile
# The app is right; gunicorn in the container listens on 127.0.0.1, which nothing outside
# the container can reach (the port is exposed, but nobody answers on it).
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
        return jsonify({"prediction": int(model.predict(row)[0])})

    return app


DOCKERFILE = """
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
EXPOSE 8000
CMD gunicorn --bind 127.0.0.1:8000 "solution:create_app('model.pkl')"
"""
