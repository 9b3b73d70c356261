"""Лабораторная «MLOps-конвейер»: заполните четыре функции."""

import torch
from torch import nn


def save_model(model: nn.Module, path: str) -> None:
    raise NotImplementedError


def load_model(path: str, model_factory) -> nn.Module:
    raise NotImplementedError


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    raise NotImplementedError


def export_onnx(model: nn.Module, path: str, example_input: torch.Tensor) -> None:
    raise NotImplementedError
