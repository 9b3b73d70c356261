"""Questions imported from Moodle XML / GIFT wait as drafts until an instructor previews and
publishes them; publishing writes them into the bank through assessments/interchange.py.

1. ``save_drafts``: a parsed file becomes drafts of the course; uploading the same file again
   updates its open drafts in place (by question name, or text when unnamed) instead of adding
   copies. Nothing reaches learners.
2. ``problems_of``: what stops a draft (an essay without a reference answer) and what the
   instructor should know (no topic, topics the platform does not have).
3. ``publish``: drafts without blocking problems go into the bank in one transaction, with the
   topic the instructor chose when the file named none; ``discard`` drops drafts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.interchange import (
    ESSAY,
    ImportResult,
    Option,
    Question,
    TopicIndex,
    import_questions,
)
from assessments.models import QuestionDraft
from courses.models import Course, Topic


@dataclass
class Problems:
    blocking: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.blocking


def save_drafts(
    course: Course, questions: list[Question], source: str, user: AbstractBaseUser | None
) -> tuple[int, int]:
    """Store parsed questions as drafts; returns (created, updated)."""
    created = updated = 0
    with transaction.atomic():
        open_drafts = {
            (draft.name or draft.text): draft
            for draft in QuestionDraft.objects.select_for_update().filter(
                course=course, source=source[:200], status=QuestionDraft.Status.DRAFT
            )
        }
        for question in questions:
            values = {
                "line": question.line,
                "kind": question.kind,
                "name": question.name[:200],
                "text": question.text,
                "options": [{"text": o.text, "is_correct": o.is_correct} for o in question.options],
                "answer": question.answer,
                "category": question.category[:300],
                "topic_slugs": list(question.topics),
            }
            draft = open_drafts.get(question.name or question.text)
            if draft is None:
                QuestionDraft.objects.create(
                    course=course, source=source[:200], created_by=user, **values
                )
                created += 1
            else:
                for name, value in values.items():
                    setattr(draft, name, value)
                draft.save()
                updated += 1
    return created, updated


def as_question(draft: QuestionDraft) -> Question:
    topics = [draft.topic.slug] if draft.topic_id else list(draft.topic_slugs)
    return Question(
        kind=draft.kind,
        name=draft.name,
        text=draft.text,
        options=[Option(o["text"], bool(o["is_correct"])) for o in draft.options],
        answer=draft.answer,
        category=draft.category,
        topics=topics,
        line=draft.line,
    )


def problems_of(draft: QuestionDraft, index: TopicIndex) -> Problems:
    problems = Problems()
    question = as_question(draft)
    if draft.kind == ESSAY and not draft.answer.strip():
        problems.blocking.append(
            _("No reference answer: learners would study a question without its answer.")
        )
    if not index.topics_of(question):
        problems.notes.append(
            _("No topic: choose one, or learners will not find it when they study by topic.")
        )
    unknown = index.unknown(question)
    if unknown:
        problems.notes.append(
            _("Topics the platform does not have: %(topics)s.") % {"topics": ", ".join(unknown)}
        )
    return problems


def publish(
    drafts: Iterable[QuestionDraft], user: AbstractBaseUser | None, topics: dict[int, Topic]
) -> tuple[ImportResult, list[QuestionDraft]]:
    """Publish the ready drafts (``topics``: a topic chosen per draft id); returns the import's
    result and the drafts left as they were because of a blocking problem."""
    index = TopicIndex()
    ready: list[QuestionDraft] = []
    held: list[QuestionDraft] = []
    for draft in drafts:
        if draft.pk in topics:
            draft.topic = topics[draft.pk]
        (ready if problems_of(draft, index).ready else held).append(draft)
    result = ImportResult()
    if not ready:
        return result, held
    with transaction.atomic():
        by_source: dict[tuple[int, str], list[QuestionDraft]] = {}
        for draft in ready:
            by_source.setdefault((draft.course_id, draft.source), []).append(draft)
        for (_course_id, source), group in by_source.items():
            partial = import_questions(
                group[0].course, [as_question(draft) for draft in group], source
            )
            result.created += partial.created
            result.updated += partial.updated
            result.warnings += partial.warnings
        now = timezone.now()
        for draft in ready:
            draft.status = QuestionDraft.Status.PUBLISHED
            draft.reviewed_at = now
            draft.save(update_fields=["status", "reviewed_at", "topic"])
    return result, held


def discard(drafts: Iterable[QuestionDraft]) -> int:
    ids = [draft.pk for draft in drafts]
    return QuestionDraft.objects.filter(pk__in=ids, status=QuestionDraft.Status.DRAFT).update(
        status=QuestionDraft.Status.DISCARDED, reviewed_at=timezone.now()
    )
