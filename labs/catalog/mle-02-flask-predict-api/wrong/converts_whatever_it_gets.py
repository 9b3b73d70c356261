# expect-fail: bad_features
# Lets NumPy decide what a number is: np.asarray(features, dtype=float) turns "1.5" into 1.5,
# and reshape(1, -1) flattens a nested [[...]] into one row, so both get a prediction.
import joblib
import numpy as np
from flask import Flask, jsonify, request


def create_app(model_path):
    model = joblib.load(model_path)
    n_features = int(model.n_features_in_)
    app = Flask(__name__)

    @app.post("/predict")
    def predict():
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or "features" not in data:
            return jsonify({"error": "a JSON object with features is expected"}), 400
        try:
            row = np.asarray(data["features"], dtype=float).reshape(1, -1)
        except (TypeError, ValueError):
            return jsonify({"error": "features must be numbers"}), 400
        if row.shape[1] != n_features or not np.isfinite(row).all():
            return jsonify({"error": "wrong number of features"}), 400
        return jsonify({"prediction": int(model.predict(row)[0])})

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
