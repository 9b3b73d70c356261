"""Лабораторная «VAE для MNIST»: опишите модель и функцию потерь."""

import torch
from torch import nn


class VAE(nn.Module):
    def __init__(self, latent_dim=20):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor):
        # x: (N, 1, 28, 28) или (N, 784) -> (recon (N, 784) в [0, 1], mu, logvar)
        raise NotImplementedError

    def sample(self, n: int) -> torch.Tensor:
        # n изображений (n, 784) из z ~ N(0, I)
        raise NotImplementedError


def vae_loss(recon, x, mu, logvar) -> torch.Tensor:
    # BCE, просуммированная по пикселям и батчу, + KL, просуммированная так же
    raise NotImplementedError
