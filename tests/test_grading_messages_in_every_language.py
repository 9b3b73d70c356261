"""Every message of the engine, the grader API and the labs' judges is translated: a result
carries each verdict in every language of the site (``messages``, ``titles``), whatever
language was active while it was graded, with the site's language (Russian) in the plain
fields; English mode shows English. The Python of the grading contract has no Russian
literals (GUIDE: ALL user-facing text through gettext; lab statements are Russian-only
content)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from grading.engine import grade_source
from labs.catalog import load_catalog, load_lab

ROOT = Path(__file__).resolve().parent.parent
CYRILLIC = re.compile("[А-Яа-яЁё]")
CONTRACT_FILES = [
    ROOT / "grading" / "engine.py",
    ROOT / "grading" / "probe_runner.py",
    ROOT / "grading" / "text_hygiene.py",
    ROOT / "labs" / "grader_api.py",
    *sorted((ROOT / "labs" / "catalog").glob("*/judge.py")),
    *sorted((ROOT / "labs" / "catalog").glob("*/probe.py")),
    *sorted((ROOT / "labs" / "catalog").glob("*/check.py")),
]


@pytest.mark.parametrize("path", CONTRACT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_grading_contract_has_no_russian_literals(path):
    assert not CYRILLIC.search(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("lab", load_catalog(), ids=lambda lab: lab.slug)
def test_every_test_title_is_translated(lab):
    for test in lab.tests:
        with translation.override("ru"):
            assert CYRILLIC.search(str(test.title)), test.name
        with translation.override("en"):
            assert not CYRILLIC.search(str(test.title)), test.name


@pytest.mark.integration
def test_a_result_carries_every_message_in_every_language_whatever_was_active():
    lab = load_lab("dl-07-iou")
    wrong = (lab.folder / "wrong" / "touching_counts.py").read_text(encoding="utf-8")
    with translation.override("en"):
        result = grade_source(lab, wrong, seed=2)
    languages = {code for code, _name in settings.LANGUAGES}
    assert set(result.messages) == languages
    assert result.message == result.messages[settings.LANGUAGE_CODE]
    assert CYRILLIC.search(result.message)
    assert not CYRILLIC.search(result.messages["en"])
    for test in result.tests:
        assert set(test.messages) == set(test.titles) == languages
        assert test.message == test.messages["ru"] and test.title == test.titles["ru"]
        assert CYRILLIC.search(test.messages["ru"]), test.name
        assert not CYRILLIC.search(test.messages["en"]), test.name
        assert not CYRILLIC.search(test.titles["en"]), test.name
