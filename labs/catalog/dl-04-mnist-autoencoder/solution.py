"""Лабораторная «Автоэнкодер для MNIST»: опишите модель, обучение и сетку изображений."""

import numpy as np
import torch
from torch import nn


class Autoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        raise NotImplementedError

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        # (N, 1, 28, 28) -> код (N, code_dim), code_dim <= 64
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        # (N, code_dim) -> (N, 1, 28, 28), значения в [0, 1]
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def train_autoencoder(loader, epochs: int, device) -> Autoencoder:
    # Создайте Autoencoder, обучите его epochs эпох на батчах (x, y) из loader и верните.
    raise NotImplementedError


def reconstruction_grid(model: Autoencoder, images: torch.Tensor) -> np.ndarray:
    # uint8 (H, W) или (H, W, 3): сверху оригиналы, снизу их реконструкции.
    raise NotImplementedError
