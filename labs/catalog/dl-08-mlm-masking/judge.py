"""The trusted half of the MLM masking lab (contract: labs/grader_api.py).

The learner's mask_tokens runs on token batches drawn per job: a large batch with special
tokens ([CLS], [SEP], padding, an all-padding row, separators inside rows) at the default
rate, a second large batch without a special-tokens mask at another rate, and a small batch
three times over for reproducibility (the same generator seed under two different global
seeds, then another generator seed). The probe returns every output tensor, and the input
tensors as they were after each call; this judge derives everything from them and from the
batches it drew: which tokens were selected (labels != -100), what became of them, the rates.

Statistical tests and how they were sized so that a correct solution fails with probability
below 1e-6 (all selections are independent Bernoulli draws from the learner's generator).
Bernstein's inequality for the mean of n independent draws of a Bernoulli(p):
    P(|p_hat - p| >= t) <= 2 exp(-n t^2 / (2 (p (1 - p) + t / 3)))
- selection rate, t = 0.01: the first batch has n ~ 150 000 eligible tokens at p = 0.15
  (147 581 the fewest over 200 draws: bound 6.4e-25; n >= 101 000 by construction), the second
  n = 102 400 tokens at p = 0.25 (bound 4.5e-12);
- the 80/10/10 split, among the selected tokens of each batch: once the rate test passes
  there are m >= 0.14 * 147 581 = 20 661 of them in the first batch (bounds 3.4e-11 at
  t = 0.02 around 0.8, 4.7e-11 at t = 0.015 around 0.1) and m >= 0.24 * 102 400 = 24 576 in
  the second (3.1e-13 and 4.6e-13);
- random replacements spread over the vocabulary: the share of them in its upper half, over
  both batches (at least MIN_RANDOM = 3 500 of them when the split passes), within 0.05 of
  the share of the vocabulary there; Hoeffding: 2 exp(-2 * 3500 * 0.05^2) = 5.0e-8.
The union over every test of one job is below 1e-7 (5.0e-8 for the fewest eligible tokens
seen; 3.5e-7 even if every row were as short as a row can be); ``failure_bound`` recomputes
it for each draw and ``prepare`` refuses a draw whose bound would exceed 1e-6.
"""

from __future__ import annotations

import math

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, EDGE, Draw, Message, Prepared, Test, Verdict, message
from labs.interface import Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Function(
        "mask_tokens",
        ("input_ids", "mask_token_id", "vocab_size"),
        keywords=("mlm_probability", "special_tokens_mask", "generator"),
    )
]

RATE_TOLERANCE = 0.01
MASK_SHARE, MASK_TOLERANCE = 0.8, 0.02
RANDOM_SHARE, KEEP_SHARE, TENTH_TOLERANCE = 0.1, 0.1, 0.015
SPREAD_TOLERANCE = 0.05
MIN_RANDOM = 3500
MAX_FAILURE = 1e-6
IGNORE = -100
# (rows, length) of the batches.
FIRST_SHAPE, SECOND_SHAPE, SMALL_SHAPE = (400, 512), (200, 512), (32, 64)
SECOND_PROBABILITY = 0.25
STATISTICS = ("first", "second")

TESTS = [
    Test("selection_rate", 2, _("Selection rate"), CORE, uses=("first", "second")),
    Test("labels", 2, _("Labels and unselected tokens"), CORE, uses=("first", "second")),
    Test("split", 3, _("80/10/10 split"), CORE, uses=("first", "second")),
    Test("generator", 2, _("Reproducible with a generator"), CORE,
         uses=("same_seed", "other_global_seed", "other_seed")),
    Test("random_tokens", 1, _("Random tokens from the vocabulary"), EDGE,
         uses=("first", "second"), requires=("split",)),
    Test("special_tokens", 1, _("Special tokens"), EDGE, uses=("first", "same_seed"),
         requires=("selection_rate", "labels")),
    Test("no_inplace", 1, _("Inputs left unchanged"), EDGE,
         uses=("first", "second", "same_seed"), requires=("labels",)),
    Test("types", 1, _("Types and shapes"), CLAIM, uses=("first", "second")),
]  # fmt: skip


def bernstein(n: int, p: float, t: float) -> float:
    """Bernstein's bound on P(|p_hat - p| >= t) for the mean of n Bernoulli(p) draws."""
    if n <= 0:
        return 1.0
    return min(1.0, 2 * math.exp(-n * t * t / (2 * (p * (1 - p) + t / 3))))


def failure_bound(eligible_first: int, eligible_second: int) -> float:
    """An upper bound on the probability that a correct solution fails any statistical test
    of a job whose batches have these many eligible tokens (see the module's docstring)."""
    bound = bernstein(eligible_first, 0.15, RATE_TOLERANCE)
    bound += bernstein(eligible_second, SECOND_PROBABILITY, RATE_TOLERANCE)
    for selected in (int(0.14 * eligible_first), int(0.24 * eligible_second)):
        bound += bernstein(selected, MASK_SHARE, MASK_TOLERANCE)
        bound += 2 * bernstein(selected, RANDOM_SHARE, TENTH_TOLERANCE)
    return bound + 2 * math.exp(-2 * MIN_RANDOM * SPREAD_TOLERANCE**2)


def _batch(rng: np.random.Generator, shape, vocab: dict, with_special: bool):
    """Token ids of ordinary words, and (optionally) rows of different lengths framed by
    [CLS] ... [SEP] with padding after them, a separator inside some rows and one row that
    is padding only; returns ids (int64) and the special-tokens mask (bool) or None."""
    rows, length = shape
    ids = rng.integers(vocab["first_word"], vocab["size"], size=shape, dtype=np.int64)
    if not with_special:
        return ids, None
    special = np.zeros(shape, dtype=bool)
    for row in range(rows):
        used = int(rng.integers(length // 2, length + 1))
        ids[row, 0] = vocab["cls"]
        ids[row, used - 1] = vocab["sep"]
        ids[row, used:] = vocab["pad"]
        special[row, 0] = special[row, used - 1 :] = True
        if rng.random() < 0.5:  # a sentence pair: a separator inside the row
            middle = int(rng.integers(2, used - 2))
            ids[row, middle] = vocab["sep"]
            special[row, middle] = True
    empty = int(rng.integers(rows))
    ids[empty], special[empty] = vocab["pad"], True
    return ids, special


def prepare(draw: Draw) -> Prepared:
    rng = draw.public_np
    size = int(rng.integers(1000, 8000))
    # Special ids at the start of the vocabulary as in BERT's ([PAD] 0, [CLS], [SEP], [MASK]).
    specials = [int(v) for v in rng.permutation(8)[:4]]
    vocab = {"size": size, "pad": specials[0], "cls": specials[1], "sep": specials[2],
             "mask": specials[3], "first_word": 8}  # fmt: skip
    first, first_special = _batch(rng, FIRST_SHAPE, vocab, with_special=True)
    second, _none = _batch(rng, SECOND_SHAPE, vocab, with_special=False)
    small, small_special = _batch(rng, SMALL_SHAPE, vocab, with_special=True)
    eligible_first = int((~first_special).sum())
    bound = failure_bound(eligible_first, second.size)
    if bound > MAX_FAILURE:  # the sizes above make this impossible; kept as the guarantee
        raise ValueError(f"a correct solution would fail with probability up to {bound:.1e}")
    seeds = [draw.public.randrange(2**31) for _n in range(5)]
    first_call = {"ids": first, "special": first_special, "probability": 0.15,
                  "seed": seeds[0]}  # fmt: skip
    small_call = {"ids": small, "special": small_special, "seed": seeds[2],
                  "other_seed": seeds[3], "global_seeds": [seeds[4], seeds[4] + 1]}  # fmt: skip
    return Prepared(
        inputs={
            "vocab_size": size,
            "mask_token_id": vocab["mask"],
            "first": first_call,
            "second": {"ids": second, "probability": SECOND_PROBABILITY, "seed": seeds[1]},
            "small": small_call,
        },
        hidden={
            "vocab": vocab,
            "first": (first, first_special, 0.15),
            "second": (second, np.zeros_like(second, dtype=bool), SECOND_PROBABILITY),
            "same_seed": (small, small_special, 0.15),
        },
    )


# --- reading the evidence -----------------------------------------------------------------


def _outputs(seen, shape):
    """(inputs, labels) as int64 arrays of ``shape``, or a failing verdict."""
    if not isinstance(seen, dict) or not seen.get("pair"):
        return Verdict.fail(
            _("mask_tokens must return a pair (inputs, labels), not {type}."),
            type=seen.get("type") if isinstance(seen, dict) else None,
        )
    if seen.get("problem"):
        return Verdict.fail(
            _("The returned tensors could not be read as token ids: {problem}"),
            problem=seen["problem"],
        )
    inputs = np.asarray(seen.get("inputs"))
    labels = np.asarray(seen.get("labels"))
    if inputs.shape != tuple(shape) or labels.shape != tuple(shape):
        return Verdict.fail(
            _("For input_ids of shape {want} expected inputs and labels of the same shape, got "
              "{inputs} and {labels}."),
            want=tuple(shape), inputs=tuple(inputs.shape), labels=tuple(labels.shape),
        )  # fmt: skip
    return inputs.astype(np.int64), labels.astype(np.int64)


def _split(inputs, labels, original, mask_id: int):
    """Masks over the tokens: selected, and among them masked, kept, randomly replaced."""
    selected = labels != IGNORE
    masked = selected & (inputs == mask_id)
    kept = selected & ~masked & (inputs == original)
    return selected, masked, kept, selected & ~masked & ~kept


def _expected_shares(size: int) -> tuple[float, float, float]:
    """Chances of [MASK], the original and another token for a selected token, when 10% of
    the selected get a token drawn uniformly from [0, size) (which may be [MASK] or the
    original itself)."""
    return (MASK_SHARE + RANDOM_SHARE / size, KEEP_SHARE + RANDOM_SHARE / size,
            RANDOM_SHARE * (1 - 2 / size))  # fmt: skip


CALLS = {
    "first": _("the batch with special tokens (mlm_probability={p})"),
    "second": _("the batch without special tokens (mlm_probability={p})"),
}


def _call_label(name: str) -> Message:
    return message(CALLS[name], p=0.15 if name == "first" else SECOND_PROBABILITY)


# --- tests ----------------------------------------------------------------------------------


def _judge_rate(evidence, hidden) -> Verdict:
    margins = []
    for name in STATISTICS:
        original, special, probability = hidden[name]
        got = _outputs(evidence[name], original.shape)
        if isinstance(got, Verdict):
            return got
        _inputs, labels = got
        eligible = ~special
        rate = float(((labels != IGNORE) & eligible).sum() / eligible.sum())
        if abs(rate - probability) > RATE_TOLERANCE:
            return Verdict.fail(
                _("In {call} a share of {rate:.4f} of the tokens that may be selected was "
                  "selected (labels != -100); expected {want} ± {tolerance}."),
                call=_call_label(name), rate=rate, want=probability, tolerance=RATE_TOLERANCE,
            )  # fmt: skip
        margins.append(RATE_TOLERANCE - abs(rate - probability))
    return Verdict.ok(_("The selection rates match mlm_probability.")).with_margin(min(margins))


def _judge_labels(evidence, hidden) -> Verdict:
    for name in STATISTICS:
        original, _special, _probability = hidden[name]
        got = _outputs(evidence[name], original.shape)
        if isinstance(got, Verdict):
            return got
        inputs, labels = got
        selected = labels != IGNORE
        if not selected.any():
            return Verdict.fail(
                _("In {call} no token was selected: every label is -100."), call=_call_label(name)
            )
        wrong_labels = int((selected & (labels != original)).sum())
        if wrong_labels:
            return Verdict.fail(
                _("In {call} {count} labels of selected tokens differ from the original token "
                  "ids: a label must hold the original id of its token."),
                call=_call_label(name), count=wrong_labels,
            )  # fmt: skip
        changed = int((~selected & (inputs != original)).sum())
        if changed:
            return Verdict.fail(
                _("In {call} {count} tokens that were not selected (label -100) were changed: "
                  "only selected tokens may be replaced."),
                call=_call_label(name), count=changed,
            )  # fmt: skip
    return Verdict.ok(
        _("Labels hold the original ids of the selected tokens and -100 elsewhere; the other "
          "tokens are unchanged.")
    )  # fmt: skip


def _judge_split(evidence, hidden) -> Verdict:
    vocab = hidden["vocab"]
    want_mask, want_keep, want_random = _expected_shares(vocab["size"])
    margins = []
    for name in STATISTICS:
        original, _special, _probability = hidden[name]
        got = _outputs(evidence[name], original.shape)
        if isinstance(got, Verdict):
            return got
        selected, masked, kept, replaced = _split(*got, original, vocab["mask"])
        total = int(selected.sum())
        if total == 0:
            return Verdict.fail(
                _("In {call} no token was selected: every label is -100."), call=_call_label(name)
            )
        shares = (
            (masked, want_mask, MASK_TOLERANCE, _("replaced by mask_token_id")),
            (replaced, want_random, TENTH_TOLERANCE, _("replaced by a random token")),
            (kept, want_keep, TENTH_TOLERANCE, _("left unchanged")),
        )
        for cells, want, tolerance, what in shares:
            share = float(cells.sum() / total)
            if abs(share - want) > tolerance:
                return Verdict.fail(
                    _("In {call} {share:.4f} of the selected tokens were {what}; expected "
                      "{want:.2f} ± {tolerance}."),
                    call=_call_label(name), share=share, what=what, want=round(want, 2),
                    tolerance=tolerance,
                )  # fmt: skip
            margins.append(tolerance - abs(share - want))
    return Verdict.ok(
        _("Shares of [MASK], random and unchanged tokens within the tolerances.")
    ).with_margin(min(margins))


def _judge_random_tokens(evidence, hidden) -> Verdict:
    vocab = hidden["vocab"]
    size, values = vocab["size"], []
    for name in STATISTICS:
        original, _special, _probability = hidden[name]
        got = _outputs(evidence[name], original.shape)
        if isinstance(got, Verdict):
            return got
        inputs = got[0]
        *_rest, replaced = _split(*got, original, vocab["mask"])
        values.append(inputs[replaced])
    values = np.concatenate(values)
    outside = values[(values < 0) | (values >= size)]
    if outside.size:
        return Verdict.fail(
            _("A random replacement {value} lies outside [0, vocab_size) = [0, {size})."),
            value=int(outside[0]), size=size,
        )  # fmt: skip
    if values.size < MIN_RANDOM:
        return Verdict.fail(
            _("Only {count} tokens were replaced by random ones; expected about a tenth of the "
              "selected tokens."),
            count=int(values.size),
        )  # fmt: skip
    half = size // 2
    # The share of [half, size) among uniform draws that avoid [MASK] and the original token.
    upper = float((values >= half).mean())
    want = (size - half) / size
    if abs(upper - want) > SPREAD_TOLERANCE:
        return Verdict.fail(
            _("Random replacements must be drawn uniformly from [0, vocab_size): {upper:.3f} of "
              "them lie in the upper half of the vocabulary, expected {want:.3f} ± {tolerance}."),
            upper=upper, want=want, tolerance=SPREAD_TOLERANCE,
        )  # fmt: skip
    return Verdict.ok(
        _("Random replacements lie in [0, vocab_size) and cover it evenly.")
    ).with_margin(SPREAD_TOLERANCE - abs(upper - want))


def _judge_special(evidence, hidden) -> Verdict:
    for name in ("first", "same_seed"):
        original, special, _probability = hidden[name]
        got = _outputs(evidence[name], original.shape)
        if isinstance(got, Verdict):
            return got
        inputs, labels = got
        touched = special & ((labels != IGNORE) | (inputs != original))
        if touched.any():
            return Verdict.fail(
                _("{count} special tokens (special_tokens_mask is True there) were selected or "
                  "changed; special tokens are never selected."),
                count=int(touched.sum()),
            )  # fmt: skip
    return Verdict.ok(_("Special tokens are never selected."))


def _judge_inplace(evidence, hidden) -> Verdict:
    for name in ("first", "second", "same_seed"):
        original, special, _probability = hidden[name]
        seen = evidence[name]
        after = np.asarray(seen.get("ids_after")) if isinstance(seen, dict) else None
        if after is None or after.shape != original.shape:
            return Verdict.fail(_("The input tensor could not be read after the call."))
        changed = int((after.astype(np.int64) != original).sum())
        if changed or seen.get("same_object"):
            return Verdict.fail(
                _("mask_tokens changed its input tensor input_ids in place ({count} tokens "
                  "changed): the caller's batch is spoilt. Work on a copy "
                  "(input_ids.clone()) and return new tensors."),
                count=changed,
            )  # fmt: skip
        special_after = seen.get("special_after")
        if name != "second" and (
            special_after is None or not np.array_equal(np.asarray(special_after) != 0, special)
        ):
            return Verdict.fail(
                _(
                    "mask_tokens changed special_tokens_mask in place: leave its arguments as "
                    "they were."
                )
            )
    return Verdict.ok(_("input_ids and special_tokens_mask are left as they were."))


def _judge_generator(evidence, hidden) -> Verdict:
    original, _special, _probability = hidden["same_seed"]
    runs = {}
    for name in ("same_seed", "other_global_seed", "other_seed"):
        got = _outputs(evidence[name], original.shape)
        if isinstance(got, Verdict):
            return got
        runs[name] = got
    inputs, labels = runs["same_seed"]
    if not (labels != IGNORE).any():
        return Verdict.fail(_("No token was selected in the small batch: every label is -100."))
    again_inputs, again_labels = runs["other_global_seed"]
    if not (np.array_equal(inputs, again_inputs) and np.array_equal(labels, again_labels)):
        differ = int(((inputs != again_inputs) | (labels != again_labels)).sum())
        return Verdict.fail(
            _("With the same generator seed but another global seed (torch.manual_seed, "
              "random.seed, numpy.random.seed) the result changed in {count} positions: some "
              "random draw does not use the generator it is given (every draw must pass "
              "generator=generator)."),
            count=differ,
        )  # fmt: skip
    other_inputs, other_labels = runs["other_seed"]
    if np.array_equal(inputs, other_inputs) and np.array_equal(labels, other_labels):
        return Verdict.fail(
            _(
                "With another generator seed the result is exactly the same: the masking does "
                "not depend on the generator's draws."
            )
        )
    return Verdict.ok(
        _("The same generator seed gives the same result whatever the global seed; another "
          "seed gives another result.")
    )  # fmt: skip


def _judge_types(evidence, hidden) -> Verdict:
    for name in STATISTICS:
        seen = evidence[name]
        if not isinstance(seen, dict) or not seen.get("pair"):
            return Verdict.fail(_("mask_tokens must return a pair (inputs, labels)."))
        if not (seen.get("inputs_tensor") and seen.get("labels_tensor")):
            return Verdict.fail(_("inputs and labels must be torch tensors."))
        if seen.get("inputs_dtype") != "torch.int64" or seen.get("labels_dtype") != "torch.int64":
            return Verdict.fail(
                _("inputs and labels must be LongTensors (torch.int64), got {inputs} and "
                  "{labels}."),
                inputs=seen.get("inputs_dtype"), labels=seen.get("labels_dtype"),
            )  # fmt: skip
        if not seen.get("same_device"):
            return Verdict.fail(_("inputs and labels must be on the device of input_ids."))
    return Verdict.ok(_("Two LongTensors of the input's shape, on its device."))


def judge(test: str, evidence, hidden) -> Verdict:
    judges = {
        "selection_rate": _judge_rate,
        "labels": _judge_labels,
        "split": _judge_split,
        "generator": _judge_generator,
        "random_tokens": _judge_random_tokens,
        "special_tokens": _judge_special,
        "no_inplace": _judge_inplace,
        "types": _judge_types,
    }
    return judges[test](evidence, hidden)
