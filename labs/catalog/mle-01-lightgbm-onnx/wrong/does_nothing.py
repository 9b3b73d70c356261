# expect-fail: accuracy, onnx_matches, onnx_predict, lgbm_type
# expect-score: 0
# Returns what it was given: a do-nothing submission.
import numpy as np


def train_and_export(X_train, y_train, onnx_path):
    return None


def onnx_predict(onnx_path, X):
    return np.zeros(len(X), dtype=np.int64)
