# expect-fail: no_closed_form
# A least-squares solver the source does not name (its name is put together at run time):
# the probe sees it called.
import torch


def fit_linear_regression(X, y, lr=0.1, epochs=500):
    design = torch.cat([X, torch.ones(X.shape[0], 1)], dim=1)
    solver = getattr(torch.linalg, "lst" + "sq")
    solution = solver(design, y).solution
    return solution[:-1], solution[-1:].reshape(1)
