"""The import graph points one way (pyproject.toml's [tool.importlinter] contracts): grading
-> labs -> courses, no cycle between the modules of grading or of labs (lazy imports inside
functions count), and inside grading a job is followed from the view to the judge without
going back up. The same check runs as `lint-imports`."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent


def lint_imports(config: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--config", str(config), "--no-cache"],
        cwd=cwd, env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_projects_imports_keep_every_contract():
    result = lint_imports(PROJECT_DIR / "pyproject.toml", PROJECT_DIR)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
    for contract in (
        "grading -> labs -> courses",
        "No import cycle",
        "Inside grading",
        "The web process imports no lab environment",
    ):
        assert contract in result.stdout


@pytest.mark.parametrize(
    ("files", "broken"),
    [
        # The circle this project had: a lazy import inside a function closes it.
        (
            {
                "jobs.py": "from shop import services\n",
                "services.py": "def enqueue():\n    from shop.tasks import run\n",
                "tasks.py": "from shop.jobs import x\n",
            },
            "No import cycle",
        ),
        ({"views.py": "import shop.jobs\n", "jobs.py": "from shop import views\n"}, "cycle"),
    ],
)
def test_the_check_fails_on_a_cycle(tmp_path, files, broken):
    """The contract type the project relies on does catch a cycle, lazy imports included."""
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in files.items():
        (package / name).write_text(text)
    config = tmp_path / "contracts.toml"
    config.write_text(
        textwrap.dedent(
            """
            [tool.importlinter]
            root_packages = ["shop"]

            [[tool.importlinter.contracts]]
            name = "No import cycle in shop"
            type = "acyclic_siblings"
            ancestors = ["shop"]
            """
        )
    )
    result = lint_imports(config, tmp_path)
    assert result.returncode == 1, result.stdout
    assert "BROKEN" in result.stdout and broken.lower() in result.stdout.lower()


def test_labs_imports_nothing_of_grading():
    """Belt and braces for the rule a reader relies on most, read straight from the source."""
    import ast

    offenders = []
    for path in (PROJECT_DIR / "labs").rglob("*.py"):
        if "catalog" in path.relative_to(PROJECT_DIR / "labs").parts[:1]:
            continue  # lab folders: judges and probes, checked by the catalogue's own tests
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "grading"]
    assert offenders == []
