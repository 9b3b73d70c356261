"""How each parsed record becomes a database row: its model, its stable key and its fields.

A key names an item by where it sits in its seed, in terms that survive edits to its text:
the file, the kind, and the item's own number where the seed numbers it (tickets, cases,
games, mind maps, literature, the interview list's questions) or its ordinal among the items
of its kind otherwise. Editing an item's text keeps its key, so the row is updated in place and
learner data stays attached; inserting an unnumbered item shifts the ordinals after it, which
the report then shows as changed items rather than losing anything.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models
from django.utils.text import slugify

from assessments import models as assessment_models
from courses import models as course_models
from seeds.parsers import records as r
from seeds.tagging import text_for_tagging

SOURCES_PATH = Path(__file__).with_name("sources.toml")


@dataclass
class RowSpec:
    """One row to write. ``parent_keys`` name rows written earlier in the same import whose
    ids fill foreign keys (field name -> seed key)."""

    kind: str
    model: type[models.Model]
    key: str
    record: r.Record
    fields: dict[str, Any]
    parent_keys: dict[str, str] = field(default_factory=dict)
    # Filled for MCQs: (letter, text, is_correct) per option, written as child rows.
    options: list[tuple[str, str, bool]] = field(default_factory=list)
    # For standalone question lists: the slugs of the courses they feed.
    feeds_courses: list[str] = field(default_factory=list)
    # The text that topic rules read, for kinds that get topics.
    topic_text: str = ""

    @property
    def content_hash(self) -> str:
        payload = {
            "fields": self.fields,
            "parents": self.parent_keys,
            "options": self.options,
            "feeds": self.feeds_courses,
        }
        encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(encoded.encode()).hexdigest()


def load_sources(path: Path = SOURCES_PATH) -> dict[str, dict[str, Any]]:
    with path.open("rb") as handle:
        return tomllib.load(handle).get("files", {})


# Latin spelling of Cyrillic letters for slugs of courses that sources.toml does not name.
_CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sch",
    "ъ": "-",
    "ы": "y",
    "ь": "-",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}


def slug_from_title(title: str) -> str:
    latin = "".join(_CYRILLIC.get(ch, ch) for ch in title.lower()).replace("-", "")
    return slugify(re.sub(r"\(.*?\)", "", latin))[:50].strip("-") or "course"


def build_row_specs(parsed: r.ParsedSeed, sources: dict[str, dict[str, Any]]) -> list[RowSpec]:
    """Row specs of one parsed seed, parents before children."""
    builder = _SpecBuilder(parsed.file, sources.get(parsed.file, {}))
    for record in parsed.all_records():
        builder.add(record)
    return builder.specs


class _SpecBuilder:
    def __init__(self, file: str, source: dict[str, Any]) -> None:
        self.file = file
        self.source = source
        self.specs: list[RowSpec] = []
        self.ordinals: Counter[str] = Counter()
        self.course_key: str | None = None
        self.collection_key: str | None = None

    def key(self, kind: str, ident: object) -> str:
        return f"{self.file}:{kind}:{ident}"

    def next_ordinal(self, kind: str) -> int:
        self.ordinals[kind] += 1
        return self.ordinals[kind]

    def spec(self, record: r.Record, model, ident: object, fields: dict, **extra) -> RowSpec:
        spec = RowSpec(
            kind=record.kind,
            model=model,
            key=self.key(record.kind, ident),
            record=record,
            fields=fields,
            **extra,
        )
        self.specs.append(spec)
        return spec

    def in_course(self) -> dict[str, str]:
        if self.course_key is None:
            raise ValueError(f"{self.file}: a course part appears before its course")
        return {"course": self.course_key}

    def add(self, record: r.Record) -> None:
        match record:
            case r.Course():
                slug = self.source.get("course_slug") or slug_from_title(record.title)
                course = self.spec(
                    record,
                    course_models.Course,
                    "course",
                    {"slug": slug, "title": record.title, "description": record.description},
                )
                self.course_key = course.key
                # A course document's own Q&A is a collection that feeds that course.
                collection = RowSpec(
                    kind=r.QA_COLLECTION,
                    model=course_models.QACollection,
                    key=self.key(r.QA_COLLECTION, 1),
                    record=record,
                    fields={"title": record.title, "description": ""},
                    feeds_courses=[slug],
                )
                self.specs.append(collection)
                self.collection_key = collection.key
            case r.QACollection():
                collection = self.spec(
                    record,
                    course_models.QACollection,
                    1,
                    {"title": record.title, "description": record.description},
                    feeds_courses=list(self.source.get("feeds_courses", [])),
                )
                self.collection_key = collection.key
            case r.SyllabusTopic():
                self.spec(
                    record,
                    course_models.SyllabusTopic,
                    record.position,
                    {"position": record.position, "text": record.text},
                    parent_keys=self.in_course(),
                )
            case r.Outcome():
                self.spec(
                    record,
                    course_models.Outcome,
                    f"{record.category}-{record.position}",
                    {"category": record.category, "position": record.position, "text": record.text},
                    parent_keys=self.in_course(),
                )
            case r.Requirement() | r.LearningFormat():
                model = (
                    course_models.Requirement
                    if isinstance(record, r.Requirement)
                    else course_models.LearningFormat
                )
                ordinal = self.next_ordinal(record.kind)
                self.spec(
                    record,
                    model,
                    ordinal,
                    {"position": ordinal, "text": record.text},
                    parent_keys=self.in_course(),
                )
            case r.QAItem():
                ordinal = self.next_ordinal(record.kind)
                if self.collection_key is None:
                    raise ValueError(f"{self.file}: a question appears before its collection")
                self.spec(
                    record,
                    course_models.QAItem,
                    record.number or ordinal,
                    {
                        "position": ordinal,
                        "number": record.number,
                        "question": record.question,
                        "answer": record.answer,
                        "hashtags": list(record.tags),
                    },
                    parent_keys={"collection": self.collection_key},
                    topic_text=text_for_tagging(record),
                )
            case r.MCQ():
                ordinal = self.next_ordinal(record.kind)
                self.spec(
                    record,
                    assessment_models.MCQ,
                    ordinal,
                    {
                        "position": ordinal,
                        "block": record.block,
                        "question": record.question,
                        "stated_answer_text": record.stated_answer_text,
                        "answer_text_mismatch": record.stated_answer_disagrees,
                    },
                    parent_keys=self.in_course(),
                    options=[
                        (option.letter, option.text, index == record.correct_index)
                        for index, option in enumerate(record.options)
                    ],
                    topic_text=text_for_tagging(record),
                )
            case r.Ticket():
                self.spec(
                    record,
                    assessment_models.ExamTicket,
                    record.number,
                    {"number": record.number},
                    parent_keys=self.in_course(),
                )
            case r.TicketTheoryQuestion():
                self.spec(
                    record,
                    assessment_models.TicketTheoryQuestion,
                    f"{record.ticket_number}.{record.position}",
                    {
                        "position": record.position,
                        "question": record.question,
                        "reference_answer": record.reference_answer,
                    },
                    parent_keys={"ticket": self.key(r.TICKET, record.ticket_number)},
                    topic_text=text_for_tagging(record),
                )
            case r.PracticalTask():
                self.spec(
                    record,
                    assessment_models.PracticalTask,
                    record.ticket_number,
                    {
                        "text": record.text,
                        "seed_code": record.code.seed_text,
                        "restored_code": record.code.restored_text,
                        "code_restored": record.code.restored,
                        "restoration_problem": record.code.problem,
                        "notes": list(record.notes),
                    },
                    parent_keys={"ticket": self.key(r.TICKET, record.ticket_number)},
                    topic_text=text_for_tagging(record),
                )
            case r.CaseStudy():
                self.spec(
                    record,
                    course_models.CaseStudy,
                    record.number,
                    {
                        "position": record.number,
                        "number": record.number,
                        "title": record.title,
                        "sections": [_section(s) for s in record.sections],
                    },
                    parent_keys=self.in_course(),
                )
            case r.RolePlay():
                self.spec(
                    record,
                    course_models.RolePlay,
                    record.number,
                    {
                        "position": record.number,
                        "number": record.number,
                        "title": record.title,
                        "goal": record.goal,
                        "format": record.format,
                        "setting": record.setting,
                        "roles": [
                            {"title": role.title, "duties": list(role.duties)}
                            for role in record.roles
                        ],
                        "stages": [
                            {
                                "number": stage.number,
                                "title": stage.title,
                                "duration": stage.duration,
                                "text": stage.text,
                            }
                            for stage in record.stages
                        ],
                        "effects": list(record.effects),
                        "challenges": list(record.challenges),
                        "results": record.results,
                        "extra": record.extra,
                        "sections": [_section(s) for s in record.sections],
                    },
                    parent_keys=self.in_course(),
                )
            case r.MindMap():
                self.spec(
                    record,
                    course_models.MindMap,
                    record.number,
                    {
                        "position": record.number,
                        "number": record.number,
                        "title": record.title,
                        "branches_title": record.branches_title,
                        "tree": _tree(record.root),
                    },
                    parent_keys=self.in_course(),
                )
            case r.Literature():
                self.spec(
                    record,
                    course_models.LiteratureEntry,
                    record.number,
                    {
                        "position": record.number,
                        "number": record.number,
                        "title": record.title,
                        "authors": record.authors,
                        "material_type": record.material_type,
                        "citation": record.citation,
                        "details": [list(pair) for pair in record.details],
                    },
                    parent_keys=self.in_course(),
                )
            case r.RelatedCourse():
                ordinal = self.next_ordinal(record.kind)
                self.spec(
                    record,
                    course_models.RelatedCourse,
                    ordinal,
                    {
                        "position": ordinal,
                        "title": record.title,
                        "announcement": record.announcement,
                    },
                    parent_keys=self.in_course(),
                )
            case _:
                raise ValueError(f"{self.file}: no row mapping for records of kind {record.kind!r}")


def _section(section: r.Section) -> dict[str, Any]:
    return {"title": section.title, "text": section.text}


def _tree(node: r.MindMapNode) -> dict[str, Any]:
    return {"label": node.label, "line": node.line, "children": [_tree(c) for c in node.children]}
