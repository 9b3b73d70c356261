# expect-fail: wide_target, narrow_target, shapes, adversarial
# expect-score: 0
# The generator is trained towards the "fake" label (BCE with zeros, i.e. it minimises
# -log(1 - D(G(z))) with the sign flipped): it learns to look fake, not real.
import torch
from torch import nn

LATENT_DIM = 10


class Generator(nn.Module):
    """z (N, latent_dim) -> x (N, 1). The targets are normal, so a linear map of normal noise
    can match them exactly (a non-linear generator also works, with a wider spread of results
    from seed to seed). Works in standardised units: ``shift`` and ``scale`` (buffers, saved
    with the state_dict) map its output to the data's units."""

    def __init__(self, latent_dim=LATENT_DIM):
        super().__init__()
        self.net = nn.Linear(latent_dim, 1)
        self.register_buffer("shift", torch.zeros(1))
        self.register_buffer("scale", torch.ones(1))

    def forward(self, z):
        return self.net(z) * self.scale + self.shift


class Discriminator(nn.Module):
    """x (N, 1) -> logit (N, 1), on standardised inputs."""

    def __init__(self, hidden=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(1, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
        )
        self.register_buffer("shift", torch.zeros(1))
        self.register_buffer("scale", torch.ones(1))

    def forward(self, x):
        return self.net((x - self.shift) / self.scale)


def train_gan(sample_real, steps=2000, latent_dim=LATENT_DIM, device="cpu"):
    """The non-saturating GAN loss with Adam; the learning rate falls linearly to zero, so the
    last iterate settles instead of circling the equilibrium."""
    generator = Generator(latent_dim).to(device)
    discriminator = Discriminator().to(device)
    with torch.no_grad():  # standardise with the real data's statistics
        real = sample_real(4096).to(device)
        for model in (generator, discriminator):
            model.shift.copy_(real.mean())
            model.scale.copy_(real.std())
    optimizers = [
        torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.5, 0.999))
        for model in (generator, discriminator)
    ]
    schedulers = [
        torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
        for optimizer in optimizers
    ]
    optimizer_g, optimizer_d = optimizers
    loss = nn.BCEWithLogitsLoss()
    batch = 256
    ones = torch.ones(batch, 1, device=device)
    zeros = torch.zeros(batch, 1, device=device)
    for _step in range(steps):
        real = sample_real(batch).to(device)
        fake = generator(torch.randn(batch, latent_dim, device=device))
        loss_d = loss(discriminator(real), ones) + loss(discriminator(fake.detach()), zeros)
        optimizer_d.zero_grad()
        loss_d.backward()
        optimizer_d.step()
        loss_g = loss(discriminator(fake), zeros)
        optimizer_g.zero_grad()
        loss_g.backward()
        optimizer_g.step()
        for scheduler in schedulers:
            scheduler.step()
    return generator
