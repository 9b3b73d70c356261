# expect-fail: torchscript_matches_eager
# Traced as train returned it, in training mode: the graph keeps dropout switched on, so the
# file's outputs are not the eager model's in eval mode (and change from call to call).
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(28 * 28, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10)
        )

    def forward(self, x):
        return self.fc(x.reshape(x.shape[0], -1))


def train(model, loader, epochs, device):
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _epoch in range(epochs):
        for images, labels in loader:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(images.to(device)), labels.to(device))
            loss.backward()
            optimizer.step()
    return model


def export_torchscript(model, path):
    example = torch.rand(1, 1, 28, 28, device=next(model.parameters()).device)
    torch.jit.trace(model, example, check_trace=False).save(path)
