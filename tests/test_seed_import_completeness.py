"""The import keeps everything a seed says: reactions under the Telegram posts, every defect
reported with file:line, MCQs refused unless they have four options and one key (their rows
kept as they were), the warnings about the reference code next to the code."""

import pytest

from assessments.models import MCQ, PracticalTask, TicketTheoryQuestion
from courses.models import QAItem
from seeds.loader import SEED_MODELS, import_parsed, parse_paths
from tests.seed_files import ALL_SEEDS, DL, MLE, TELEGRAM, copy_with

pytestmark = pytest.mark.django_db

FIRST_MCQ = "Какой из следующих слоёв используется для уменьшения размерности в свёрточных сетях?"
FIRST_MCQ_LINE = 125


def snapshot() -> dict:
    return {
        model.__name__: sorted(
            model.objects.values_list("seed_key", "content_hash", "retired_at", "updated_at")
        )
        for model in SEED_MODELS
    }


def options_of(mcq: MCQ) -> list[tuple[str, str, bool]]:
    return list(mcq.options.values_list("letter", "text", "is_correct"))


BAD_MCQS = {
    "three options": {"D) Dropout\n": ""},
    "five options": {"D) Dropout\n": "D) Dropout\nE) Flatten\n"},
    "two keys": {"Правильный ответ: B -": "Правильный ответ: B, C -"},
    "no key": {"Правильный ответ: B -": "Правильный ответ: не знаю -"},
    "a key naming no option": {"Правильный ответ: B -": "Правильный ответ: F -"},
    "letters out of order": {"C) Batch Normalization": "E) Batch Normalization"},
}


LINES_MOVE = {"three options", "five options"}


@pytest.mark.parametrize("defect", BAD_MCQS)
def test_a_malformed_mcq_is_refused_with_its_line_and_its_row_is_kept(tmp_path, defect):
    import_parsed(parse_paths(ALL_SEEDS))
    mcq = MCQ.objects.get(source_file=DL.name, question=FIRST_MCQ)
    options, before = options_of(mcq), snapshot()

    report = import_parsed(parse_paths([copy_with(tmp_path, DL, BAD_MCQS[defect])]))

    [warning] = [w for w in report.warnings if w["code"] == "mcq_refused"]
    assert (warning["file"], warning["line"]) == (DL.name, FIRST_MCQ_LINE)
    assert report.totals()["mcq"] == {
        "new": 0, "changed": 0, "unchanged": 74, "retired": 0, "refused": 1,
    }  # fmt: skip
    after = snapshot()
    if defect in LINES_MOVE:
        # Lines after the edit moved: mind maps keep their nodes' lines, so they change.
        after.pop("MindMap"), before.pop("MindMap")
    assert after == before  # nothing else changed, the refused question included
    assert options_of(MCQ.objects.get(pk=mcq.pk)) == options


def test_a_refused_mcq_writes_nothing_and_shifts_no_other_key(tmp_path):
    report = import_parsed(parse_paths([copy_with(tmp_path, DL, BAD_MCQS["three options"])]))
    assert report.totals()["mcq"]["new"] == 74
    assert not MCQ.objects.filter(question=FIRST_MCQ).exists()
    # The second question keeps the key it has in the intact seed.
    second = MCQ.objects.get(question__startswith="Какая функция активации помогает")
    assert second.seed_key == f"{DL.name}:mcq:2"
    assert second.options.count() == 4


def test_every_mcq_of_the_real_seeds_has_four_options_and_one_key():
    report = import_parsed(parse_paths(ALL_SEEDS))
    assert report.totals()["mcq"]["refused"] == 0
    counts = {mcq.pk: (mcq.options.count(), mcq.options.filter(is_correct=True).count())
              for mcq in MCQ.objects.all()}  # fmt: skip
    assert set(counts.values()) == {(4, 1)}


def test_the_reactions_of_the_telegram_posts_are_stored_and_reported():
    report = import_parsed(parse_paths([TELEGRAM])).as_dict()
    assert report["files"][TELEGRAM.name]["reactions"] == {
        "posts": 12,
        "total": 4 + 4 + 10 + 5 + 7 + 7 + 4 + 2 + 71 + 6 + 2 + 2 + 2,
        "by_emoji": {"👍": 122, "?": 4},
    }
    post = QAItem.objects.get(source_file=TELEGRAM.name, source_last_line=24)
    assert post.reactions == [{"emoji": "👍", "count": 4}]
    malformed = QAItem.objects.get(source_file=TELEGRAM.name, source_last_line=96)
    assert malformed.reactions == [{"emoji": "", "count": 4}, {"emoji": "👍", "count": 2}]
    [warning] = [w for w in report["warnings"] if w["code"] == "malformed_reactions"]
    assert (warning["file"], warning["line"]) == (TELEGRAM.name, 96)
    assert QAItem.objects.get(source_file=TELEGRAM.name, source_last_line=148).reactions == []


def test_a_reactions_line_with_odd_content_is_reported_and_changes_nothing(tmp_path):
    import_parsed(parse_paths([TELEGRAM]))
    before = snapshot()
    odd = copy_with(tmp_path, TELEGRAM, {"\n👍10\n": "\n👍10 ❗️see\n"})
    report = import_parsed(parse_paths([odd]))
    [warning] = [w for w in report.warnings if w["line"] == 54]
    assert (warning["file"], warning["code"]) == (TELEGRAM.name, "malformed_reactions")
    assert "❗️see" in warning["message"]
    assert not report.changed_anything
    assert snapshot() == before


def test_glued_bullets_are_split_in_the_stored_answers():
    import_parsed(parse_paths([MLE]))
    answer = TicketTheoryQuestion.objects.get(
        source_file=MLE.name, reference_answer__contains="Основные компоненты:"
    ).reference_answer
    assert "Основные компоненты:\n- Offline feature store" in answer


def test_the_warnings_about_the_code_are_kept_with_the_practical_task():
    import_parsed(parse_paths([DL]))
    task = PracticalTask.objects.get(source_file=DL.name, ticket__number=9)
    codes = {w["code"] for w in task.code_warnings}
    assert {"needs_network", "undefined_name", "block_end_guessed"} <= codes
    guess = next(w for w in task.code_warnings if "fid_score" in str(w["detail"]["params"]))
    assert guess["line"] == 666
    assert guess["detail"]["params"]["header"] == "for epoch in range(20):"
    restored = task.restored_code.splitlines()
    assert (
        restored[guess["detail"]["params"]["restored_line"] - 1] == "fid_score = np.random.rand()"
    )
