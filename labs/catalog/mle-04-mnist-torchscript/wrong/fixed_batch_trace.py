# expect-fail: torchscript_accuracy, torchscript_matches_eager
# A tracing trap: int(x.shape[0]) is a Python number while tracing, so the batch size of the
# example (1) is written into the graph, and the file fails on any other batch size.
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.fc(x.view(int(x.shape[0]), -1))


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
    model.eval()
    example = torch.rand(1, 1, 28, 28, device=next(model.parameters()).device)
    torch.jit.trace(model, example).save(path)
