# expect-fail: reconstruction, shapes_ranges, grid
# expect-score: 0
# A model that outputs a grey image whatever its input, never trained, and an empty grid.
import numpy as np
import torch
from torch import nn


class Autoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.zeros(1))

    def encode(self, x):
        return x.reshape(len(x), -1)[:, :8] * self.scale

    def decode(self, z):
        return torch.full((len(z), 1, 28, 28), 0.5) + z.sum() * 0

    def forward(self, x):
        return self.decode(self.encode(x))


def train_autoencoder(loader, epochs, device):
    return Autoencoder()


def reconstruction_grid(model, images):
    return np.zeros((56, 224), dtype=np.uint8)
