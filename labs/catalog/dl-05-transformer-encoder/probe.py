"""Runs inside the sandbox: builds the learner's TransformerEncoderBlock (seeded per job) and
records its outputs on the grader's batches, as plain data: a batch without a mask and one
with a padding mask (eval mode), a few shapes, the outputs with every projection zeroed, the
gradients of a projection of the output (train mode) and which kinds of layers the block
holds. Which rows are copies, permutations or changed versions of which is known only to the
judge, outside; nothing here compares anything."""

import torch
from torch import nn

# Bound before the learner's module is imported (the runner loads this module first).
_isinstance = isinstance
_tensor = torch.Tensor
_type = type
_manual_seed = torch.manual_seed
_attention = nn.MultiheadAttention
_norm = nn.LayerNorm
_linear = nn.Linear


def _output(value) -> dict:
    if not _isinstance(value, _tensor):
        return {"tensor": False, "type": _type(value).__name__}
    return {
        "tensor": True,
        "shape": list(value.shape),
        "values": value.detach().cpu().to(torch.float64),
    }


def run(solution, observe, inputs):
    device = inputs["device"]

    def build(**config):
        _manual_seed(inputs["seed"])
        return solution.TransformerEncoderBlock(**config).to(device)

    def tensor(name):
        return torch.from_numpy(inputs[name]).to(device)

    with observe("plain") as seen:
        block = build().eval()
        with torch.no_grad():
            seen.value = _output(block(tensor("plain")))

    with observe("masked") as seen:
        block = build().eval()
        with torch.no_grad():
            seen.value = _output(
                block(tensor("masked"), key_padding_mask=tensor("masked_padding").bool())
            )

    with observe("shapes") as seen:
        shapes = []
        for case in inputs["shapes"]:
            block = build(**case["config"]).eval()
            with torch.no_grad():
                x = torch.randn(*case["shape"]).to(device)
                out = block(x)
            shapes.append(list(out.shape) if _isinstance(out, _tensor) else None)
        seen.value = shapes

    with observe("residual") as seen:
        block = build().eval()
        with torch.no_grad():
            for module in block.modules():
                if _isinstance(module, (_linear, _attention)):
                    for parameter in module.parameters():
                        parameter.zero_()
            seen.value = _output(block(tensor("residual")))

    with observe("gradients") as seen:
        block = build().train()
        out = block(tensor("gradient_x"), key_padding_mask=tensor("gradient_padding").bool())
        (out * tensor("projection")).sum().backward()
        found = []
        for name, parameter in block.named_parameters():
            grad = parameter.grad
            found.append(
                {
                    "name": name,
                    "trainable": bool(parameter.requires_grad),
                    "grad": None if grad is None else float(grad.detach().double().norm()),
                }
            )
        seen.value = found

    with observe("modules") as seen:
        block = build()
        kinds = [module for module in block.modules()]
        seen.value = {
            "attention": sum(1 for module in kinds if _isinstance(module, _attention)),
            "norm": sum(1 for module in kinds if _isinstance(module, _norm)),
        }
