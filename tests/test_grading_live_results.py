"""Each test result is stored as soon as the probe reports it, while the job still runs."""

import time

import pytest

from grading.engine import grade_source
from grading.models import Submission
from grading.services import submit_solution
from labs.catalog import load_lab
from labs.models import Lab
from labs.sync import sync_labs

pytestmark = pytest.mark.integration

# Correct scalar IoU, then a slow iou_matrix: the scalar tests are reported long before the end.
SLOW_MATRIX = """
import time, torch

def iou(box1, box2):
    x1, y1 = max(box1[0], box2[0]), max(box1[1], box2[1])
    x2, y2 = min(box1[2], box2[2]), min(box1[3], box2[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    a1 = max(0.0, box1[2] - box1[0]) * max(0.0, box1[3] - box1[1])
    a2 = max(0.0, box2[2] - box2[0]) * max(0.0, box2[3] - box2[1])
    union = a1 + a2 - inter
    return float(inter / union) if union > 0 else 0.0

def iou_matrix(a, b):
    time.sleep(1.5)
    return torch.zeros(len(a), len(b))
"""


def test_results_reach_the_caller_before_the_job_ends():
    heard = []
    result = grade_source(
        load_lab("dl-07-iou"),
        SLOW_MATRIX,
        seed=4,
        on_test=lambda position, test: heard.append((time.monotonic(), position, test.name)),
    )
    ended = time.monotonic()
    first_at, first_position, first_name = heard[0]
    assert (first_position, first_name) == (1, "identical")
    # The scalar checks run before the three sleeping matrix checks (4.5 s of sleep), so the
    # first result must be heard well before the job ends.
    assert ended - first_at > 3.0
    assert [name for _, _, name in heard][:5] == [
        "identical", "disjoint", "touching", "containment", "partial_overlap",
    ]  # fmt: skip
    assert {t.name for t in result.tests if t.passed} >= {"identical", "partial_overlap"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_page_data_shows_results_while_the_submission_runs(celery_worker_process, alice):
    sync_labs()
    submission = submit_solution(alice, Lab.objects.get(slug="dl-07-iou"), source=SLOW_MATRIX)
    seen_while_running = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        submission.refresh_from_db()
        if submission.is_final:
            break
        if submission.status == Submission.Status.RUNNING:
            seen_while_running = max(seen_while_running, submission.results.count())
        time.sleep(0.1)
    assert submission.is_final
    assert seen_while_running >= 5
    assert submission.results.count() == len(load_lab("dl-07-iou").tests)
