"""Лабораторная «SHAP для XGBoost»: заполните три функции."""

import numpy as np


def train_model(X: np.ndarray, y: np.ndarray):
    """Обучает xgboost.XGBRegressor на X, y и возвращает модель."""
    raise NotImplementedError


def explain(model, X: np.ndarray) -> np.ndarray:
    """SHAP-значения модели для строк X: np.ndarray формы (n_samples, n_features)."""
    raise NotImplementedError


def top_features(shap_values: np.ndarray, feature_names: list[str], k: int) -> list[str]:
    """k имён признаков с наибольшим средним модулем SHAP-значения, от большего к меньшему."""
    raise NotImplementedError
