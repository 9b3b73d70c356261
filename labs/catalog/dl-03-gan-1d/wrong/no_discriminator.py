# expect-fail: adversarial
# Not a GAN: the generator is fitted by matching the batch mean and deviation of the real
# samples; no discriminator takes part, which the adversarial-training claim sees.
import torch
from torch import nn


class Generator(nn.Module):
    def __init__(self, latent_dim=10):
        super().__init__()
        self.net = nn.Linear(latent_dim, 1)

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))

    def forward(self, x):
        return self.net(x)


def train_gan(sample_real, steps=2000, latent_dim=10, device="cpu"):
    generator = Generator(latent_dim).to(device)
    optimizer = torch.optim.Adam(generator.parameters(), lr=0.05)
    for _step in range(steps):
        real = sample_real(512).to(device)
        fake = generator(torch.randn(512, latent_dim, device=device))
        loss = (fake.mean() - real.mean()) ** 2 + (fake.std() - real.std()) ** 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return generator
