"""Runs inside the sandbox: calls the learner's mask_tokens on the grader's token batches and
records what comes back (both tensors, whole) and the input tensors as they are after each
call. Nothing here counts or compares: the judge derives the rates, the labels' consistency
and the reproducibility from these arrays, outside."""

import random

import numpy
import torch

# Bound before the learner's module is imported (the runner loads this module first).
_isinstance = isinstance
_tensor = torch.Tensor
_type = type
_tuple = tuple
_list = list
_str = str
_manual_seed = torch.manual_seed
_random_seed = random.seed
_numpy_seed = numpy.random.seed


def _generator(device, seed):
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


def _global_seed(seed):
    _manual_seed(seed)
    _random_seed(seed)
    _numpy_seed(seed % 2**32)


def _call(solution, inputs, batch, device, seed, special=True):
    ids = torch.from_numpy(batch["ids"]).clone().to(device)  # a tensor of its own, every call
    mask = torch.from_numpy(batch["special"]).clone().to(device) if special else None
    kwargs = {"special_tokens_mask": mask} if special else {}
    result = solution.mask_tokens(
        ids,
        inputs["mask_token_id"],
        inputs["vocab_size"],
        mlm_probability=batch.get("probability", 0.15),
        generator=_generator(device, seed) if seed is not None else None,
        **kwargs,
    )
    return ids, mask, result


def _record(ids, mask, result) -> dict:
    seen = {"ids_after": ids.detach().cpu().to(torch.int32)}
    if mask is not None:
        seen["special_after"] = mask.detach().cpu().to(torch.uint8)
    if not (_type(result) in (_tuple, _list) and len(result) == 2):
        seen.update(pair=False, type=_type(result).__name__)
        return seen
    inputs, labels = result
    seen["pair"] = True
    seen["same_object"] = inputs is ids
    seen["inputs_tensor"] = _isinstance(inputs, _tensor)
    seen["labels_tensor"] = _isinstance(labels, _tensor)
    if seen["inputs_tensor"] and seen["labels_tensor"]:
        seen["inputs_dtype"] = _str(inputs.dtype)
        seen["labels_dtype"] = _str(labels.dtype)
        seen["same_device"] = inputs.device == ids.device and labels.device == ids.device
    try:
        seen["inputs"] = torch.as_tensor(inputs).detach().cpu().to(torch.int32)
        seen["labels"] = torch.as_tensor(labels).detach().cpu().to(torch.int32)
    except Exception as error:  # not token ids
        seen["problem"] = _type(error).__name__
    return seen


def run(solution, observe, inputs):
    device = inputs["device"]
    first, second, small = inputs["first"], inputs["second"], inputs["small"]

    with observe("first") as seen:
        seen.value = _record(*_call(solution, inputs, first, device, first["seed"]))

    with observe("second") as seen:  # no generator: the global generator, seeded here
        _global_seed(second["seed"])
        seen.value = _record(*_call(solution, inputs, second, device, None, special=False))

    # The same generator seed under two global seeds, then another generator seed.
    one, two = small["global_seeds"]
    with observe("same_seed") as seen:
        _global_seed(one)
        seen.value = _record(*_call(solution, inputs, small, device, small["seed"]))
    with observe("other_global_seed") as seen:
        _global_seed(two)
        seen.value = _record(*_call(solution, inputs, small, device, small["seed"]))
    with observe("other_seed") as seen:
        _global_seed(one)
        seen.value = _record(*_call(solution, inputs, small, device, small["other_seed"]))
