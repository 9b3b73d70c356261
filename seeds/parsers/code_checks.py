"""Checks of reference code that a grader must know about: it downloads data or weights
(``download=True``, ``fetch_openml``, ``from_pretrained``), it calls an API that no longer exists
(``load_boston``), or it uses names it never imports or defines (``np`` without ``import numpy as
np``). Standard library only; the code is read, never run. Also the values that comments in
the code state for what it prints ("# ~0.1429"), which seeds/reference_runs.py checks by running.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass

from seeds.parsers.messages import gettext_noop
from seeds.parsers.records import ReferenceCode

_NETWORK_PATTERNS = (
    (re.compile(r"download\s*=\s*True"), gettext_noop("downloads a data set (download=True)")),
    (re.compile(r"\bfetch_openml\b"), gettext_noop("downloads a data set (fetch_openml)")),
    (
        re.compile(r"\.from_pretrained\s*\("),
        gettext_noop("downloads pretrained weights (from_pretrained)"),
    ),
)
_REMOVED_API_PATTERNS = (
    (
        re.compile(r"\bload_boston\b"),
        gettext_noop("uses sklearn.datasets.load_boston, removed in scikit-learn 1.2"),
    ),
)


def code_notes(code: ReferenceCode) -> tuple[list[str], list[str], list[str]]:
    """What a grader must know about reference code: (network needs, removed APIs, names the
    code uses but never defines or imports)."""
    text = code.restored_text
    network = [message for pattern, message in _NETWORK_PATTERNS if pattern.search(text)]
    removed = [message for pattern, message in _REMOVED_API_PATTERNS if pattern.search(text)]
    undefined = undefined_names(text) if code.restored else []
    return network, removed, undefined


def undefined_names(source: str) -> list[str]:
    """Names a program loads but never binds anywhere (nor are they builtins)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    bound: set[str] = set(dir(builtins))
    loaded: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loaded.append(node.id)
            else:
                bound.add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    seen: list[str] = []
    for name in loaded:
        if name not in bound and name not in seen:
            seen.append(name)
    return seen


# "# ~0.1429", "# 0.14", "# ожидается 0.14", "# expected: 0.14" on a print's line or after it.
_STATED = re.compile(
    r"#\s*(?P<approx>~|≈|примерно|около|ожидается|expected)?\s*:?\s*"
    r"(?P<value>[-+]?\d+(?:\.\d+)?)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StatedValue:
    """A value a comment states for what a ``print`` shows ("# ~0.1429")."""

    print_line: int  # restored line of the print
    value: float
    text: str
    approximate: bool


def stated_values(code: str) -> list[StatedValue]:
    """Values that a comment states for a print: on the print's own line or the line after."""
    lines = code.splitlines()
    stated = []
    for index, line in enumerate(lines):
        if "print(" not in line:
            continue
        candidates = [line.split("#", 1)[1] if "#" in line else ""]
        if index + 1 < len(lines) and lines[index + 1].strip().startswith("#"):
            candidates.append(lines[index + 1].strip()[1:])
        for comment in candidates:
            match = _STATED.search("#" + comment) if comment else None
            if match:
                stated.append(
                    StatedValue(
                        print_line=index + 1,
                        value=float(match.group("value")),
                        text=match.group(0).lstrip("# ").strip(),
                        approximate=bool(match.group("approx")),
                    )
                )
                break
    return stated
