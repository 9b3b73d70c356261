"""What the import keeps is shown where people read it: instructors see the warnings about a
reference solution beside its code (a guessed block end marks its line), learners see the
reactions under a Telegram post, and a submission's tests say pass or fail in words."""

from __future__ import annotations

import pytest

from courses.models import QAItem
from seeds.loader import import_parsed, parse_paths
from tests.seed_files import DL, TELEGRAM

pytestmark = pytest.mark.django_db


def test_instructors_see_the_guessed_block_ends_beside_the_code(client, ivan, alice):
    import_parsed(parse_paths([DL]))
    client.force_login(ivan)
    body = client.get("/quizzes/manage/courses/deep-learning/reference-solutions/").content.decode()
    ticket9 = body[body.index('id="ticket-9"') : body.index('id="ticket-10"')]
    assert "Угаданный конец блока" in ticket9
    assert "fid_score = np.random.rand()" in ticket9
    assert "for epoch in range(20):" in ticket9
    assert "000_d568f9757774c6fc.txt:666" in ticket9
    assert 'href="#task-' in ticket9 and "-line-70" in ticket9  # a link to the marked line
    assert "background-color" in ticket9  # Pygments highlights the guessed line
    client.force_login(alice)
    assert (
        client.get("/quizzes/manage/courses/deep-learning/reference-solutions/").status_code == 403
    )


def test_the_reactions_of_a_post_are_shown_with_it(client, alice):
    import_parsed(parse_paths([DL, TELEGRAM]))
    post = QAItem.objects.get(source_file=TELEGRAM.name, source_last_line=121)  # 👍71
    course = post.collection.courses.first()
    client.force_login(alice)
    body = client.get(f"/courses/{course.slug}/questions/{post.pk}/").content.decode()
    reactions = body[body.index('class="reactions"') :]
    assert "👍" in reactions and "71" in reactions
    lost = QAItem.objects.get(source_file=TELEGRAM.name, source_last_line=96)  # "4👍2"
    body = client.get(f"/courses/{course.slug}/questions/{lost.pk}/").content.decode()
    assert "эмодзи этой реакции потерялся при выгрузке" in body


def test_test_results_say_pass_or_fail_in_words(client, alice):
    from django.core.management import call_command

    from grading.models import Submission, TestResult
    from labs.models import Lab

    call_command("sync_labs", stdout=open("/dev/null", "w"))  # noqa: SIM115
    submission = Submission.objects.create(
        learner=alice, lab=Lab.objects.first(), source="x = 1", status=Submission.Status.DONE
    )
    TestResult.objects.create(submission=submission, position=1, name="a", title="A", weight=1,
                              passed=True)  # fmt: skip
    TestResult.objects.create(submission=submission, position=2, name="b", title="B", weight=1,
                              passed=False)  # fmt: skip
    client.force_login(alice)
    body = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "✓</span> пройден" in body and "✗</span> не пройден" in body
    assert "✅" not in body and "❌" not in body
