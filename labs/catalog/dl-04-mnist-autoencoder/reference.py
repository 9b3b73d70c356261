import numpy as np
import torch
from torch import nn


class Autoencoder(nn.Module):
    def __init__(self, code_dim=32):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, code_dim)
        )
        self.decoder = nn.Sequential(
            nn.Linear(code_dim, 128), nn.ReLU(), nn.Linear(128, 28 * 28), nn.Sigmoid()
        )

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z).view(-1, 1, 28, 28)

    def forward(self, x):
        return self.decode(self.encode(x))


def train_autoencoder(loader, epochs, device):
    model = Autoencoder().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _epoch in range(epochs):
        for images, _labels in loader:
            images = images.to(device)
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(images), images)
            loss.backward()
            optimizer.step()
    return model


def reconstruction_grid(model, images):
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        recon = model(images.to(device)).cpu()
    rows = [torch.cat(list(images[:, 0]), dim=1), torch.cat(list(recon[:, 0]), dim=1)]
    grid = torch.cat(rows, dim=0)
    return np.round(grid.numpy() * 255).astype(np.uint8)
