# expect-fail: checkpoint_is_best, saved_on_improvement, checkpoint_loads, shapes, history
# expect-score: 0
# A classic: state_dict() returns references to the live tensors, not a copy. The "best"
# state kept in memory keeps changing with training, and what is saved at the end is the last
# epoch's generator (nor was anything saved while training ran).
import os

import torch
import torch.nn.functional as F
from torch import nn

LATENT = 100


class Generator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(LATENT, 256), nn.ReLU(), nn.Linear(256, 28 * 28), nn.Tanh()
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, 1, 28, 28)


class Discriminator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(28 * 28, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def train(generator, discriminator, loader, epochs, checkpoint_dir, device):
    generator.to(device).train()
    discriminator.to(device).train()
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    os.makedirs(checkpoint_dir, exist_ok=True)
    fixed_z = torch.randn(256, LATENT, device=device)
    best_score = float("-inf")
    history = []
    for epoch in range(epochs):
        real_sum, real_count = 0.0, 0
        for images, _labels in loader:
            real = images.to(device) * 2 - 1  # [0, 1] -> [-1, 1], the range of tanh
            n = real.shape[0]
            ones = torch.ones(n, 1, device=device)
            zeros = torch.zeros(n, 1, device=device)
            fake = generator(torch.randn(n, LATENT, device=device))
            loss_d = F.binary_cross_entropy_with_logits(
                discriminator(real), ones
            ) + F.binary_cross_entropy_with_logits(discriminator(fake.detach()), zeros)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            loss_g = F.binary_cross_entropy_with_logits(discriminator(fake), ones)
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            real_sum = real_sum + real.sum(dim=0)
            real_count += n
        # Score (higher is better): minus the distance between the mean generated image and
        # the mean real image of this epoch.
        generator.eval()
        with torch.no_grad():
            fake_mean = generator(fixed_z).mean(dim=0)
        generator.train()
        score = -float(torch.sqrt(torch.mean((fake_mean - real_sum / real_count) ** 2)))
        history.append({"epoch": epoch + 1, "score": score, "loss_d": float(loss_d)})
        if score > best_score:
            best_score = score
            best_state = generator.state_dict()
    torch.save(best_state, os.path.join(checkpoint_dir, "best.pt"))
    return history
