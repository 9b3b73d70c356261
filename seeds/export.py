"""Every imported item as plain JSON-ready dicts, for backup, review and diffing imports:
`manage.py export_content [--course SLUG]`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import models

from assessments import models as assessment_models
from courses import models as course_models
from seeds.loader import KIND_OF_MODEL, SEED_MODELS

# How each model reaches its course, for --course.
COURSE_PATH: dict[type[models.Model], str] = {
    course_models.Course: "slug",
    course_models.QACollection: "courses__slug",
    course_models.QAItem: "collection__courses__slug",
    assessment_models.TicketTheoryQuestion: "ticket__course__slug",
    assessment_models.PracticalTask: "ticket__course__slug",
}
INTERNAL_FIELDS = {
    "id", "seed_key", "source_file", "source_first_line", "source_last_line", "content_hash",
    "imported_at", "updated_at", "retired_at", "see_also",
}  # fmt: skip


def export_items(course_slug: str | None = None) -> Iterator[dict[str, Any]]:
    for model in SEED_MODELS:
        rows = model.objects.order_by("source_file", "source_first_line", "id")
        if course_slug:
            rows = rows.filter(**{COURSE_PATH.get(model, "course__slug"): course_slug}).distinct()
        if hasattr(model, "topics"):
            rows = rows.prefetch_related("topics")
        if model is assessment_models.MCQ:
            rows = rows.prefetch_related("options")
        if model is course_models.QACollection:
            rows = rows.prefetch_related("courses")
        for row in rows:
            yield _item(model, row)


def _item(model: type[models.Model], row: models.Model) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.name in INTERNAL_FIELDS:
            continue
        if isinstance(field, models.ForeignKey):
            fields[field.name] = getattr(row, field.attname)
        else:
            fields[field.name] = field.value_from_object(row)
    if hasattr(model, "topics"):
        fields["topics"] = sorted(topic.slug for topic in row.topics.all())
    if model is assessment_models.MCQ:
        options = list(row.options.all())
        fields["options"] = [{"letter": o.letter, "text": o.text} for o in options]
        fields["correct_option"] = next((o.letter for o in options if o.is_correct), None)
    if model is course_models.QACollection:
        fields["courses"] = sorted(course.slug for course in row.courses.all())
    return {
        "kind": KIND_OF_MODEL[model],
        "key": row.seed_key,
        "source_file": row.source_file,
        "source_lines": [row.source_first_line, row.source_last_line],
        "retired": row.retired_at is not None,
        "fields": fields,
    }
