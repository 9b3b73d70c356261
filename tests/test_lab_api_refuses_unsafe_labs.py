"""The catalogue refuses a lab whose grader could let a grade be claimed rather than earned
(labs/grader_api.py): a test without a kind, claims heavier than a fifth, core tests lighter
than half, an edge test that counts without a core test, a core test judged on the source
alone, the old contract that put the judge's samples in the sandbox. A new lab's author learns
it when the catalogue loads, with the folder and the rule named."""

import shutil
import textwrap
from pathlib import Path

import pytest

from labs.catalog import CatalogError, load_lab

REAL_LAB = Path(__file__).resolve().parent.parent / "labs" / "catalog" / "dl-07-iou"

HEADER = textwrap.dedent(
    """
    from django.utils.translation import gettext_lazy as _
    from labs.grader_api import CLAIM, CORE, EDGE, JOB, SOURCE, Prepared, Test, Verdict

    def prepare(draw):
        return Prepared(inputs={})

    def judge(test, evidence, hidden):
        return Verdict.ok()
    """
)

JUDGES = {
    "a test without a kind": (
        'TESTS = [Test("values", 3, _("Values"), uses=("out",))]',
        "kind",
    ),
    "claims heavier than a fifth": (
        'TESTS = [Test("values", 3, _("Values"), CORE, uses=("out",)),\n'
        '         Test("no_loops", 1, _("No loops"), CLAIM, uses=(SOURCE,))]',
        "at most a fifth",
    ),
    "core lighter than half": (
        'TESTS = [Test("values", 1, _("Values"), CORE, uses=("out",)),\n'
        '         Test("zeros", 2, _("Zeros"), EDGE, uses=("out",), requires=("values",))]',
        "at least half",
    ),
    "an edge test that requires nothing": (
        'TESTS = [Test("values", 9, _("Values"), CORE, uses=("out",)),\n'
        '         Test("zeros", 1, _("Zeros"), EDGE, uses=("out",))]',
        "requires",
    ),
    "an edge test that requires another edge test": (
        'TESTS = [Test("values", 9, _("Values"), CORE, uses=("out",)),\n'
        '         Test("a", 1, _("A"), EDGE, uses=("out",), requires=("values",)),\n'
        '         Test("b", 1, _("B"), EDGE, uses=("out",), requires=("a",))]',
        "non-core",
    ),
    "a core test judged on the source alone": (
        'TESTS = [Test("no_loops", 1, _("No loops"), CORE, uses=(SOURCE,))]',
        "observations",
    ),
    "a core test judged on the job's time alone": (
        'TESTS = [Test("fast", 1, _("Fast"), CORE, uses=(JOB,))]',
        "observations",
    ),
    "a test of the clean step without check.py": (
        'TESTS = [Test("file", 1, _("File"), CORE, uses=("check:outputs",))]',
        "check.py",
    ),
    "the old contract": (
        'TESTS = [Test("values", 1, _("Values"), CORE, uses=("out",))]\n'
        "def make_inputs(rng):\n    return {}",
        "make_inputs",
    ),
}


def lab_with_judge(tmp_path: Path, judge: str) -> Path:
    folder = tmp_path / "xx-01-unsafe"
    shutil.copytree(REAL_LAB, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "judge.py").write_text(HEADER + "\n" + judge + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("case", sorted(JUDGES))
def test_the_catalogue_refuses_a_lab_that_breaks_the_trust_rules(tmp_path, case):
    judge, words = JUDGES[case]
    folder = lab_with_judge(tmp_path, judge)
    with pytest.raises(CatalogError) as refusal:
        load_lab(folder.name, directory=tmp_path)
    assert "xx-01-unsafe" in str(refusal.value)
    assert words in str(refusal.value)


def test_a_lab_that_keeps_the_rules_loads(tmp_path):
    folder = lab_with_judge(
        tmp_path,
        'TESTS = [Test("values", 4, _("Values"), CORE, uses=("out",)),\n'
        '         Test("zeros", 1, _("Zeros"), EDGE, uses=("out",), requires=("values",)),\n'
        '         Test("fast", 1, _("Fast"), EDGE, uses=(JOB,), requires=("values",)),\n'
        '         Test("no_loops", 1, _("No loops"), CLAIM, uses=(SOURCE,))]',
    )
    lab = load_lab(folder.name, directory=tmp_path)
    assert [test.name for test in lab.tests] == ["values", "zeros", "fast", "no_loops"]
