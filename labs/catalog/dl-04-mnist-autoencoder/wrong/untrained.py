# expect-fail: reconstruction, shapes_ranges
# train_autoencoder forgets optimizer.step(): the model returned is as it was created. Its grid
# is drawn correctly, so only the reconstruction tests fail.
import numpy as np
import torch
from torch import nn


class Autoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
                                     nn.Linear(128, 32))
        self.decoder = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784),
                                     nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z).view(-1, 1, 28, 28)

    def forward(self, x):
        return self.decode(self.encode(x))


def train_autoencoder(loader, epochs, device):
    model = Autoencoder().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(epochs):
        for images, _labels in loader:
            images = images.to(device)
            optimizer.zero_grad()
            nn.functional.mse_loss(model(images), images).backward()
    return model


def reconstruction_grid(model, images):
    with torch.no_grad():
        recon = model(images)
    grid = torch.cat([torch.cat(list(images[:, 0]), 1), torch.cat(list(recon[:, 0]), 1)], 0)
    return (grid * 255).round().to(torch.uint8).numpy()
