# expect-fail: onnx_predict, lgbm_type
# onnx_predict returns the second output, the probability of class 1, instead of the labels.
import numpy as np
import onnxmltools
import onnxruntime as ort
from lightgbm import LGBMClassifier
from onnxmltools.convert.common.data_types import FloatTensorType


def train_and_export(X_train, y_train, onnx_path):
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
    probabilities = session.run(None, {name: np.asarray(X, dtype=np.float32)})[1]
    return probabilities[:, 1]
