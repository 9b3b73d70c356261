"""Лабораторная «MNIST и TorchScript»: опишите сеть, обучение и экспорт."""

import torch
from torch import nn


class Net(nn.Module):
    """Полносвязная сеть: (N, 1, 28, 28) -> (N, 10) логитов."""

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def train(model: Net, loader, epochs: int, device: str) -> Net:
    """Обучает model на батчах (x, y) из loader в течение epochs эпох и возвращает её."""
    raise NotImplementedError


def export_torchscript(model: nn.Module, path: str) -> None:
    """Сохраняет модель в режиме eval в файл TorchScript по пути path."""
    raise NotImplementedError
