# expect-fail: no_linear
# Converges, but the model is an nn.Linear layer instead of tensors w and b.
import torch
from torch import nn


def fit_linear_regression(X, y, lr=0.1, epochs=500):
    layer = nn.Linear(X.shape[1], 1)
    for _epoch in range(epochs):
        loss = ((layer(X) - y) ** 2).mean()
        layer.zero_grad()
        loss.backward()
        with torch.no_grad():
            for parameter in layer.parameters():
                parameter -= lr * parameter.grad
    return layer.weight.detach().T.clone(), layer.bias.detach().clone()
