"""Лабораторная «Конвейер scikit-learn»: заполните две функции."""

import pandas as pd
from sklearn.pipeline import Pipeline


def build_pipeline(df: pd.DataFrame, target: str) -> Pipeline:
    raise NotImplementedError


def train_and_save(csv_path: str, target: str, model_path: str) -> float:
    raise NotImplementedError
