"""Лабораторная «Линейная регрессия на тензорах и autograd»: заполните функцию."""

import torch


def fit_linear_regression(X: torch.Tensor, y: torch.Tensor, lr: float = 0.1, epochs: int = 500):
    """Обучает y ≈ X @ w + b градиентным спуском по MSE.

    Возвращает пару тензоров: w формы (d, 1) и b формы (1,).
    """
    raise NotImplementedError
