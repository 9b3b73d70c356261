# expect-fail: malformed_body, bad_features, dockerfile
# The ticket's own app moved into a factory: request.get_json(force=True) and no validation,
# so bad inputs end in an HTML 400 from Flask or a 500 (KeyError, ValueError from the model);
# its Dockerfile runs gunicorn on app:app, which this file does not define.
import joblib
import numpy as np
from flask import Flask, jsonify, request


def create_app(model_path):
    model = joblib.load(model_path)
    app = Flask(__name__)

    @app.route("/predict", methods=["POST"])
    def predict():
        data = request.get_json(force=True)
        prediction = model.predict(np.array(data["features"]).reshape(1, -1))
        return jsonify({"prediction": int(prediction[0])})

    return app


DOCKERFILE = """
FROM python:3.9-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
EXPOSE 5000
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "app:app"]
"""
