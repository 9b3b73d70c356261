"""Runs inside the sandbox, next to the learner's code.

1. The learner's distillation_loss on logits and labels the judge drew (with the default
   temperature and alpha, and with others passed by keyword), and the gradient it gives the
   student's logits: the values go out, the judge computes the right ones outside.
2. The learner's Teacher is trained by this probe's own loop (cross-entropy, Adam) on the
   grader's training images; then the learner's distill trains the learner's Student from it.
   The trained student and the teacher (before and after distill) classify the grader's
   held-out images, whose labels stay with the judge; their logits go out.
3. Parameter counts of both models (a claim: the judge checks the ratio).
"""

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

# Bound before the learner's module is imported (the runner loads this module first).
_isinstance = isinstance
_type = type
_float = float
_tensor = torch.Tensor
_module = torch.nn.Module


def _number(value) -> dict:
    """What the loss function returned: a tensor of one element, a number, or something else."""
    if _isinstance(value, _tensor):
        seen = {"tensor": True, "shape": list(value.shape)}
        if value.numel() == 1 and value.is_floating_point():
            seen["value"] = _float(value.detach().cpu().to(torch.float64).reshape(()))
        return seen
    if _type(value) in (int, float):
        return {"tensor": False, "value": _float(value)}
    return {"tensor": False, "type": _type(value).__name__}


def _case(case: dict):
    return (
        torch.from_numpy(case["student"]),
        torch.from_numpy(case["teacher"]),
        torch.from_numpy(case["labels"]),
    )


def _logits(model, images, device) -> dict:
    model.eval()
    with torch.no_grad():
        out = model(images.to(device))
    if not _isinstance(out, _tensor) or not out.is_floating_point():
        return {"tensor": False, "type": _type(out).__name__}
    return {"tensor": True, "values": out.detach().cpu().to(torch.float64).numpy()}


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def run(solution, observe, inputs):
    torch.set_num_threads(1)
    device = inputs["device"]
    seed = inputs["seed"]

    with observe("loss_default") as seen:
        seen.value = [_number(solution.distillation_loss(*_case(c))) for c in inputs["default"]]

    with observe("loss_parameters") as seen:
        seen.value = [
            _number(
                solution.distillation_loss(
                    *_case(c), temperature=c["temperature"], alpha=c["alpha"]
                )
            )
            for c in inputs["parameters"]
        ]

    with observe("loss_gradient") as seen:
        case = inputs["gradient"]
        student, teacher, labels = _case(case)
        student.requires_grad_(True)
        loss = solution.distillation_loss(
            student, teacher, labels, temperature=case["temperature"], alpha=case["alpha"]
        )
        if not _isinstance(loss, _tensor) or not loss.requires_grad:
            seen.value = {"graph": False, "type": _type(loss).__name__}
        else:
            loss.sum().backward()
            grad = student.grad
            seen.value = {
                "graph": True,
                "values": None if grad is None else grad.detach().to(torch.float64).numpy(),
            }

    with observe("sizes") as seen:
        seen.value = {
            "teacher": _count(solution.Teacher()),
            "student": _count(solution.Student()),
        }

    images = torch.from_numpy(inputs["train_x"]).to(torch.float32).div_(255.0)
    labels = torch.from_numpy(inputs["train_y"])
    held_out = torch.from_numpy(inputs["held_out_x"]).to(torch.float32).div_(255.0)
    loader = DataLoader(
        TensorDataset(images, labels),
        batch_size=inputs["batch_size"],
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )

    teacher = None
    with observe("teacher") as seen:
        torch.manual_seed(seed)
        teacher = solution.Teacher().to(device)
        optimizer = torch.optim.Adam(teacher.parameters(), lr=inputs["teacher_lr"])
        teacher.train()
        for _epoch in range(inputs["teacher_epochs"]):
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                optimizer.zero_grad()
                F.cross_entropy(teacher(x), y).backward()
                optimizer.step()
        seen.value = _logits(teacher, held_out, device)

    with observe("student") as seen:
        if not _isinstance(teacher, _module):
            seen.value = {"module": False, "type": "no teacher"}
        else:
            torch.manual_seed(seed + 1)
            student = solution.Student().to(device)
            teacher.eval()  # the teacher arrives trained, in eval mode
            result = solution.distill(teacher, student, loader, inputs["distill_epochs"], device)
            if not _isinstance(result, _module):
                seen.value = {"module": False, "type": _type(result).__name__}
            else:
                seen.value = {"module": True, **_logits(result, held_out, device)}

    with observe("teacher_after") as seen:
        if not _isinstance(teacher, _module):
            seen.value = {"tensor": False, "type": "no teacher"}
        else:
            seen.value = _logits(teacher, held_out, device)
