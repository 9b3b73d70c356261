"""What a job prints, raises and names never reaches the database, JSON, a page or the
operator's terminal as it was written: escape sequences (ANSI CSI, OSC titles and clipboard
writes, their 8-bit C1 forms), NUL and other control characters are dropped, and bytes that
are not UTF-8 (a file name in out/) become U+FFFD. On main's code such a file name made
``record_result`` raise UnicodeEncodeError (the submission stayed RUNNING), ``grade --json``
printed invalid UTF-8 and ``grade`` passed OSC 52 to the terminal. Through the real sandbox,
judge, database and commands."""

import io
import json
import re
import textwrap

import pytest
from django.core.management import call_command

from grading import services
from grading.engine import grade_source
from grading.models import Submission
from labs.catalog import load_lab
from labs.models import Lab
from labs.sync import sync_labs
from tests.factories import LearnerFactory

pytestmark = pytest.mark.integration

HOSTILE = textwrap.dedent(
    r"""
    import os
    import sys

    print("\x1b]0;pwned title\x07\x1b[2J\x1b[31mRED\x1b[0m \x9b31m c1 \x00nul \x07bell")
    sys.stderr.write("\x1b]52;c;ZWNobyBoaQ==\x07 clipboard \x1b[1A\r overwrite \u202eevil\n")
    os.makedirs("out", exist_ok=True)
    with open(b"out/\xff\xfe-\x1b[31mname.png", "wb") as handle:
        handle.write(b"not a png")


    def iou(box1, box2):
        raise ValueError("\x1b[31mred error\x1b[0m \x1b]8;;http://evil\x07link")


    def iou_matrix(a, b):
        raise NotImplementedError
    """
)
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def assert_clean(text: str) -> None:
    assert not UNSAFE.search(text), repr(text)
    text.encode("utf-8")  # valid UTF-8: raises on a lone surrogate


def texts_of(result) -> list[str]:
    texts = [result.stdout, result.stderr, result.message, *result.messages.values()]
    texts += list(result.artifacts)
    for test in result.tests:
        texts += [test.message, *test.messages.values(), test.title]
    return texts


@pytest.fixture(scope="module")
def hostile_result():
    return grade_source(load_lab("dl-07-iou"), HOSTILE, seed=4)


def test_every_text_of_a_hostile_job_is_clean_and_keeps_its_words(hostile_result):
    for text in texts_of(hostile_result):
        assert_clean(text)
    assert "RED" in hostile_result.stdout
    assert "clipboard" in hostile_result.stderr and "overwrite" in hostile_result.stderr
    assert "52;c" not in hostile_result.stderr  # the whole OSC sequence is gone, not just ESC
    (name,) = hostile_result.artifacts
    assert name.endswith("name.png") and "\ufffd" in name
    pairs = next(test for test in hostile_result.tests if test.name == "identical")
    assert "red error" in pairs.message and "http://evil" not in pairs.message


@pytest.mark.django_db
def test_a_hostile_job_is_recorded_and_the_submission_finishes(hostile_result):
    sync_labs()
    submission = Submission.objects.create(
        learner=LearnerFactory(username="hygiene"),
        lab=Lab.objects.get(slug="dl-07-iou"),
        source=HOSTILE,
    )
    claim = services.claim_job(Submission, submission.pk, "hygiene-test", 10)
    assert services.record_result(submission.pk, claim, hostile_result)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.DONE
    assert_clean(submission.stdout)
    assert_clean(submission.stderr)
    (artifact,) = submission.artifacts.all()
    assert_clean(artifact.name)
    for result in submission.results.all():
        assert_clean(result.message)


def strict_utf8_stream() -> io.TextIOWrapper:
    """A stream that, like a terminal with a UTF-8 locale, refuses what is not UTF-8."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True)


def written(stream: io.TextIOWrapper) -> str:
    return stream.buffer.getvalue().decode("utf-8")


@pytest.mark.slow
def test_grade_prints_valid_json_and_no_escape_sequences(tmp_path):
    path = tmp_path / "solution.py"
    path.write_text(HOSTILE, encoding="utf-8")
    stream = strict_utf8_stream()
    call_command("grade", "dl-07-iou", str(path), "--json", "--seed", "4", stdout=stream)
    output = written(stream)
    data = json.loads(output)
    assert "\x1b" not in output and "\\u001b" not in output
    assert "RED" in data["stdout"]
    assert all("\ufffd" in name for name in data["artifacts"])

    stream = strict_utf8_stream()
    call_command("grade", "dl-07-iou", str(path), "--seed", "4", stdout=stream)
    text = written(stream)
    assert not UNSAFE.search(text.replace("\n", "")), repr(text)
    assert "clipboard" in text


@pytest.mark.slow
def test_sandbox_run_prints_no_escape_sequences(tmp_path):
    path = tmp_path / "main.py"
    path.write_text(HOSTILE + "\nprint('\\udcff' if False else 'done')\n", encoding="utf-8")
    for args in (["--json"], []):
        stream = strict_utf8_stream()
        call_command("sandbox_run", str(path), *args, stdout=stream)
        text = written(stream)
        assert not UNSAFE.search(text.replace("\n", "")), repr(text)
        assert "RED" in text
