# expect-fail: accuracy, epoch_loss, shapes, layers, parameters
# expect-score: 0
# A network that never learns (constant logits) and a loop that trains nothing.
import torch
from torch import nn


class SimpleCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)
        self.conv2 = nn.Conv2d(4, 4, 3)
        self.fc = nn.Linear(4, num_classes)

    def forward(self, x):
        return torch.zeros(x.shape[0], self.fc.out_features)


def train_one_epoch(model, loader, optimizer, device):
    return 2.302585
