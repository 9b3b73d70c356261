"""How each parsed record becomes a database row, through the schema of seeds/schema.py: its
model, its stable key, its fields, and the parent rows its foreign keys point to.

A key names an item by where it sits in its seed, in terms that survive edits to its text (see
seeds/schema.py). Inserting an unnumbered item shifts the ordinals after it, which the report
then shows as changed items rather than losing anything; a refused item keeps its ordinal, so
nothing after it shifts.
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

from courses import models as course_models
from seeds.parsers import records as r
from seeds.schema import BY_KIND, IN_COLLECTION, IN_COURSE, IN_TICKET
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
    # A refused item: its key is reserved (its row, if any, is kept as it is), nothing written.
    refused: bool = False

    # Fields that name seed lines (see ContentKind.positional): written, not hashed.
    positional: frozenset[str] = frozenset()

    @property
    def content_hash(self) -> str:
        payload: dict[str, Any] = {
            "fields": {k: v for k, v in self.fields.items() if k not in self.positional},
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
    """Row specs of one parsed seed, parents before children; refused items come as specs
    with ``refused`` set: their keys are reserved, nothing is written for them."""
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
        self.parents: dict[str, str] = {}

    def key(self, kind: str, ident: object) -> str:
        return f"{self.file}:{kind}:{ident}"

    def add(self, record: r.Record) -> None:
        if isinstance(record, r.RefusedItem):
            entry = BY_KIND[record.refused_kind]
            self.ordinals[entry.kind] += 1
            ident = entry.key(record, self.ordinals[entry.kind])
            self.specs.append(
                RowSpec(
                    kind=entry.kind,
                    model=entry.model,
                    key=self.key(entry.kind, ident),
                    record=record,
                    fields={},
                    refused=True,
                )
            )
            return
        entry = BY_KIND.get(record.kind)
        if entry is None:
            raise ValueError(f"{self.file}: no row mapping for records of kind {record.kind!r}")
        self.ordinals[entry.kind] += 1
        number = self.ordinals[entry.kind]
        spec = RowSpec(
            kind=entry.kind,
            model=entry.model,
            key=self.key(entry.kind, entry.key(record, number)),
            record=record,
            fields=entry.values(record, number),
            parent_keys=self.parent_keys(entry.parent, record),
            topic_text=text_for_tagging(record) if entry.tagged else "",
            positional=entry.positional,
        )
        if isinstance(record, r.MCQ):
            spec.options = [
                (option.letter, option.text, index == record.correct_index)
                for index, option in enumerate(record.options)
            ]
        if isinstance(record, r.Course):
            slug = self.source.get("course_slug") or slug_from_title(record.title)
            spec.fields["slug"] = slug
            self.parents[IN_COURSE] = spec.key
            self.specs.append(spec)
            # A course document's own Q&A is a collection that feeds that course.
            collection = RowSpec(
                kind=r.QA_COLLECTION,
                model=course_models.QACollection,
                key=self.key(r.QA_COLLECTION, 1),
                record=record,
                fields={"title": record.title, "description": ""},
                feeds_courses=[slug],
            )
            self.parents[IN_COLLECTION] = collection.key
            self.specs.append(collection)
            return
        if isinstance(record, r.QACollection):
            spec.feeds_courses = list(self.source.get("feeds_courses", []))
            self.parents[IN_COLLECTION] = spec.key
        self.specs.append(spec)

    def parent_keys(self, parent: str, record: r.Record) -> dict[str, str]:
        if not parent:
            return {}
        if parent == IN_TICKET:
            return {"ticket": self.key(r.TICKET, record.ticket_number)}  # type: ignore[attr-defined]
        key = self.parents.get(parent)
        if key is None:
            raise ValueError(f"{self.file}: a {record.kind} appears before its {parent}")
        return {parent: key}
