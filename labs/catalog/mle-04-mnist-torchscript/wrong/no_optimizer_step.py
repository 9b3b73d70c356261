# expect-fail: accuracy, torchscript_accuracy, torchscript_matches_eager, shapes
# expect-score: 0
# The gradients are computed but optimizer.step() is never called: the model stays at its
# random initialisation (chance accuracy), however well it is exported.
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10))

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
    return model


def export_torchscript(model, path):
    model.eval()
    torch.jit.script(model).save(path)
