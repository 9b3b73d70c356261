"""A submission that does nothing scores exactly 0 on every lab (shared/specs/labs.md, trust
rule 5), through the real sandbox and judge. The do-nothing versions are made from each lab's
starter: every function's body replaced by one that raises, returns None, a constant or its
first argument. A new lab gets these checks without writing them."""

import ast
from pathlib import Path

import pytest

from grading.engine import grade_source
from labs.catalog import load_lab

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("generated_datasets")]

CATALOG = Path(__file__).resolve().parent.parent / "labs" / "catalog"
LABS = [folder.name for folder in sorted(CATALOG.iterdir()) if (folder / "lab.toml").exists()]
BODIES = {
    "raises": "raise NotImplementedError",
    "returns_none": "return None",
    "returns_zero": "return 0.0",
    "returns_one": "return 1.0",
    "returns_first_argument": "return {first}",
}


def do_nothing_version(starter: str, body: str) -> str:
    """The starter with the body of every function (methods too) replaced by ``body``."""
    tree = ast.parse(starter)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = [a.arg for a in node.args.posonlyargs + node.args.args]
            first = arguments[0] if arguments else "None"
            node.body = ast.parse(body.format(first=first)).body
    return ast.unparse(tree)


def test_the_versions_replace_every_function_body():
    version = do_nothing_version("def f(a, b):\n    return a + b\n", BODIES["returns_one"])
    assert "a + b" not in version
    assert "return 1.0" in version


@pytest.mark.parametrize("slug", LABS)
@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a_do_nothing_submission_scores_exactly_zero(slug, kind):
    lab = load_lab(slug)
    source = do_nothing_version(lab.starter_code, BODIES[kind])
    result = grade_source(lab, source, seed=11)
    passed = {test.name: test.message for test in result.tests if test.passed}
    assert passed == {}
    assert result.score == 0
