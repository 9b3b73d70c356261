"""Лабораторная «LightGBM → ONNX»: заполните две функции."""

import numpy as np


def train_and_export(X_train: np.ndarray, y_train: np.ndarray, onnx_path: str):
    """Обучает LGBMClassifier, сохраняет его в ONNX по пути onnx_path и возвращает модель."""
    raise NotImplementedError


def onnx_predict(onnx_path: str, X: np.ndarray) -> np.ndarray:
    """Метки классов, которые ONNX-модель из onnx_path даёт для строк X (float32), форма (n,)."""
    raise NotImplementedError
