# expect-fail: one_feature, several_features, many_features, shapes, no_linear, no_optim, no_closed_form
# expect-score: 0
# A classic autograd mistake: the gradients are never zeroed, so .grad holds the sum of every
# gradient so far and each step applies all of them again; descent overshoots and oscillates.
import torch


def fit_linear_regression(X, y, lr=0.1, epochs=500):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for _epoch in range(epochs):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return w.detach(), b.detach()
