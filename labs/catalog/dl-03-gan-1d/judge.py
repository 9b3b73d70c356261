"""The trusted half of the 1-D GAN lab (contract: labs/grader_api.py).

Each job picks two normal targets (one far on one side of zero with a wide spread, one on the
other side with a narrow spread) and seeds. The learner's train_gan trains on samples of each
target (the probe's sample_real) for STEPS steps; the probe samples the returned generator as
G(torch.randn(n, latent_dim)) and this judge computes the samples' mean and standard
deviation and compares them with the target's, in units of the target's deviation.

Margins (manage.py lab_margins, 10+ draws, in target deviations): see the statement and the
lab's report; the reference stays within ~0.1 of 0.25.
"""

from __future__ import annotations

import ast

import numpy as np
from django.utils.translation import gettext_lazy as _

from labs.grader_api import CLAIM, CORE, EDGE, SOURCE, Draw, Prepared, Test, Verdict
from labs.interface import Class, Function

# How the probe calls the learner's code: the source is checked against it outside the sandbox.
INTERFACE = [
    Class("Generator", methods={"forward": ("z",)}),
    Class("Discriminator", methods={"forward": ("x",)}),
    Function("train_gan", ("sample_real",), keywords=("steps", "latent_dim", "device")),
]

LATENT_DIM = 10
STEPS = 300
SAMPLES = 20_000
# Mean and standard deviation of the samples within this many target deviations. The
# sampling error alone is ~0.007 deviations for 20 000 samples.
TOLERANCE = 0.25

TESTS = [
    Test("wide_target", 3, _("Wide target"), CORE, uses=("target_0",)),
    Test("narrow_target", 3, _("Narrow target"), CORE, uses=("target_1",)),
    Test("shapes", 1, _("Shapes"), EDGE, uses=("shapes",),
         requires=("wide_target", "narrow_target")),
    Test("adversarial", 1, _("Adversarial training"), CLAIM,
         uses=(SOURCE, "target_0", "target_1")),
]  # fmt: skip


def prepare(draw: Draw) -> Prepared:
    rng = draw.public
    side = rng.choice([-1.0, 1.0])
    targets = [
        {"mean": round(side * rng.uniform(2.5, 4.5), 3), "std": round(rng.uniform(0.8, 1.5), 3)},
        {"mean": round(-side * rng.uniform(1.0, 3.0), 3), "std": round(rng.uniform(0.3, 0.7), 3)},
    ]
    for target in targets:
        target["data_seed"] = rng.randrange(2**31)
        target["noise_seed"] = rng.randrange(2**31)
    return Prepared(
        inputs={
            "targets": targets,
            "seed": rng.randrange(2**31),
            "steps": STEPS,
            "latent_dim": LATENT_DIM,
            "samples": SAMPLES,
        },
        hidden={"targets": targets},
    )


def _judge_target(seen, target: dict) -> Verdict:
    if not isinstance(seen, dict) or seen.get("samples") is None:
        kind = seen.get("shape") if isinstance(seen, dict) else None
        return Verdict.fail(
            _("The generator returned by train_gan did not return a tensor ({kind})."), kind=kind
        )
    if seen.get("shape") != [SAMPLES, 1]:
        return Verdict.fail(
            _("For noise of shape ({n}, {latent}) the generator returned shape {got}, expected "
              "({n}, 1)."),
            n=SAMPLES, latent=LATENT_DIM, got=seen.get("shape"),
        )  # fmt: skip
    samples = np.asarray(seen["samples"], dtype=np.float64).ravel()
    if samples.size != SAMPLES or not np.isfinite(samples).all():
        return Verdict.fail(_("The generator's samples hold NaN or infinite values."))
    mean, std = float(samples.mean()), float(samples.std())
    off_mean = abs(mean - target["mean"]) / target["std"]
    off_std = abs(std - target["std"]) / target["std"]
    worst = max(off_mean, off_std)
    params = {"mean": mean, "std": std, "want_mean": target["mean"], "want_std": target["std"],
              "tolerance": TOLERANCE}  # fmt: skip
    if worst > TOLERANCE:
        return Verdict.fail(
            _("Target N({want_mean}, {want_std}²): the samples have mean {mean:.3f} and standard "
              "deviation {std:.3f}; both must be within {tolerance} target deviations of the "
              "target's."),
            **params,
        )  # fmt: skip
    return Verdict.ok(
        _("Target N({want_mean}, {want_std}²): mean {mean:.3f}, standard deviation {std:.3f}."),
        **params,
    ).with_margin(TOLERANCE - worst)


def _judge_shapes(evidence) -> Verdict:
    seen = evidence["shapes"]
    if not isinstance(seen, dict):
        return Verdict.fail(_("The shapes could not be read."))
    if seen.get("generator") != [7, 1]:
        return Verdict.fail(
            _("Generator() on noise of shape (7, {latent}) returned {got}, expected (7, 1)."),
            latent=LATENT_DIM, got=seen.get("generator"),
        )  # fmt: skip
    if seen.get("discriminator") != [7, 1]:
        return Verdict.fail(
            _("Discriminator() on samples of shape (7, 1) returned {got}, expected (7, 1)."),
            got=seen.get("discriminator"),
        )
    return Verdict.ok(_("Generator: (N, 10) -> (N, 1); Discriminator: (N, 1) -> (N, 1)."))


def _judge_adversarial(evidence) -> Verdict:
    source = evidence.source
    if source.tree is None:
        return Verdict.fail(_("The solution has a syntax error."))
    reached, _dynamic = source.reachable("train_gan")
    names = {
        node.id
        for _label, function in reached
        for node in ast.walk(function)
        if isinstance(node, ast.Name)
    }
    if "Discriminator" not in names:
        return Verdict.fail(_("train_gan does not create a Discriminator."))
    for index in (0, 1):
        seen = evidence[f"target_{index}"]
        calls = seen.get("calls") if isinstance(seen, dict) else None
        calls = calls if isinstance(calls, dict) else {}
        runs = calls.get("Discriminator")
        if not isinstance(runs, int) or runs < STEPS:
            return Verdict.fail(
                _("During train_gan(steps={steps}) the discriminator ran {runs} times; an "
                  "adversarial training step runs it at least once."),
                steps=STEPS, runs=runs,
            )  # fmt: skip
    return Verdict.ok(_("train_gan trains the generator against a Discriminator."))


def judge(test: str, evidence, hidden) -> Verdict:
    if test == "wide_target":
        return _judge_target(evidence["target_0"], hidden["targets"][0])
    if test == "narrow_target":
        return _judge_target(evidence["target_1"], hidden["targets"][1])
    if test == "shapes":
        return _judge_shapes(evidence)
    if test == "adversarial":
        return _judge_adversarial(evidence)
    raise KeyError(test)
