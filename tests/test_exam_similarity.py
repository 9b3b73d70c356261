"""Similar practical solutions within an exam are flagged for the grader (copydetect)."""

import pytest

from exams import sessions
from exams.similarity import similar_solutions, task_key
from tests.exam_factories import make_course_bank, make_ticket_set, open_exam
from tests.factories import LearnerFactory

pytestmark = pytest.mark.django_db

ORIGINAL = """
def iou(box_a, box_b):
    x1 = max(box_a[0], box_b[0])
    y1 = max(box_a[1], box_b[1])
    x2 = min(box_a[2], box_b[2])
    y2 = min(box_a[3], box_b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    area_a = (box_a[2] - box_a[0]) * (box_a[3] - box_a[1])
    area_b = (box_b[2] - box_b[0]) * (box_b[3] - box_b[1])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0
"""
# The same code with every name changed: a copy all the same.
RENAMED = (
    ORIGINAL.replace("box_a", "p")
    .replace("box_b", "q")
    .replace("inter", "common")
    .replace("union", "total")
)
DIFFERENT = """
import numpy as np

def iou(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    lo = np.maximum(a[:2], b[:2])
    hi = np.minimum(a[2:], b[2:])
    wh = np.clip(hi - lo, 0, None)
    overlap = wh.prod()
    sizes = (a[2:] - a[:2]).prod() + (b[2:] - b[:2]).prod()
    return float(overlap / (sizes - overlap)) if sizes > overlap else 0.0
"""


def test_a_renamed_copy_is_flagged_and_an_independent_solution_is_not(ivan):
    course, _items = make_course_bank()
    exam = open_exam(course, make_ticket_set(course, tickets=1), ivan, open_to_all=True)
    ids = {}
    for name, source in (("anna", ORIGINAL), ("boris", RENAMED), ("vera", DIFFERENT)):
        learner = LearnerFactory(username=name)
        session = sessions.start_session(exam, learner)
        sessions.save_answer(learner.pk, session.pk, 0, source, 0)
        ids[name] = session.pk
    flagged = similar_solutions(exam, starters={})
    assert [s.learner for s in flagged[ids["anna"]]] == ["boris"]
    assert flagged[ids["anna"]][0].similarity > 0.9
    assert ids["vera"] not in flagged


def test_the_starter_code_everyone_was_given_does_not_count(ivan):
    course, _items = make_course_bank()
    exam = open_exam(course, make_ticket_set(course, tickets=1), ivan, open_to_all=True)
    starter = ORIGINAL
    for name, extra in (("anna", "print('a')\n"), ("boris", "x = [i * i for i in range(10)]\n")):
        learner = LearnerFactory(username=name)
        session = sessions.start_session(exam, learner)
        sessions.save_answer(learner.pk, session.pk, 0, starter + extra, 0)
    key = task_key(exam.ticket_set.tickets.get().task_text)
    assert similar_solutions(exam, starters={}) != {}
    assert similar_solutions(exam, starters={key: starter}) == {}
