# expect-fail: no_closed_form
# The normal equations solved by hand (Gauss-Jordan elimination on tensors): no solver is
# named or called, but the answer ignores lr and epochs, which gradient descent cannot do.
import torch


def fit_linear_regression(X, y, lr=0.1, epochs=500):
    design = torch.cat([X, torch.ones(X.shape[0], 1)], dim=1).double()
    system = torch.cat([design.T @ design, design.T @ y.double()], dim=1)
    size = system.shape[0]
    for column in range(size):
        system[column] = system[column] / system[column, column]
        for row in range(size):
            if row != column:
                system[row] = system[row] - system[row, column] * system[column]
    solution = system[:, -1:].float()
    return solution[:-1], solution[-1:].reshape(1)
