"""User-facing text lives in the catalog (locale/ru/LC_MESSAGES/django.po) with an English
msgid; Python code holds no Cyrillic string literal, so English mode can never show Russian.
Russian-only content is the exception, each place with its reason below. Docstrings and
comments are not literals and may quote the seeds."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CYRILLIC = re.compile(r"[\u0400-\u04FF]")

# path (a folder ends with "/") -> why its Cyrillic literals are not UI text.
EXEMPT: dict[str, str] = {
    "tests/": "tests check the Russian pages that learners see (the site's default language)",
    "seeds/parsers/": "the seeds' own Russian headings and markers ('Ответ:', 'Кейс №') that "
    "the parsers recognise",
    "seeds/tagging.py": "Russian words of the seeds matched by the topic rules",
    "seeds/duplicates.py": "Russian stop words for comparing the seeds' questions",
    "seeds/rows.py": "Cyrillic-to-Latin table for course slugs made from Russian titles",
    "courses/search.py": "Russian letters the search folds (ё to е) and matches as words",
    "courses/queries.py": "the seeds' title of a case's task section ('задача'), seed vocabulary",
    "courses/models.py": "Outcome.category stores 'знать'/'уметь' as the seeds spell them",
    "bench/": "benchmarks send what learners type in Russian: searches, answers",
    "labs/labkit/messages.py": "messages of labkit inside the sandbox, where there is no "
    "Django and no catalog (learner-facing, Russian only)",
}
SKIPPED_DIRS = {".venv", "node_modules", "var", ".git"}


def python_files() -> list[Path]:
    return sorted(
        path
        for path in PROJECT.rglob("*.py")
        if not SKIPPED_DIRS & set(path.relative_to(PROJECT).parts[:-1])
        and "migrations" not in path.parts  # generated from the models, frozen history
    )


def exempt(relative: str) -> bool:
    return any(
        relative.startswith(prefix) if prefix.endswith("/") else relative == prefix
        for prefix in EXEMPT
    )


def docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def cyrillic_literals(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    skip = docstrings(tree)
    return [
        f"{_name(path)}:{node.lineno}: {node.value[:60]!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and CYRILLIC.search(node.value)
    ]


def _name(path: Path) -> str:
    return str(path.relative_to(PROJECT)) if path.is_relative_to(PROJECT) else path.name


def test_no_cyrillic_string_literal_outside_the_catalog():
    offenders = [
        literal
        for path in python_files()
        if not exempt(str(path.relative_to(PROJECT)))
        for literal in cyrillic_literals(path)
    ]
    assert not offenders, "move these into gettext with an English msgid:\n" + "\n".join(offenders)


def test_the_check_finds_a_cyrillic_literal_and_ignores_docstrings_and_comments(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Модуль."""\n'
        "# комментарий\n"
        "def f():\n"
        '    """Функция."""\n'
        '    return "Проверка завершена." + f"{1} попыток"\n',
        encoding="utf-8",
    )
    found = sorted(line.split(": ", 1)[1] for line in cyrillic_literals(sample))
    assert found == ["' попыток'", "'Проверка завершена.'"]


def test_every_exemption_still_has_something_to_exempt():
    # An exemption nobody needs any more is removed, so the list stays short and honest.
    for prefix in EXEMPT:
        paths = [
            p
            for p in python_files() + sorted(PROJECT.glob("tests/*.py"))
            if (
                str(p.relative_to(PROJECT)).startswith(prefix)
                if prefix.endswith("/")
                else str(p.relative_to(PROJECT)) == prefix
            )
        ]
        assert any(cyrillic_literals(p) for p in paths), f"{prefix} has no Cyrillic literal"
