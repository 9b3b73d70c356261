"""Лабораторная «Свёрточная сеть для CIFAR-10»: опишите сеть и одну эпоху обучения."""

import torch
from torch import nn


class SimpleCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        # Не меньше двух слоёв nn.Conv2d и хотя бы один nn.Linear.
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (N, 3, 32, 32) -> логиты (N, num_classes)
        raise NotImplementedError


def train_one_epoch(model: nn.Module, loader, optimizer, device) -> float:
    # Один проход по loader; вернуть среднюю перекрёстную энтропию эпохи (float).
    raise NotImplementedError
