"""Similar practical solutions within one exam, for the grader to look at (not a verdict).

copydetect (winnowed k-gram fingerprints over tokens, as MOSS does; identifiers and literals
are normalised, so renaming variables does not hide a copy) compares the last solution of
each session with those of the other sessions that have the same practical task. The lab's
starter code is boilerplate: what everybody was given does not count as shared. A pair is
flagged when either solution shares at least FLAG_AT of its tokens with the other.

copydetect imports matplotlib for its HTML reports, so it is imported here, on the grading
pages only, never at start-up of the web process.
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass

from exams.models import Exam, ExamSession, PracticalSubmission, SessionAnswer

FLAG_AT = 0.5
NOISE_TOKENS = 25  # copydetect's defaults: k-grams of 25 tokens, 30 guaranteed
GUARANTEE_TOKENS = 30


@dataclass(frozen=True)
class SimilarSolution:
    session_id: int
    learner: str
    similarity: float  # 0..1, the larger of the two shares


def practical_sources(exam: Exam) -> dict[int, tuple[str, str, str]]:
    """session id -> (task key, learner, source): the last lab submission, or the text answer
    of a task graded by hand."""
    found: dict[int, tuple[str, str, str]] = {}
    links = (
        PracticalSubmission.objects.filter(session__exam=exam)
        .exclude(submission__source="")
        .select_related("session__learner", "session__ticket", "submission")
        .order_by("session_id", "submission__created_at")
    )
    for link in links:
        session = link.session
        key = f"lab:{session.ticket.lab_id}"
        found[session.pk] = (key, session.learner.get_username(), link.submission.source)
    answers = (
        SessionAnswer.objects.filter(session__exam=exam, position=SessionAnswer.PRACTICAL_POSITION)
        .exclude(text="")
        .select_related("session__learner", "session__ticket")
    )
    for answer in answers:
        session = answer.session
        key = task_key(session.ticket.task_text)
        found[session.pk] = (key, session.learner.get_username(), answer.text)
    return found


def task_key(task_text: str) -> str:
    """Sessions whose tasks read the same are compared (a generated set repeats tasks)."""
    return "text:" + hashlib.sha256(task_text.encode()).hexdigest()[:16]


def similar_solutions(
    exam: Exam, starters: dict[str, str] | None = None
) -> dict[int, list[SimilarSolution]]:
    """session id -> the other sessions whose solution is similar, most similar first."""
    from copydetect import CodeFingerprint, compare_files

    sources = practical_sources(exam)
    starters = starters if starters is not None else _starter_codes(exam)
    by_task: dict[str, list[int]] = defaultdict(list)
    for session_id, (task, _learner, _source) in sources.items():
        by_task[task].append(session_id)
    flagged: dict[int, list[SimilarSolution]] = defaultdict(list)
    window = GUARANTEE_TOKENS - NOISE_TOKENS + 1
    for task, session_ids in by_task.items():
        if len(session_ids) < 2:
            continue
        boilerplate = []
        if starters.get(task):
            # Every k-gram of the starter (window 1), not only the winnowed ones: a solution's
            # winnowing may keep starter k-grams that the starter's own winnowing skipped.
            boilerplate = list(_fingerprint(CodeFingerprint, starters[task], 1).hashes)
        prints = {
            sid: _fingerprint(CodeFingerprint, sources[sid][2], window, boilerplate)
            for sid in session_ids
        }
        for i, first in enumerate(session_ids):
            for second in session_ids[i + 1 :]:
                a, b = prints[first], prints[second]
                if not a.hashes or not b.hashes:
                    continue
                _overlap, (share_a, share_b), _slices = compare_files(a, b)
                similarity = float(max(share_a, share_b))
                if similarity >= FLAG_AT:
                    flagged[first].append(SimilarSolution(second, sources[second][1], similarity))
                    flagged[second].append(SimilarSolution(first, sources[first][1], similarity))
    for found in flagged.values():
        found.sort(key=lambda s: -s.similarity)
    return dict(flagged)


def _fingerprint(fingerprint_class, source: str, window: int, boilerplate=None):
    return fingerprint_class(
        "solution.py", NOISE_TOKENS, window, boilerplate=boilerplate, fp=io.StringIO(source)
    )


def _starter_codes(exam: Exam) -> dict[str, str]:
    from labs.models import Lab

    lab_ids = ExamSession.objects.filter(exam=exam, ticket__lab__isnull=False).values_list(
        "ticket__lab_id", flat=True
    )
    return {
        f"lab:{lab.pk}": lab.starter_code
        for lab in Lab.objects.filter(pk__in=set(lab_ids)).only("id", "starter_code")
    }
