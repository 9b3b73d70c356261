"""The trusted half of the Transformer encoder block lab (contract: labs/grader_api.py).

The learner's block is built with a per-job seed and run on batches drawn per job. In the
batch without a mask some rows are copies of others, some are other rows with their positions
permuted, some are other rows with one token changed; in the batch with a padding mask some
rows differ from others only at padded positions, one only at one unpadded position, one is
another row permuted together with its mask. Which row is which stays here: the judge reads
the outputs and checks what each relation implies (copies give equal outputs in eval mode, a
changed token changes the other positions' outputs: attention mixes positions; a permutation
permutes the outputs; padded positions change nothing). Then: with every projection zeroed
the output must still follow the input (residual paths), gradients of a projection of the
output must reach every parameter, and outputs must have the input's shape.
"""

from __future__ import annotations

import ast

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, EDGE, SOURCE, Draw, Prepared, Test, Verdict
from labs.interface import Class

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Class(
        "TransformerEncoderBlock",
        init_keywords=("embed_dim", "num_heads", "ff_dim", "dropout"),
        methods={"forward": ("x",)},
    )
]

EMBED = 64
PLAIN_LENGTH, MASKED_LENGTH = 10, 12
# Outputs are LayerNorm-scaled (~1 per feature); float32 attention in another order of the
# same sums differs by ~1e-6.
EQUAL_TOLERANCE = 1e-4
# A changed token must move every other position's output by at least this much (largest
# feature change); the reference moves them by ~0.05 or more (lab_margins).
MIX_MIN = 1e-3
# Per token, the correlation between output and input features with every projection zeroed.
FOLLOW_MIN = 0.99

TESTS = [
    Test("context", 2, _("Attention mixes positions"), CORE, uses=("plain",)),
    Test("equivariance", 2, _("Permutation equivariance"), CORE, uses=("plain",)),
    Test("padding", 2, _("Padding mask"), CORE, uses=("masked",)),
    Test("shapes", 1, _("Output shape"), EDGE, uses=("shapes",), requires=("context",)),
    Test("residual", 2, _("Residual connections"), EDGE, uses=("residual",),
         requires=("context",)),
    Test("gradients", 1, _("Gradients reach every parameter"), EDGE, uses=("gradients",),
         requires=("context", "equivariance", "padding")),
    Test("modules", 1, _("MultiheadAttention and LayerNorm"), CLAIM, uses=(SOURCE, "modules")),
]  # fmt: skip


def _plain_batch(rng: np.random.Generator, shuffle):
    """Six base rows, two copies, two permuted rows, two rows with one token changed; rows in
    random order. Returns x and, per row, (kind, row of its base, permutation or position)."""
    bases = rng.normal(size=(6, PLAIN_LENGTH, EMBED))
    rows = [("base", index, None) for index in range(6)]
    rows += [("copy", 0, None), ("copy", 1, None)]
    rows += [("perm", index, rng.permutation(PLAIN_LENGTH)) for index in (2, 3)]
    rows += [("changed", index, int(rng.integers(PLAIN_LENGTH))) for index in (4, 5)]
    order = list(range(len(rows)))
    shuffle(order)
    rows = [rows[index] for index in order]
    where = {base: position for position, (kind, base, _e) in enumerate(rows) if kind == "base"}
    x = np.empty((len(rows), PLAIN_LENGTH, EMBED))
    relations = []
    for position, (kind, base, extra) in enumerate(rows):
        x[position] = bases[base]
        if kind == "perm":
            x[position] = bases[base][extra]
        elif kind == "changed":
            x[position, extra] = rng.normal(size=EMBED)
        relations.append((kind, where[base], extra))
    return x.astype(np.float32), relations


def _masked_batch(rng: np.random.Generator, shuffle):
    """Five base rows of different lengths (one unpadded), two rows that differ from a base
    only at its padded positions, one that differs at one unpadded position, one that is a
    base permuted together with its mask."""
    lengths = [int(rng.integers(4, MASKED_LENGTH)) for _n in range(4)] + [MASKED_LENGTH]
    bases = rng.normal(size=(5, MASKED_LENGTH, EMBED))
    padding = np.zeros((5, MASKED_LENGTH), dtype=bool)
    for index, length in enumerate(lengths):
        padding[index, length:] = True
        bases[index, length:] = rng.normal(0, 3, size=(MASKED_LENGTH - length, EMBED))
    rows = [("base", index, None) for index in range(5)]
    rows += [("garbage", index, None) for index in (0, 1)]
    rows += [("changed", 2, int(rng.integers(lengths[2])))]
    rows += [("perm", 3, rng.permutation(MASKED_LENGTH))]
    order = list(range(len(rows)))
    shuffle(order)
    rows = [rows[index] for index in order]
    where = {base: position for position, (kind, base, _e) in enumerate(rows) if kind == "base"}
    x = np.empty((len(rows), MASKED_LENGTH, EMBED))
    mask = np.empty((len(rows), MASKED_LENGTH), dtype=bool)
    relations = []
    for position, (kind, base, extra) in enumerate(rows):
        x[position], mask[position] = bases[base], padding[base]
        if kind == "garbage":
            padded = padding[base]
            x[position, padded] = rng.normal(0, 3, size=(int(padded.sum()), EMBED))
        elif kind == "changed":
            x[position, extra] = rng.normal(size=EMBED)
        elif kind == "perm":
            x[position], mask[position] = bases[base][extra], padding[base][extra]
        relations.append((kind, where[base], extra))
    return x.astype(np.float32), mask, relations


SHAPES = [
    {"config": {}, "shape": [1, 1, EMBED]},
    {"config": {}, "shape": [3, 7, EMBED]},
    {"config": {"embed_dim": 48, "num_heads": 6, "ff_dim": 96, "dropout": 0.0},
     "shape": [2, 5, 48]},
]  # fmt: skip


def prepare(draw: Draw) -> Prepared:
    rng, shuffle = draw.public_np, draw.public.shuffle
    plain, plain_relations = _plain_batch(rng, shuffle)
    masked, padding, masked_relations = _masked_batch(rng, shuffle)
    # Tokens of different offsets and scales: zeroed projections leave x or LayerNorm(x).
    residual = rng.normal(size=(3, 8, EMBED)) * rng.uniform(0.5, 3, size=(3, 8, 1))
    residual += rng.uniform(-2, 2, size=(3, 8, 1))
    gradient_padding = np.zeros((4, 9), dtype=bool)
    for row, length in enumerate((9, 7, 5, 8)):
        gradient_padding[row, length:] = True
    return Prepared(
        inputs={
            "seed": draw.public.randrange(2**31),
            "plain": plain,
            "masked": masked,
            "masked_padding": padding.astype(np.uint8),
            "residual": residual.astype(np.float32),
            "gradient_x": rng.normal(size=(4, 9, EMBED)).astype(np.float32),
            "gradient_padding": gradient_padding.astype(np.uint8),
            "projection": rng.normal(size=(4, 9, EMBED)).astype(np.float32),
            "shapes": SHAPES,
        },
        hidden={
            "plain": (plain, plain_relations),
            "masked": (masked, padding, masked_relations),
            "residual": residual.astype(np.float32).astype(np.float64),
        },
    )


# --- reading the evidence -----------------------------------------------------------------


def _values(seen, shape):
    if not isinstance(seen, dict) or not seen.get("tensor"):
        return Verdict.fail(
            _("forward must return a tensor, not {type}."),
            type=seen.get("type") if isinstance(seen, dict) else None,
        )
    values = np.asarray(seen.get("values"), dtype=np.float64)
    if values.shape != tuple(shape):
        return Verdict.fail(
            _("For an input of shape {want} the output has shape {got}; expected the same "
              "shape (N, S, E)."),
            want=tuple(shape), got=tuple(values.shape),
        )  # fmt: skip
    return values


def _largest(a: np.ndarray, b: np.ndarray) -> float:
    difference = np.abs(a - b)
    return float(np.max(difference)) if np.isfinite(difference).all() else float("inf")


def _mixing(out: np.ndarray, relations, padding=None) -> Verdict:
    """Rows with one token changed must differ from their base at every other (unpadded)
    position."""
    smallest = float("inf")
    for row, (kind, base, position) in enumerate(relations):
        if kind != "changed":
            continue
        others = np.ones(out.shape[1], dtype=bool)
        others[position] = False
        if padding is not None:
            others &= ~padding[row]
        change = np.max(np.abs(out[row, others] - out[base, others]), axis=1)
        smallest = min(smallest, float(np.min(change)))
        if not np.all(change > MIX_MIN):
            return Verdict.fail(
                _("Changing one token did not change the outputs at the other positions (the "
                  "smallest change is {change:.1e}, expected more than {least:g}): each "
                  "output must depend on the whole sequence through attention, and sequences "
                  "in a batch must not affect each other (batch_first=True)."),
                change=float(np.min(change)), least=MIX_MIN,
            )  # fmt: skip
    return Verdict.ok(_("Attention mixes positions.")).with_margin(smallest - MIX_MIN)


def _judge_context(evidence, hidden) -> Verdict:
    x, relations = hidden["plain"]
    out = _values(evidence["plain"], x.shape)
    if isinstance(out, Verdict):
        return out
    if not np.isfinite(out).all():
        return Verdict.fail(_("The output holds NaN or infinite values."))
    for row, (kind, base, _extra) in enumerate(relations):
        if kind == "copy" and _largest(out[row], out[base]) > EQUAL_TOLERANCE:
            return Verdict.fail(
                _("Two equal sequences in one batch gave outputs that differ by {difference:.1e}"
                  " in eval mode: the block must be deterministic in eval mode (dropout off) "
                  "and process each sequence on its own."),
                difference=_largest(out[row], out[base]),
            )  # fmt: skip
    return _mixing(out, relations)


def _judge_equivariance(evidence, hidden) -> Verdict:
    x, relations = hidden["plain"]
    out = _values(evidence["plain"], x.shape)
    if isinstance(out, Verdict):
        return out
    worst = 0.0
    for row, (kind, base, permutation) in enumerate(relations):
        if kind != "perm":
            continue
        difference = _largest(out[row], out[base][permutation])
        worst = max(worst, difference)
        if difference > EQUAL_TOLERANCE:
            return Verdict.fail(
                _("A sequence with its positions permuted gave outputs that are not the same "
                  "permutation of the original outputs (largest difference {difference:.1e}, "
                  "tolerance {tolerance:g}); without positional encoding the block must be "
                  "permutation-equivariant."),
                difference=difference, tolerance=EQUAL_TOLERANCE,
            )  # fmt: skip
    mixing = _mixing(out, relations)
    if not mixing.passed:
        return Verdict.fail(
            _(
                "The outputs are permuted with the inputs, but only because each position is "
                "processed on its own: the block does not mix positions (see «{title}»)."
            ),
            title=TESTS[0].title,
        )
    return Verdict.ok(
        _("Permuting the positions permutes the outputs (largest difference {difference:.1e})."),
        difference=worst,
    ).with_margin(EQUAL_TOLERANCE - worst)


def _judge_padding(evidence, hidden) -> Verdict:
    x, padding, relations = hidden["masked"]
    out = _values(evidence["masked"], x.shape)
    if isinstance(out, Verdict):
        return out
    if not np.isfinite(out[~padding]).all():
        return Verdict.fail(_("The output holds NaN or infinite values at unpadded positions."))
    worst = 0.0
    for row, (kind, base, permutation) in enumerate(relations):
        kept = ~padding[row]
        if kind == "garbage":
            difference = _largest(out[row, kept], out[base, kept])
            worst = max(worst, difference)
            if difference > EQUAL_TOLERANCE:
                return Verdict.fail(
                    _("Two sequences that differ only at padded positions (key_padding_mask "
                      "True) gave different outputs at the unpadded positions (by "
                      "{difference:.1e}): padded positions must not be attended to. In "
                      "key_padding_mask True marks padding, as nn.MultiheadAttention expects."),
                    difference=difference,
                )  # fmt: skip
        elif kind == "perm":
            difference = _largest(out[row, kept], out[base][permutation][kept])
            worst = max(worst, difference)
            if difference > EQUAL_TOLERANCE:
                return Verdict.fail(
                    _("A padded sequence permuted together with its mask gave outputs that are "
                      "not the permuted original outputs (largest difference {difference:.1e})."),
                    difference=difference,
                )  # fmt: skip
    mixing = _mixing(out, relations, padding)
    if not mixing.passed:
        return Verdict.fail(
            _(
                "With a padding mask, changing an unpadded token must change the other unpadded "
                "outputs: {detail}"
            ),
            detail=mixing.message,
        )
    return Verdict.ok(
        _("Padded positions change nothing; unpadded ones are attended to.")
    ).with_margin(EQUAL_TOLERANCE - worst)


def _judge_shapes(evidence) -> Verdict:
    seen = evidence["shapes"]
    if not isinstance(seen, list) or len(seen) != len(SHAPES):
        return Verdict.fail(_("The shapes could not be read."))
    for got, case in zip(seen, SHAPES, strict=True):
        if got != case["shape"]:
            return Verdict.fail(
                _("TransformerEncoderBlock({config}) on an input of shape {want} returned shape "
                  "{got}."),
                config=", ".join(f"{k}={v}" for k, v in case["config"].items()),
                want=tuple(case["shape"]), got=tuple(got) if isinstance(got, list) else got,
            )  # fmt: skip
    return Verdict.ok(_("The output has the input's shape, also for N=1, S=1 and embed_dim=48."))


def _judge_residual(evidence, hidden) -> Verdict:
    x = hidden["residual"]
    out = _values(evidence["residual"], x.shape)
    if isinstance(out, Verdict):
        return out
    centred_x = x - x.mean(axis=2, keepdims=True)
    centred_out = out - out.mean(axis=2, keepdims=True)
    norms = np.linalg.norm(centred_x, axis=2) * np.linalg.norm(centred_out, axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.where(norms > 0, (centred_x * centred_out).sum(axis=2) / norms, 0.0)
    correlation = np.nan_to_num(correlation, nan=0.0)
    lowest = float(correlation.min())
    if lowest < FOLLOW_MIN:
        return Verdict.fail(
            _("With every nn.Linear and nn.MultiheadAttention weight and bias set to zero the "
              "output no longer follows the input (the lowest correlation of a token's output "
              "with its input is {lowest:.3f}, expected at least {least}): the residual "
              "connections x + sublayer(x) are missing."),
            lowest=lowest, least=FOLLOW_MIN,
        )  # fmt: skip
    return Verdict.ok(
        _("With every projection zeroed the output still follows the input (correlation at "
          "least {lowest:.3f})."),
        lowest=lowest,
    ).with_margin(lowest - FOLLOW_MIN)  # fmt: skip


def _judge_gradients(evidence) -> Verdict:
    seen = evidence["gradients"]
    if not isinstance(seen, list) or not seen:
        return Verdict.fail(_("The block has no parameters."))
    missing = [p.get("name") for p in seen if isinstance(p, dict) and p.get("grad") is None]
    if missing:
        return Verdict.fail(
            _(
                "No gradient reached {names}: a layer is not used in forward, or its output is "
                "detached."
            ),
            names=", ".join(str(name) for name in missing[:5]),
        )
    dead = [
        p.get("name") for p in seen
        if isinstance(p, dict) and not (isinstance(p.get("grad"), float) and p["grad"] > 0)
    ]  # fmt: skip
    if dead:
        return Verdict.fail(
            _("The gradient of {names} is zero or not finite."),
            names=", ".join(str(name) for name in dead[:5]),
        )
    return Verdict.ok(_("Gradients reach all {count} parameters."), count=len(seen))


def _judge_modules(evidence) -> Verdict:
    source = evidence.source
    if source.tree is None:
        return Verdict.fail(_("The solution has a syntax error."))
    named = set()
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Attribute):
            named.add(node.attr)
        elif isinstance(node, ast.Name):
            named.add(node.id)
        elif isinstance(node, ast.ImportFrom):
            named.update(alias.name for alias in node.names)
    seen = evidence["modules"]
    counts = seen if isinstance(seen, dict) else {}
    for name, key in (("MultiheadAttention", "attention"), ("LayerNorm", "norm")):
        if name not in named or not (isinstance(counts.get(key), int) and counts[key] > 0):
            return Verdict.fail(_("The block must use nn.{name}."), name=name)
    return Verdict.ok(_("The block uses nn.MultiheadAttention and nn.LayerNorm."))


def judge(test: str, evidence, hidden) -> Verdict:
    if test == "context":
        return _judge_context(evidence, hidden)
    if test == "equivariance":
        return _judge_equivariance(evidence, hidden)
    if test == "padding":
        return _judge_padding(evidence, hidden)
    if test == "shapes":
        return _judge_shapes(evidence)
    if test == "residual":
        return _judge_residual(evidence, hidden)
    if test == "gradients":
        return _judge_gradients(evidence)
    if test == "modules":
        return _judge_modules(evidence)
    raise KeyError(test)
