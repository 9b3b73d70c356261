"""Runs inside the sandbox, next to the learner's code: builds the learner's Seq2Seq, records
the shapes it returns, trains it with the grader's own loop (Adam, cross-entropy on
``outputs[:, 1:]`` against ``tgt[:, 1:]``, padding ignored) on the phrase pairs it is given,
then records the learner's greedy ``translate`` on new phrases, the attention weights of a
padded batch and the outputs for phrases alone and inside a padded batch. Nothing here knows
the expected translations: the judge has them, outside."""

import random

import torch
from torch import nn

_isinstance = isinstance
_tensor = torch.Tensor
_int = int
_list, _tuple = list, tuple
_type = type

# The grader's training (shared/specs/labs.md: the grader trains with cross-entropy on [:, 1:]).
HIDDEN = 64
EPOCHS = 5
BATCH = 128
LR = 0.02
TEACHER_FORCING = 1.0
MAX_LEN = 10


def _shape(value) -> dict:
    if not _isinstance(value, _tensor):
        return {"tensor": False, "type": _type(value).__name__}
    return {"tensor": True, "shape": _list(value.shape), "floating": value.is_floating_point()}


def _values(value) -> dict:
    seen = _shape(value)
    if seen["tensor"]:
        seen["values"] = value.detach().cpu().to(torch.float64)
    return seen


def _trim(src, tgt, pad):
    """A batch cut to its longest phrase (so that the padding varies from batch to batch)."""
    s = _int((src != pad).sum(dim=1).max())
    t = _int((tgt != pad).sum(dim=1).max())
    return src[:, :s], tgt[:, :t]


def run(solution, observe, inputs):
    seed, pad = inputs["seed"], inputs["pad_id"]
    src_vocab, tgt_vocab = inputs["src_vocab"], inputs["tgt_vocab"]
    random.seed(seed)
    torch.manual_seed(seed)
    model = None

    with observe("shapes") as seen:
        model = solution.Seq2Seq(src_vocab, tgt_vocab, hidden=HIDDEN, pad_id=pad)
        src = torch.from_numpy(inputs["shape_src"])
        tgt = torch.from_numpy(inputs["shape_tgt"])
        model.eval()
        with torch.no_grad():
            seen.value = {
                "forward": _shape(model(src, tgt, teacher_forcing_ratio=1.0)),
                "attention": _shape(model.attention_weights(src, tgt)),
            }

    with observe("training") as seen:
        src_all = torch.from_numpy(inputs["train_src"])
        tgt_all = torch.from_numpy(inputs["train_tgt"])
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        loss_fn = nn.CrossEntropyLoss(ignore_index=pad)
        order = random.Random(seed)  # noqa: S311 - seeded shuffling, not crypto
        rows = _list(range(src_all.shape[0]))
        losses = []
        for _epoch in range(EPOCHS):
            model.train()
            order.shuffle(rows)
            for start in range(0, len(rows), BATCH):
                index = torch.tensor(rows[start : start + BATCH])
                src, tgt = _trim(src_all[index], tgt_all[index], pad)
                outputs = model(src, tgt, teacher_forcing_ratio=TEACHER_FORCING)
                loss = loss_fn(
                    outputs[:, 1:].reshape(-1, outputs.shape[-1]), tgt[:, 1:].reshape(-1)
                )
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            losses.append(float(loss.detach()))
        seen.value = {"last_losses": losses}
    model.eval()

    with observe("translations") as seen:
        results = []
        for phrase in inputs["test_phrases"]:
            result = solution.translate(
                model, [_int(w) for w in phrase], MAX_LEN, inputs["sos_id"], inputs["eos_id"]
            )
            if not _isinstance(result, _list | _tuple):
                seen.value = {"list": False, "type": _type(result).__name__}
                break
            results.append([_int(token) for token in result])
        else:
            seen.value = {"list": True, "values": results}

    src = torch.from_numpy(inputs["batch_src"])
    tgt = torch.from_numpy(inputs["batch_tgt"])
    with observe("attention") as seen, torch.no_grad():
        seen.value = _values(model.attention_weights(src, tgt))

    with observe("padding") as seen, torch.no_grad():
        batched = _values(model(src, tgt, teacher_forcing_ratio=1.0))
        alone = []
        for phrase, target in zip(inputs["alone_src"], inputs["alone_tgt"], strict=True):
            alone.append(
                _values(
                    model(torch.tensor([phrase]), torch.tensor([target]), teacher_forcing_ratio=1.0)
                )
            )
        seen.value = {"batched": batched, "alone": alone}
