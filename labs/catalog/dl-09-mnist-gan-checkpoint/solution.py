"""Лабораторная «GAN на MNIST с сохранением лучшего генератора»."""

import torch
from torch import nn


class Generator(nn.Module):
    """(N, 100) -> (N, 1, 28, 28), значения в [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class Discriminator(nn.Module):
    """(N, 1, 28, 28) -> (N, 1)."""

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def train(generator, discriminator, loader, epochs, checkpoint_dir, device):
    """Обучает GAN; после каждой эпохи добавляет в историю {"score": ...} (больше — лучше)
    и сохраняет checkpoint_dir/best.pt (state_dict генератора), когда score улучшился.
    Возвращает историю (список словарей)."""
    raise NotImplementedError
