"""The worked example in labs/grader_api.py's docstring is a lab that works: made into a lab
folder and graded through the real sandbox, a right solution scores 1, one that does nothing
scores 0, and one with a Python loop loses only its claim. So the documentation a new lab's
author starts from cannot drift away from the API."""

import textwrap

import pytest

import labs.grader_api
from grading.engine import grade_source
from labs.catalog import load_lab

pytestmark = pytest.mark.integration

RIGHT = "def double(x):\n    return x * 2\n"
LOOPING = "import torch\n\ndef double(x):\n    return torch.stack([v * 2 for v in x])\n"
NOTHING = "import torch\n\ndef double(x):\n    return torch.zeros_like(x)\n"


def example_sources() -> tuple[str, str]:
    """The literal block after "Worked example ...::": its indented lines."""
    doc = labs.grader_api.__doc__
    lines = doc.split("Worked example", 1)[1].split("::", 1)[1].splitlines()[1:]
    end = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith(" "))
    judge, probe = textwrap.dedent("\n".join(lines[:end])).split("# probe.py")
    return judge, "# probe.py" + probe


@pytest.fixture(scope="module")
def example_lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalog")
    folder = root / "xx-00-double"
    folder.mkdir()
    judge, probe = example_sources()
    (folder / "judge.py").write_text(judge, encoding="utf-8")
    (folder / "probe.py").write_text(probe, encoding="utf-8")
    (folder / "lab.toml").write_text(
        'title = "Double"\ncourse = "deep-learning"\nticket = 99\ndevice = "cpu"\n'
        "judge_version = 1\n[limits]\nwall_s = 10\n",
        encoding="utf-8",
    )
    (folder / "statement.md").write_text("# Double\n", encoding="utf-8")
    (folder / "solution.py").write_text("def double(x):\n    raise NotImplementedError\n")
    (folder / "reference.py").write_text(RIGHT, encoding="utf-8")
    return load_lab(folder.name, directory=root)


@pytest.mark.parametrize(
    ("source", "score", "failed"),
    [(RIGHT, 1.0, set()), (LOOPING, 0.8, {"no_loops"}),
     (NOTHING, 0.0, {"doubles", "zeros", "no_loops"})],
    ids=["right", "looping", "nothing"],
)  # fmt: skip
def test_the_documented_example_grades_as_documented(example_lab, source, score, failed):
    result = grade_source(example_lab, source, seed=3)
    assert {test.name for test in result.tests if not test.passed} == failed
    assert result.score == pytest.approx(score)
