# expect-fail: loss_value, loss_flat_input, training, forward_shapes, sample, reparameterisation
# expect-score: 0
# Grey images whatever the input, a latent of zeros, a constant loss.
import torch
from torch import nn


class VAE(nn.Module):
    def __init__(self, latent_dim=20):
        super().__init__()
        self.latent_dim = latent_dim
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        zeros = torch.zeros(len(x), self.latent_dim) + self.bias
        return torch.full((len(x), 784), 0.5) + self.bias, zeros, zeros

    def sample(self, n):
        return torch.full((n, 784), 0.5)


def vae_loss(recon, x, mu, logvar):
    return torch.tensor(543.43)
