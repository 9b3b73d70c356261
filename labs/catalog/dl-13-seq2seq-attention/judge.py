"""The trusted half of the seq2seq-with-attention lab (contract: labs/grader_api.py).

Each job draws a word-by-word "language": a permutation mapping the source words to target
words, phrases of 3-7 distinct words, a training set of phrase pairs, and new phrases
(none of them in the training set) whose translations stay here. The probe trains the
learner's model with the grader's loop and records its greedy translations of the new
phrases, the attention weights of a padded batch and the outputs for the same phrases alone
and inside that batch; this judge scores the translations against the mapping and checks the
attention and the outputs for independence from padding.

Note on trust: the mapping is learnable from the training pairs, which must enter the sandbox;
a submission that reads them could translate by lookup instead of by its model. The grader's
loop trains the learner's model through its forward pass, and that is what these tests
measure; what cannot be had without a model is the behaviour under padding.

Thresholds come from `manage.py lab_margins dl-13-seq2seq-attention --seeds 10`: the
reference translated at least 98% of the new phrases exactly on every seed (90% needed); a
Luong-style variant (dot-product attention after the decoder step) did the same on 4 seeds.
The padded and lone outputs of the reference differ by ~1e-5 (tolerance 1e-3).
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, EDGE, Draw, Prepared, Test, Verdict
from labs.interface import Class, Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Class(
        "Seq2Seq",
        init=("src_vocab", "tgt_vocab"),
        init_keywords=("hidden", "pad_id"),
        methods={"forward": ("src", "tgt"), "attention_weights": ("src", "tgt")},
    ),
    Function("translate", ("model", "src_ids", "max_len", "sos_id", "eos_id")),
]

PAD, SOS, EOS = 0, 1, 2
WORDS = 8  # source words 1..8, target words 3..10
LENGTHS = (3, 7)
TRAIN_PAIRS = 2560
TEST_PHRASES = 150
BATCH_PHRASES = 16
EXTRA_PADDING = 2  # pad columns after the longest phrase of the padded batch
ACCURACY = 0.90
ROW_SUM_TOLERANCE = 1e-4
PAD_TOLERANCE = 1e-6  # attention on a padded position
# Logits of a phrase alone and inside a padded batch: the same up to float32 rounding of
# differently shaped products (~1e-6 measured); attention over padding moves them by > 1e-2.
OUTPUT_TOLERANCE = 1e-3

TESTS = [
    Test("translation", 5, _("Translating new phrases"), CORE, uses=("training", "translations")),
    Test("attention_rows", 2, _("Attention ignores padding"), EDGE, uses=("attention",),
         requires=("translation",)),
    Test("padding_invariance", 2, _("Outputs do not depend on padding"), EDGE,
         uses=("padding",), requires=("translation",)),
    Test("shapes", 1, _("Output shapes"), CLAIM, uses=("shapes",)),
]  # fmt: skip


def _phrase(rng, length: int | None = None) -> list[int]:
    return rng.sample(range(1, WORDS + 1), length or rng.randint(*LENGTHS))


def _new_phrase(rng, known: set, length: int | None = None) -> list[int]:
    """A phrase that is neither in the training set nor drawn before."""
    while True:
        phrase = _phrase(rng, length)
        if tuple(phrase) not in known:
            known.add(tuple(phrase))
            return phrase


def _pad(rows: list[list[int]], width: int) -> np.ndarray:
    array = np.full((len(rows), width), PAD, dtype=np.int64)
    for i, row in enumerate(rows):
        array[i, : len(row)] = row
    return array


def prepare(draw: Draw) -> Prepared:
    rng = draw.public
    targets = list(range(3, WORDS + 3))
    rng.shuffle(targets)
    mapping = dict(zip(range(1, WORDS + 1), targets, strict=True))

    def target(phrase: list[int]) -> list[int]:
        return [SOS, *(mapping[word] for word in phrase), EOS]

    train = [_phrase(rng) for _n in range(TRAIN_PAIRS)]
    known = {tuple(phrase) for phrase in train}
    test = [_new_phrase(rng, known) for _n in range(TEST_PHRASES)]
    # The padded batch holds a phrase of every length (the longest one has no padding).
    batch = [_new_phrase(rng, known, length) for length in range(LENGTHS[0], LENGTHS[1] + 1)]
    batch += [_new_phrase(rng, known) for _n in range(BATCH_PHRASES - len(batch))]
    rng.shuffle(batch)
    longest = LENGTHS[1]
    shape_rows = [_phrase(rng) for _n in range(3)]
    return Prepared(
        inputs={
            "seed": rng.randrange(2**31),
            "pad_id": PAD,
            "sos_id": SOS,
            "eos_id": EOS,
            "src_vocab": WORDS + 1,
            "tgt_vocab": WORDS + 3,
            "shape_src": _pad(shape_rows, longest),
            "shape_tgt": _pad([target(p) for p in shape_rows], longest + 2),
            "train_src": _pad(train, longest),
            "train_tgt": _pad([target(p) for p in train], longest + 2),
            "test_phrases": test,
            "batch_src": _pad(batch, longest + EXTRA_PADDING),
            "batch_tgt": _pad([target(p) for p in batch], longest + 2),
            "alone_src": batch,
            "alone_tgt": [target(p) for p in batch],
        },
        hidden={
            "translations": [[mapping[word] for word in phrase] for phrase in test],
            "batch_lengths": [len(phrase) for phrase in batch],
            "shape": {"n": 3, "s": longest, "t": longest + 2, "v": WORDS + 3},
            "batch_shape": (BATCH_PHRASES, longest + 2, longest + EXTRA_PADDING),
        },
    )


def _judge_translation(seen, hidden: dict) -> Verdict:
    want = hidden["translations"]
    if not isinstance(seen, dict) or not seen.get("list"):
        kind = seen.get("type") if isinstance(seen, dict) else None
        return Verdict.fail(_("translate must return a list of token ids, not {kind}."), kind=kind)
    got = seen.get("values")
    if not isinstance(got, list) or len(got) != len(want):
        return Verdict.fail(_("translate did not return one translation per phrase."))
    exact = sum(1 for g, w in zip(got, want, strict=True) if g == w)
    accuracy = exact / len(want)
    lengths = sum(1 for g, w in zip(got, want, strict=True) if len(g) != len(w))
    if accuracy < ACCURACY:
        return Verdict.fail(
            _("After the grader's training, {exact} of {total} new phrases ({accuracy:.0%}) were "
              "translated exactly; at least {need:.0%} are needed. {lengths} translations have "
              "the wrong length (they must hold neither SOS nor EOS)."),
            exact=exact, total=len(want), accuracy=accuracy, need=ACCURACY, lengths=lengths,
        ).with_margin(accuracy - ACCURACY)  # fmt: skip
    return Verdict.ok(
        _("{exact} of {total} new phrases ({accuracy:.0%}) translated exactly (needed "
          "{need:.0%})."),
        exact=exact, total=len(want), accuracy=accuracy, need=ACCURACY,
    ).with_margin(accuracy - ACCURACY)  # fmt: skip


def _shape_problem(seen, want: tuple[int, ...], what: str) -> Verdict | None:
    if not isinstance(seen, dict) or not seen.get("tensor"):
        kind = seen.get("type") if isinstance(seen, dict) else None
        return Verdict.fail(_("{what} must return a tensor, not {kind}."), what=what, kind=kind)
    if seen.get("shape") != list(want):
        return Verdict.fail(
            _("{what} returned shape {got}, expected {want}."),
            what=what, got=seen.get("shape"), want=list(want),
        )  # fmt: skip
    if not seen.get("floating"):
        return Verdict.fail(_("{what} must return floating-point values."), what=what)
    return None


def _judge_shapes(seen, hidden: dict) -> Verdict:
    size = hidden["shape"]
    checks = (
        ("forward", (size["n"], size["t"], size["v"]), "forward"),
        ("attention", (size["n"], size["t"], size["s"]), "attention_weights"),
    )
    for key, want, what in checks:
        problem = _shape_problem(seen.get(key), want, what)
        if problem is not None:
            return problem
    return Verdict.ok(_("forward returns (N, T, tgt_vocab), attention_weights (N, T, S)."))


def _judge_attention(seen, hidden: dict) -> Verdict:
    problem = _shape_problem(seen, hidden["batch_shape"], "attention_weights")
    if problem is not None:
        return problem
    weights = np.asarray(seen.get("values"), dtype=np.float64)
    if not np.isfinite(weights).all():
        return Verdict.fail(_("The attention weights hold NaN or infinity."))
    if weights.min() < -PAD_TOLERANCE:
        return Verdict.fail(_("Attention weights must not be negative (seen {value:.3g})."),
                            value=float(weights.min()))  # fmt: skip
    sums = weights.sum(axis=2)
    worst = float(np.max(np.abs(sums - 1.0)))
    if worst > ROW_SUM_TOLERANCE:
        return Verdict.fail(
            _("Every attention row must sum to 1; one sums to {value:.4f} (tolerance "
              "{tolerance:g})."),
            value=float(sums.flat[np.argmax(np.abs(sums - 1.0))]), tolerance=ROW_SUM_TOLERANCE,
        )  # fmt: skip
    lengths = np.asarray(hidden["batch_lengths"])
    padded = np.arange(weights.shape[2])[None, :] >= lengths[:, None]  # (N, S)
    on_padding = float(np.max(np.where(padded[:, None, :], weights, 0.0)))
    if on_padding > PAD_TOLERANCE:
        share = float(np.max(np.where(padded[:, None, :], weights, 0.0).sum(axis=2)))
        return Verdict.fail(
            _(
                "Attention falls on padded source positions: up to {share:.1%} of a row "
                "(it must be 0 there: mask the padding before the softmax)."
            ),
            share=share,
        )
    return Verdict.ok(
        _("Every row is a distribution over the phrase's own words; padding gets 0.")
    ).with_margin(ROW_SUM_TOLERANCE - worst)


def _judge_padding(seen, hidden: dict) -> Verdict:
    n, t, _s = hidden["batch_shape"]
    batched = seen.get("batched") if isinstance(seen, dict) else None
    alone = seen.get("alone") if isinstance(seen, dict) else None
    vocab = hidden["shape"]["v"]
    problem = _shape_problem(batched, (n, t, vocab), "forward")
    if problem is not None:
        return problem
    if not isinstance(alone, list) or len(alone) != n:
        return Verdict.fail(_("forward did not return outputs for every phrase alone."))
    values = np.asarray(batched["values"], dtype=np.float64)
    worst = 0.0
    for row, (length, single) in enumerate(zip(hidden["batch_lengths"], alone, strict=True)):
        problem = _shape_problem(single, (1, length + 2, vocab), "forward")
        if problem is not None:
            return problem
        own = np.asarray(single["values"], dtype=np.float64)[0, 1:]
        inside = values[row, 1 : length + 2]
        difference = float(np.max(np.abs(own - inside))) if own.size else 0.0
        if not np.isfinite(difference) or difference > OUTPUT_TOLERANCE:
            return Verdict.fail(
                _("A phrase of {length} words gives other outputs inside a padded batch than "
                  "alone (they differ by up to {difference:.3g}; tolerance {tolerance:g}): the "
                  "model reads the padding (attention over it, or the encoder's state after "
                  "it)."),
                length=length, difference=difference if np.isfinite(difference) else float("inf"),
                tolerance=OUTPUT_TOLERANCE,
            )  # fmt: skip
        worst = max(worst, difference)
    return Verdict.ok(
        _("Each phrase gives the same outputs alone and inside a padded batch (largest "
          "difference {difference:.1e})."),
        difference=worst,
    ).with_margin(OUTPUT_TOLERANCE - worst)  # fmt: skip


def judge(test: str, evidence, hidden: dict) -> Verdict:
    if test == "translation":
        return _judge_translation(evidence["translations"], hidden)
    if test == "attention_rows":
        return _judge_attention(evidence["attention"], hidden)
    if test == "padding_invariance":
        return _judge_padding(evidence["padding"], hidden)
    if test == "shapes":
        return _judge_shapes(evidence["shapes"], hidden)
    raise KeyError(test)
