# expect-fail: one_feature, several_features, many_features, shapes, no_linear, no_optim, no_closed_form
# expect-score: 0
# A wrong gradient formula: the gradient of the mean squared error written by hand, but summed
# over the samples instead of averaged, so each step is N times too long and descent diverges.
import torch


def fit_linear_regression(X, y, lr=0.1, epochs=500):
    w = torch.zeros(X.shape[1], 1)
    b = torch.zeros(1)
    for _epoch in range(epochs):
        error = X @ w + b - y
        w = w - lr * 2 * X.T @ error
        b = b - lr * 2 * error.sum(0)
    return w, b
