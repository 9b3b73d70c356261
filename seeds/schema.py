"""The import's schema, said once: for each content kind, the parser's record, the model it
becomes, the key that names an item inside its file, and the model fields it fills.

`KINDS` is in write order, parents before children; `seeds/rows.py` turns records into rows
through it and `seeds/loader.py` takes its model list, its kind names and its tagged models
from it. A kind added to the parsers needs an entry here and nowhere else; a test checks that
every record kind of `seeds.parsers.records.KINDS` has one, and `ContentKind` checks at start-up
that each field it names exists on its model.

Keys: the file, the kind, and the item's own number where the seed numbers it (tickets, cases,
games, mind maps, literature, the interview list's questions) or its ordinal among the items of
its kind otherwise. Editing an item's text keeps its key, so its row is updated in place and
learner data stays attached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from assessments import models as assessment_models
from courses import models as course_models
from seeds.parsers import records as r

# What fills a row's foreign key: the file's course, its question collection, or the ticket
# of the same number.
IN_COURSE = "course"
IN_COLLECTION = "collection"
IN_TICKET = "ticket"

Value = Callable[[Any, int], Any]  # (record, ordinal) -> a field's value


def attribute(name: str) -> Value:
    return lambda record, ordinal: getattr(record, name)


def ordinal(record: Any, number: int) -> int:
    return number


def plain(value: Any) -> Any:
    """A record's value as JSON: dataclasses become dicts, tuples lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def sections(record: Any, number: int) -> list[dict[str, str]]:
    return [{"title": s.title, "text": s.text} for s in record.sections]


def mindmap_tree(record: Any, number: int) -> dict[str, Any]:
    def node(n: r.MindMapNode) -> dict[str, Any]:
        return {"label": n.label, "line": n.line, "children": [node(c) for c in n.children]}

    return node(record.root)


def code_warnings(record: Any, number: int) -> list[dict[str, Any]]:
    return [warning_as_dict(warning) for warning in record.code_warnings]


def warning_as_dict(warning: r.SeedWarning) -> dict[str, Any]:
    return {"code": warning.code, "line": warning.line, "detail": warning.detail.as_dict()}


@dataclass(frozen=True)
class ContentKind:
    record: type[r.Record]
    model: type[course_models.SeedContent]
    # The item's identity inside its file (goes into the key).
    key: Value
    # model field -> how the record gives its value; a name alone means the record attribute
    # of the same name, as is.
    fields: Mapping[str, Value | None]
    parent: str = ""
    tagged: bool = False  # gets topics from seeds/topic_rules.toml
    # Fields that name seed lines: kept current like the row's source lines, but not part of
    # the content hash (lines moving is not a change of the item).
    positional: frozenset[str] = frozenset()
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", self.record.__dataclass_fields__["kind"].default)
        names = {f.name for f in self.model._meta.get_fields()}
        unknown = sorted(set(self.fields) - names)
        if unknown:
            raise ImproperlyConfigured(f"{self.kind}: {self.model.__name__} has no {unknown}")
        plain_names = {n for n, value in self.fields.items() if value is None}
        record_names = set(self.record.__dataclass_fields__)
        missing = sorted(plain_names - record_names)
        if missing:
            raise ImproperlyConfigured(f"{self.kind}: {self.record.__name__} has no {missing}")

    def values(self, record: r.Record, number: int) -> dict[str, Any]:
        return {
            name: plain(getattr(record, name)) if value is None else value(record, number)
            for name, value in self.fields.items()
        }


def _fields(*names: str, **computed: Value) -> dict[str, Value | None]:
    return {**dict.fromkeys(names), **computed}


KINDS: tuple[ContentKind, ...] = (
    # The course document's course also makes the course's own question collection
    # (seeds/rows.py), so a course and a standalone list both fill IN_COLLECTION.
    ContentKind(
        r.Course,
        course_models.Course,
        key=lambda record, number: "course",
        fields=_fields("title", "description"),
    ),
    ContentKind(
        r.QACollection,
        course_models.QACollection,
        key=lambda record, number: 1,
        fields=_fields("title", "description"),
    ),
    ContentKind(
        r.SyllabusTopic,
        course_models.SyllabusTopic,
        key=attribute("position"),
        fields=_fields("position", "text"),
        parent=IN_COURSE,
    ),
    ContentKind(
        r.Outcome,
        course_models.Outcome,
        key=lambda record, number: f"{record.category}-{record.position}",
        fields=_fields("category", "position", "text"),
        parent=IN_COURSE,
    ),
    ContentKind(
        r.Requirement,
        course_models.Requirement,
        key=ordinal,
        fields=_fields("text", position=ordinal),
        parent=IN_COURSE,
    ),
    ContentKind(
        r.LearningFormat,
        course_models.LearningFormat,
        key=ordinal,
        fields=_fields("text", position=ordinal),
        parent=IN_COURSE,
    ),
    ContentKind(
        r.QAItem,
        course_models.QAItem,
        key=lambda record, number: record.number or number,
        fields=_fields(
            "number",
            "question",
            "answer",
            "reactions",
            position=ordinal,
            hashtags=lambda record, number: list(record.tags),
        ),
        parent=IN_COLLECTION,
        tagged=True,
    ),
    ContentKind(
        r.CaseStudy,
        course_models.CaseStudy,
        key=attribute("number"),
        fields=_fields("number", "title", position=attribute("number"), sections=sections),
        parent=IN_COURSE,
    ),
    ContentKind(
        r.RolePlay,
        course_models.RolePlay,
        key=attribute("number"),
        fields=_fields(
            "number",
            "title",
            "goal",
            "format",
            "setting",
            "roles",
            "stages",
            "effects",
            "challenges",
            "results",
            "extra",
            position=attribute("number"),
            sections=sections,
        ),
        parent=IN_COURSE,
    ),
    ContentKind(
        r.MindMap,
        course_models.MindMap,
        key=attribute("number"),
        fields=_fields(
            "number", "title", "branches_title", position=attribute("number"), tree=mindmap_tree
        ),
        parent=IN_COURSE,
    ),
    ContentKind(
        r.Literature,
        course_models.LiteratureEntry,
        key=attribute("number"),
        fields=_fields(
            "number",
            "title",
            "authors",
            "material_type",
            "citation",
            "details",
            position=attribute("number"),
        ),
        parent=IN_COURSE,
    ),
    ContentKind(
        r.RelatedCourse,
        course_models.RelatedCourse,
        key=ordinal,
        fields=_fields("title", "announcement", position=ordinal),
        parent=IN_COURSE,
    ),
    ContentKind(
        r.MCQ,
        assessment_models.MCQ,
        key=ordinal,
        fields=_fields(
            "block",
            "question",
            "stated_answer_text",
            position=ordinal,
            answer_text_mismatch=attribute("stated_answer_disagrees"),
        ),
        parent=IN_COURSE,
        tagged=True,
    ),
    ContentKind(
        r.Ticket,
        assessment_models.ExamTicket,
        key=attribute("number"),
        fields=_fields("number"),
        parent=IN_COURSE,
    ),
    ContentKind(
        r.TicketTheoryQuestion,
        assessment_models.TicketTheoryQuestion,
        key=lambda record, number: f"{record.ticket_number}.{record.position}",
        fields=_fields(
            "position",
            "question",
            reference_answer=attribute("reference_answer"),
        ),
        parent=IN_TICKET,
        tagged=True,
    ),
    ContentKind(
        r.PracticalTask,
        assessment_models.PracticalTask,
        key=attribute("ticket_number"),
        fields=_fields(
            "text",
            "notes",
            seed_code=lambda record, number: record.code.seed_text,
            restored_code=lambda record, number: record.code.restored_text,
            code_restored=lambda record, number: record.code.restored,
            restoration_problem=lambda record, number: record.code.problem,
            code_warnings=code_warnings,
        ),
        parent=IN_TICKET,
        tagged=True,
        positional=frozenset({"code_warnings"}),
    ),
)

BY_KIND: dict[str, ContentKind] = {kind.kind: kind for kind in KINDS}
# Every model the import writes, parents before children; retirement walks the same list.
SEED_MODELS: tuple[type[course_models.SeedContent], ...] = tuple(
    dict.fromkeys(kind.model for kind in KINDS)
)
KIND_OF_MODEL: dict[type[models.Model], str] = {kind.model: kind.kind for kind in KINDS}
TAGGED_MODELS: tuple[type[course_models.SeedContent], ...] = tuple(
    kind.model for kind in KINDS if kind.tagged
)


def kind_label(kind: str) -> str:
    """The kind's name for people: its model's plural verbose name, translated."""
    entry = BY_KIND.get(kind)
    return str(entry.model._meta.verbose_name_plural) if entry else kind
