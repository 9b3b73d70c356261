"""Runs inside the sandbox, next to the learner's code. It records:

- the learner's schedule for a few numbers of epochs;
- on a small fresh model (input_size 3, output_size 2): how each output moves when one
  target is changed (ratio 1.0), the outputs for two different targets and for none (ratio
  0.0), and, for many calls at one ratio, which steps consumed their target: a step that
  consumed ``targets[:, t-1]`` passes gradient to it, one that fed back the model's own output
  passes exactly none;
- the grader's own training of the learner's model on sine waves with the learner's schedule,
  and the model's free-running outputs on new waves (the judge has their targets).
"""

import random

import numpy
import torch

_float = float
_isinstance = isinstance
_tensor = torch.Tensor
_type = type

# The grader's training (the statement gives these numbers).
HIDDEN = 32
EPOCHS = 12
BATCH = 16
LR = 0.01
# The small model of the dependency and rate checks.
SMALL = (3, 16, 2)


def _seed(seed) -> None:
    random.seed(seed)
    numpy.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _outputs(value, shape) -> torch.Tensor:
    if not _isinstance(value, _tensor):
        raise TypeError(f"forward returned {_type(value).__name__}, not a tensor")
    if tuple(value.shape) != tuple(shape):
        raise ValueError(f"forward returned shape {list(value.shape)}, expected {list(shape)}")
    return value


def run(solution, observe, inputs):
    seed = inputs["seed"]

    with observe("schedule") as seen:
        seen.value = {
            str(total): [_float(solution.teacher_forcing_schedule(e, total)) for e in range(total)]
            for total in inputs["schedule_epochs"]
        }

    x = torch.from_numpy(inputs["small_x"])
    targets = torch.from_numpy(inputs["small_targets"])
    other = torch.from_numpy(inputs["small_other"])
    n, steps = x.shape[0], x.shape[1]
    shape = (n, steps, SMALL[2])
    _seed(seed)
    small = None

    with observe("ratio_one") as seen:
        small = solution.SeqModel(*SMALL)
        small.eval()
        with torch.no_grad():
            base = _outputs(small(x, targets=targets, teacher_forcing_ratio=1.0), shape)
            moved = []
            for k in range(steps):
                changed = targets.clone()
                changed[:, k] = other[:, k]
                out = _outputs(small(x, targets=changed, teacher_forcing_ratio=1.0), shape)
                moved.append((out - base).abs().amax(dim=(0, 2)))  # per output step
            seen.value = torch.stack(moved).to(torch.float64)  # [changed k, output t]

    with observe("ratio_zero") as seen, torch.no_grad():
        first = _outputs(small(x, targets=targets, teacher_forcing_ratio=0.0), shape)
        second = _outputs(small(x, targets=other, teacher_forcing_ratio=0.0), shape)
        free = _outputs(small(x, targets=None, teacher_forcing_ratio=0.0), shape)
        seen.value = {
            "targets": _float((first - second).abs().max()),
            "none": _float((first - free).abs().max()),
        }

    with observe("forcing") as seen:
        ratio = inputs["ratio"]
        weights = torch.from_numpy(inputs["grad_weights"])
        forced = []
        for _call in range(inputs["calls"]):
            leaf = targets.clone().requires_grad_(True)
            out = _outputs(small(x, targets=leaf, teacher_forcing_ratio=ratio), shape)
            (out * weights).sum().backward()
            grad = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
            # Step t (1..T-1) consumed targets[:, t-1] iff gradient reaches it.
            forced.append(grad[:, :-1].abs().sum(dim=2) > 0)  # (N, T-1)
        seen.value = torch.stack(forced).to(torch.uint8)  # (calls, N, T-1)

    with observe("training") as seen:
        _seed(seed + 1)
        model = solution.SeqModel(2, HIDDEN, 2)
        x_train = torch.from_numpy(inputs["train_x"])
        y_train = torch.from_numpy(inputs["train_y"])
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        ratios, losses = [], []
        for epoch in range(EPOCHS):
            ratio = _float(solution.teacher_forcing_schedule(epoch, EPOCHS))
            ratios.append(ratio)
            model.train()
            order = torch.randperm(x_train.shape[0])
            for start in range(0, x_train.shape[0], BATCH):
                rows = order[start : start + BATCH]
                out = model(x_train[rows], targets=y_train[rows], teacher_forcing_ratio=ratio)
                loss = ((out - y_train[rows]) ** 2).mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            losses.append(_float(loss.detach()))
        seen.value = {"ratios": ratios, "losses": losses}

    with observe("free_running") as seen:
        x_test = torch.from_numpy(inputs["test_x"])
        model.eval()
        with torch.no_grad():
            out = model(x_test, targets=None)
        seen.value = _outputs(out, (x_test.shape[0], x_test.shape[1], 2)).to(torch.float64)
