"""Runs inside the sandbox, next to the learner's code: trains the learner's Net with the
learner's train on the first rows of MNIST's training split (read with labkit), has the
learner's export_torchscript write the trained model to a file that is handed off to
check.py, and records the eager model's outputs on the images the judge sent. Those images
come from MNIST's test split, slightly noised; their labels stay with the judge. The
TorchScript file is never opened here: check.py loads it in a clean sandbox."""

import torch
from labkit import datasets
from torch.utils.data import DataLoader, TensorDataset

# Bound before the learner's module is imported (the runner loads this module first).
_isinstance = isinstance
_type = type
_tensor = torch.Tensor
_module = torch.nn.Module


def _outputs(value) -> dict:
    """A model's output as plain data: a tensor's shape and values, or what it was instead."""
    if not _isinstance(value, _tensor):
        return {"tensor": False, "type": _type(value).__name__}
    seen = {"tensor": True, "shape": list(value.shape)}
    if value.is_floating_point():
        seen["values"] = value.detach().cpu().to(torch.float64).numpy()
    return seen


def run(solution, observe, inputs):
    torch.set_num_threads(1)
    device = inputs["device"]
    seed = inputs["seed"]

    with observe("shapes") as seen:
        torch.manual_seed(seed)
        net = solution.Net().to(device).eval()
        shapes = {}
        with torch.no_grad():
            for batch in (1, 7):
                result = net(torch.rand(batch, 1, 28, 28, device=device))
                shapes[str(batch)] = list(result.shape) if _isinstance(result, _tensor) else None
        seen.value = shapes

    model = None
    with observe("trained") as seen:
        torch.manual_seed(seed)
        x, y = datasets.load("mnist", "train", limit=inputs["train_rows"])
        loader = DataLoader(
            TensorDataset(x, y),
            batch_size=inputs["batch_size"],
            shuffle=True,
            generator=torch.Generator().manual_seed(seed),
        )
        model = solution.train(solution.Net(), loader, inputs["epochs"], device)
        seen.value = {"module": _isinstance(model, _module), "type": _type(model).__name__}

    with observe("exported") as seen:
        seen.value = {"model": _isinstance(model, _module)}
        if seen.value["model"]:
            # The model as train returned it: eval mode is export_torchscript's job.
            solution.export_torchscript(model, observe.handoff("model.pt"))

    with observe("eager") as seen:
        if not _isinstance(model, _module):
            seen.value = {"tensor": False, "type": "no model"}
        else:
            model.eval()
            images = torch.from_numpy(inputs["visible"]).to(device)
            with torch.no_grad():
                seen.value = _outputs(model(images))
