"""What a lab's trusted judge (labs/catalog/<slug>/judge.py) defines and returns.

A judge module defines:
- ``TESTS``: a list of ``Test`` (name, weight, title shown to the learner), in display order;
- ``make_inputs(rng) -> dict``: JSON-serialisable inputs for the probe, drawn from ``rng``;
  they enter the sandbox, so they hold questions, never answers;
- ``judge(name, observation, inputs) -> Verdict`` for each test the probe observes, where
  ``observation`` is the value the probe recorded (the judge computes what was expected);
- optionally ``static_checks(source, tree) -> dict[str, Verdict]`` for tests decided on the
  submission's source outside the sandbox (e.g. "no Python loop over pairs").
Messages are in Russian and say what was expected and what was seen, never hidden data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Test:
    name: str
    weight: float
    title: str


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str

    @classmethod
    def ok(cls, message: str = "Верно.") -> Verdict:
        return cls(True, message)

    @classmethod
    def fail(cls, message: str) -> Verdict:
        return cls(False, message)
