import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

RU_PO = Path(__file__).resolve().parent.parent / "locale" / "ru" / "LC_MESSAGES" / "django.po"
needs_msgfmt = pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs gettext's msgfmt")


def test_pages_are_in_russian_by_default(client, db):
    body = client.get(reverse("home")).content.decode()
    assert 'lang="ru"' in body
    assert "Зарегистрироваться" in body


def test_english_can_be_switched_on(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in body
    assert "Sign up" in body
    assert "Зарегистрироваться" not in body


@needs_msgfmt
def test_the_russian_catalog_translates_every_message(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "x.mo"), str(RU_PO)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "translated message" in result.stderr
    assert "untranslated" not in result.stderr
    assert "fuzzy" not in result.stderr


@needs_msgfmt
def test_the_committed_catalog_is_compiled_from_the_current_po(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(RU_PO)], check=True)
    assert compiled.read_bytes() == RU_PO.with_suffix(".mo").read_bytes()
