# expect-fail: predictions, malformed_body, bad_features, dockerfile
# expect-score: 0
# An app whose /predict answers 400 to everything, and a Dockerfile that only looks right: no
# prediction is ever made, so nothing counts.
from flask import Flask, jsonify


def create_app(model_path):
    app = Flask(__name__)

    @app.post("/predict")
    def predict():
        return jsonify({"error": "no"}), 400

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
