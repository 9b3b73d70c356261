"""Runs inside the sandbox, next to the learner's code: trains a fresh SimpleCNN with the
learner's train_one_epoch on the first rows of the store's CIFAR-10 training split, with the
grader's loader and optimizer, and records its logits for held-out images that come without
labels. The loss test calls train_one_epoch once more on the grader's own linear model with an
optimizer whose learning rate is 0. Accuracy and the expected loss are computed by the judge,
outside."""

import torch
from labkit import datasets
from torch import nn

_isinstance = isinstance
_type = type
_float = float
_module = nn.Module
_conv, _linear = nn.Conv2d, nn.Linear
_tensor = torch.Tensor


def _shape(value):
    return list(value.shape) if _isinstance(value, _tensor) else _type(value).__name__


def _images(array, device):
    return torch.from_numpy(array).to(torch.float32).div_(255.0).to(device)


def run(solution, observe, inputs):
    device = inputs["device"]
    torch.manual_seed(inputs["seed"])

    with observe("structure") as seen:
        model = solution.SimpleCNN()
        modules = list(model.modules()) if _isinstance(model, _module) else []
        seen.value = {
            "conv": sum(1 for m in modules if _isinstance(m, _conv)),
            "linear": sum(1 for m in modules if _isinstance(m, _linear)),
            "parameters": sum(int(p.numel()) for p in model.parameters()),
        }

    with observe("shapes") as seen:
        x = torch.from_numpy(inputs["shape_x"])
        shapes = {}
        for classes in (10, 4):
            model = solution.SimpleCNN() if classes == 10 else solution.SimpleCNN(num_classes=4)
            model.eval()
            with torch.no_grad():
                for rows in (1, 7) if classes == 10 else (7,):
                    shapes[f"{classes}/{rows}"] = _shape(model(x[:rows]))
        seen.value = shapes

    with observe("epoch_loss") as seen:
        linear = nn.Linear(3 * 32 * 32, 10)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(inputs["loss_model"]["weight"]))
            linear.bias.copy_(torch.from_numpy(inputs["loss_model"]["bias"]))
        model = nn.Sequential(nn.Flatten(), linear).to(device)
        data = torch.utils.data.TensorDataset(
            torch.from_numpy(inputs["loss_x"]), torch.from_numpy(inputs["loss_y"])
        )
        loader = torch.utils.data.DataLoader(data, batch_size=inputs["loss_batch"], shuffle=False)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
        value = solution.train_one_epoch(model, loader, optimizer, device)
        kind = _type(value).__name__
        seen.value = {"type": kind, "value": _float(value) if kind in ("float", "int") else None}

    with observe("predictions") as seen:
        x, y = datasets.load("cifar10", "train", limit=inputs["train_rows"])
        generator = torch.Generator().manual_seed(inputs["seed"])
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(x, y),
            batch_size=inputs["batch"],
            shuffle=True,
            generator=generator,
        )
        model = solution.SimpleCNN().to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=inputs["learning_rate"])
        for _epoch in range(inputs["epochs"]):
            solution.train_one_epoch(model, loader, optimizer, device)
        model.eval()
        heldout = _images(inputs["heldout"], device)
        with torch.no_grad():
            logits = [
                model(heldout[i : i + 200]).detach().cpu() for i in range(0, len(heldout), 200)
            ]
        seen.value = torch.cat(logits).to(torch.float32)
