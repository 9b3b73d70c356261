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
    input_name = session.get_inputs()[0].name
    labels = session.run(None, {input_name: np.asarray(X, dtype=np.float32)})[0]
    return np.asarray(labels).ravel()
