# expect-fail: torchscript_accuracy, torchscript_matches_eager
# A classic: torch.save of the whole module is a pickle that needs the class's code to load;
# it is not TorchScript, so torch.jit.load without the learner's module cannot open it.
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
            optimizer.step()
    return model


def export_torchscript(model, path):
    model.eval()
    torch.save(model, path)
