"""Лабораторная «GAN для одномерных данных»: заполните классы и функцию."""

import torch
from torch import nn


class Generator(nn.Module):
    """Шум z формы (N, latent_dim) -> образцы формы (N, 1)."""

    def __init__(self, latent_dim=10):
        super().__init__()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class Discriminator(nn.Module):
    """Образцы формы (N, 1) -> логиты или вероятности «настоящий» формы (N, 1)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def train_gan(sample_real, steps=2000, latent_dim=10, device="cpu") -> Generator:
    """Обучает GAN на образцах sample_real(n) -> (n, 1) за steps шагов; возвращает генератор."""
    raise NotImplementedError
