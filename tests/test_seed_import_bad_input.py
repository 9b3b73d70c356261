"""A bad file gets a message naming the file and line, and the database stays exactly as it
was, even when good files are imported with it."""

import pytest
from django.core.management import CommandError, call_command

from seeds.loader import SEED_MODELS
from seeds.models import ImportRun
from tests.seed_files import DL, INTERVIEW, MLE, TELEGRAM

pytestmark = pytest.mark.django_db


def content_snapshot() -> dict:
    return {model.__name__: sorted(model.objects.values_list("seed_key", "content_hash"))
            for model in SEED_MODELS}  # fmt: skip


def make_cp1251(tmp_path):
    path = tmp_path / "cp1251.txt"
    path.write_bytes(INTERVIEW.read_text(encoding="utf-8").encode("cp1251", errors="replace"))
    return path, 1


def make_binary(tmp_path):
    path = tmp_path / "picture.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return path, 3  # the first NUL byte comes after two line feeds


def make_empty(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    return path, 1


def make_huge(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        line = "Что такое глубокое обучение? " * 4 + "\n"
        handle.write(line.encode() * (50 * 1024 * 1024 // len(line.encode()) + 1))
    return path, 1


def make_other_kind(tmp_path):
    path = tmp_path / "settings.txt"
    path.write_text('{"name": "not a seed", "items": [1, 2, 3]}\n' * 20, encoding="utf-8")
    return path, 1


def make_cut_in_a_ticket(tmp_path):
    lines = MLE.read_text(encoding="utf-8").split("\n")
    # Cut inside the practical task of ticket 1 of the ML course: its code ends at line 675.
    path = tmp_path / MLE.name
    path.write_text("\n".join(lines[:660]), encoding="utf-8")
    return path, None


def make_truncated_post(tmp_path):
    lines = TELEGRAM.read_text(encoding="utf-8").split("\n")
    # The second post starts on line 25; the file stops inside its text, before its hashtags.
    path = tmp_path / TELEGRAM.name
    path.write_text("\n".join(lines[:27]), encoding="utf-8")
    return path, 25


@pytest.mark.parametrize(
    "make_file",
    [
        make_cp1251,
        make_binary,
        make_empty,
        make_huge,
        make_other_kind,
        make_cut_in_a_ticket,
        make_truncated_post,
    ],
)
def test_a_bad_file_is_named_and_nothing_is_written(tmp_path, make_file):
    call_command("import_seeds", "--no-run-code", str(INTERVIEW))
    before = content_snapshot()
    bad, line = make_file(tmp_path)
    with pytest.raises(CommandError) as raised:
        call_command("import_seeds", "--no-run-code", str(DL), str(bad))
    message = str(raised.value)
    assert message.startswith("ничего не импортировано: ")
    assert f"{bad.name}:" in message
    if line is not None:
        assert f"{bad.name}:{line}:" in message
    assert content_snapshot() == before
    assert ImportRun.objects.filter(status=ImportRun.Status.FAILED).count() == 1


def test_a_file_cut_in_a_ticket_names_a_line_in_that_ticket(tmp_path):
    bad, _ = make_cut_in_a_ticket(tmp_path)
    with pytest.raises(CommandError) as raised:
        call_command("import_seeds", str(bad))
    line = int(str(raised.value).split(f"{bad.name}:")[1].split(":")[0])
    assert 630 <= line <= 661


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match=r"nowhere\.txt"):
        call_command("import_seeds", str(tmp_path / "nowhere.txt"))
