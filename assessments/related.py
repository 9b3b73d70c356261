"""Q&A items to study after a question: those of the course's collections that share the most
topics with it, then the most words with the question and its right answer. Computed for a
whole list of questions at once, in two queries, so a review page has a fixed query count."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assessments.models import MCQ
from courses.models import QAItem

WORD = re.compile(r"\w{4,}")


def _words(text: str) -> set[str]:
    # A crude stem (first 6 letters) is enough to rank a few dozen candidates in Russian.
    return {word[:6] for word in WORD.findall(text.casefold())}


def related_qa_items(
    mcqs: Sequence[MCQ], correct_texts: dict[int, str] | None = None, limit: int = 3
) -> dict[int, list[QAItem]]:
    """mcq.pk -> up to `limit` Q&A items; the MCQs must have their topics prefetched."""
    correct_texts = correct_texts or {}
    topic_ids = {mcq.pk: {topic.pk for topic in mcq.topics.all()} for mcq in mcqs}
    every_topic = set().union(*topic_ids.values()) if topic_ids else set()
    course_ids = {mcq.course_id for mcq in mcqs}
    if not every_topic:
        return {mcq.pk: [] for mcq in mcqs}
    candidates = list(
        QAItem.objects.live()
        .filter(collection__courses__in=course_ids, topics__in=every_topic)
        .distinct()
        .prefetch_related("topics", "collection__courses")
        .only("id", "question", "answer", "collection_id")
    )
    words = {item.pk: _words(item.question) for item in candidates}
    result = {}
    for mcq in mcqs:
        wanted = _words(mcq.question + " " + correct_texts.get(mcq.pk, ""))
        mine = topic_ids[mcq.pk]
        scored = []
        for item in candidates:
            if mcq.course_id not in {c.pk for c in item.collection.courses.all()}:
                continue
            shared = sum(1 for topic in item.topics.all() if topic.pk in mine)
            if shared:
                scored.append(((-shared, -len(wanted & words[item.pk]), item.pk), item))
        result[mcq.pk] = [item for _, item in sorted(scored, key=lambda pair: pair[0])[:limit]]
    return result
