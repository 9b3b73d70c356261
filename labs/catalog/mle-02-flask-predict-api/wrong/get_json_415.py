# expect-fail: malformed_body
# Validates the features, but reads the body with request.get_json(): Flask answers a body that
# is not declared as JSON with 415 and invalid JSON with an HTML 400, before this code runs.
import joblib
import numpy as np
from flask import Flask, jsonify, request


def create_app(model_path):
    model = joblib.load(model_path)
    n_features = int(model.n_features_in_)
    app = Flask(__name__)

    @app.post("/predict")
    def predict():
        data = request.get_json()
        if not isinstance(data, dict):
            return jsonify({"error": "a JSON object is expected"}), 400
        features = data.get("features")
        if not isinstance(features, list) or len(features) != n_features:
            return jsonify({"error": "wrong features"}), 400
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in features):
            return jsonify({"error": "numbers only"}), 400
        row = np.asarray(features, dtype=np.float64).reshape(1, -1)
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
