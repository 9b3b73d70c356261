# expect-fail: accuracy, onnx_matches, lgbm_type
# The rows shuffled without their labels (each array permuted on its own): the model learns
# noise, and the ONNX file faithfully exports it.
import numpy as np
import onnxmltools
import onnxruntime as ort
from lightgbm import LGBMClassifier
from onnxmltools.convert.common.data_types import FloatTensorType


def train_and_export(X_train, y_train, onnx_path):
    rng = np.random.default_rng(0)
    X_train = X_train[rng.permutation(len(X_train))]
    y_train = y_train[rng.permutation(len(y_train))]
    model = LGBMClassifier(n_estimators=100, random_state=42, n_jobs=1, verbose=-1)
    model.fit(X_train, y_train)
    initial_types = [("input", FloatTensorType([None, X_train.shape[1]]))]
    onnx_model = onnxmltools.convert_lightgbm(model, initial_types=initial_types, zipmap=False)
    with open(onnx_path, "wb") as f:
        f.write(onnx_model.SerializeToString())
    return model


def onnx_predict(onnx_path, X):
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return session.run(None, {name: np.asarray(X, dtype=np.float32)})[0]
