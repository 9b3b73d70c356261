"""Write parsed seeds to the database: one transaction, idempotent, nothing lost.

1. Every file is parsed before anything is written; a `SeedError` in any file stops the whole
   import with the file and line, and the database stays exactly as it was.
2. Each record becomes a `RowSpec` (seeds/rows.py) with a stable key. Rows of the imported
   files are loaded once per model; a spec whose key is unknown creates a row (new), one whose
   content hash differs updates the row in place (changed), the rest are unchanged.
3. Rows of the imported files whose keys the seed no longer has are retired, never deleted:
   attempts, flashcards and submissions may refer to them.
4. A refused item (an MCQ without four options and one key) writes nothing: its key is
   reserved, so the row it had, if any, stays exactly as it was, neither updated nor retired.
5. Topics are synced from seeds/topic_rules.toml and every taggable item gets its topics; Q&A
   items that ask the same question in different seeds are linked as "see also".
6. With ``run_code``, the reference code of the practical tasks is run in the sandbox first
   (seeds/reference_runs.py); what it finds is reported and kept on the tasks' rows.
7. A dry run does all of the above and rolls the transaction back, so its report is exact.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from assessments import models as assessment_models
from courses import models as course_models
from seeds.duplicates import DuplicateCandidate, find_near_duplicates
from seeds.parsers import ParsedSeed, SeedError, parse_seed, parse_seed_bytes
from seeds.parsers import records as r
from seeds.parsers.messages import gettext_noop
from seeds.report import UNKNOWN_COURSE, ImportReport
from seeds.rows import RowSpec, build_row_specs, load_sources
from seeds.schema import KIND_OF_MODEL, SEED_MODELS, TAGGED_MODELS, warning_as_dict
from seeds.tagging import load_topic_rules, topics_for

__all__ = ["KIND_OF_MODEL", "SEED_MODELS", "TAGGED_MODELS", "SeedInput", "import_parsed"]

DEFAULT_SEED_GLOB = "*.txt"


@dataclass(frozen=True)
class SeedInput:
    """One file to import: its base name and its bytes."""

    name: str
    data: bytes


def default_seed_paths(seed_dir: Path) -> list[Path]:
    return sorted(seed_dir.glob(DEFAULT_SEED_GLOB))


def parse_inputs(inputs: Sequence[SeedInput]) -> list[ParsedSeed]:
    """Parse every input; the first `SeedError` stops everything."""
    names = [item.name for item in inputs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SeedError(duplicates[0], 0, gettext_noop("the same file name is given twice"))
    return [parse_seed_bytes(item.name, item.data) for item in inputs]


def parse_paths(paths: Iterable[Path]) -> list[ParsedSeed]:
    parsed = [parse_seed(path) for path in paths]
    names = [seed.file for seed in parsed]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SeedError(duplicates[0], 0, gettext_noop("the same file name is given twice"))
    return parsed


def import_parsed(
    parsed: Sequence[ParsedSeed], *, dry_run: bool = False, run_code: bool = False
) -> ImportReport:
    """Write parsed seeds in one transaction (rolled back for a dry run) and report.
    ``run_code`` also runs the practical tasks' reference code in the sandbox (seconds)."""
    if not parsed:
        raise SeedError("-", 0, gettext_noop("no seed files to import"))
    started = time.perf_counter()
    report = ImportReport(dry_run=dry_run)
    sources = load_sources()
    specs_by_file = {seed.file: build_row_specs(seed, sources) for seed in parsed}
    for seed in parsed:
        report.add_parsed(seed)
    runs = None
    if run_code:
        from seeds.reference_runs import run_reference_code

        runs = run_reference_code(parsed)
        for findings in runs.findings.values():
            for warning in findings:
                report.add_warning(warning)
        for warning in runs.warnings:
            report.add_warning(warning)
    with transaction.atomic():
        writer = _Writer(report, files=list(specs_by_file))
        for specs in specs_by_file.values():
            for spec in specs:
                writer.write(spec)
        if runs is not None:
            writer.keep_run_findings(runs.findings)
        writer.retire_missing()
        writer.link_collections_to_courses()
        writer.tag_topics()
        writer.link_see_also()
        if dry_run:
            transaction.set_rollback(True)
    report.duration_s = time.perf_counter() - started
    return report


class _Writer:
    def __init__(self, report: ImportReport, files: list[str]) -> None:
        self.report = report
        self.files = files
        self.now = timezone.now()
        self.existing: dict[type[models.Model], dict[str, models.Model]] = {}
        self.written: dict[str, models.Model] = {}
        self.seen_keys: set[str] = set()
        self.feeds: dict[str, list[str]] = {}
        self.topic_texts: dict[type[models.Model], dict[int, str]] = defaultdict(dict)

    def rows_of(self, model: type[models.Model]) -> dict[str, models.Model]:
        if model not in self.existing:
            self.existing[model] = {
                row.seed_key: row for row in model.objects.filter(source_file__in=self.files)
            }
        return self.existing[model]

    def parent_id(self, key: str) -> int:
        row = self.written.get(key)
        if row is None:
            raise SeedError(
                key.split(":", 1)[0],
                0,
                gettext_noop("%(key)s refers to an item that is missing"),
                key=key,
            )
        return row.pk

    def write(self, spec: RowSpec) -> None:
        record = spec.record
        if spec.refused:
            # Nothing is written; the row this key had, if any, is kept as it was.
            self.seen_keys.add(spec.key)
            self.report.count_change(record.source_file, spec.kind, "refused")
            return
        values: dict[str, Any] = {
            **spec.fields,
            **{f"{name}_id": self.parent_id(key) for name, key in spec.parent_keys.items()},
            "source_file": record.source_file,
            "source_first_line": record.first_line,
            "source_last_line": record.last_line,
            "content_hash": spec.content_hash,
            "retired_at": None,
        }
        row = self.rows_of(spec.model).get(spec.key)
        if row is None:
            row = spec.model.objects.create(seed_key=spec.key, **values)
            status = "new"
        elif row.content_hash != spec.content_hash or row.retired_at is not None:
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
            status = "changed"
        else:
            moved = {
                name: values[name]
                for name in ("source_first_line", "source_last_line", *spec.positional)
                if getattr(row, name) != values[name]
            }
            if moved:  # only the lines moved: keep the row current, it is not a change
                spec.model.objects.filter(pk=row.pk).update(**moved)
            status = "unchanged"
        if spec.options and status != "unchanged":
            _write_options(row, spec.options)
        if spec.feeds_courses:
            self.feeds[spec.key] = spec.feeds_courses
        if spec.topic_text:
            self.topic_texts[spec.model][row.pk] = spec.topic_text
        self.written[spec.key] = row
        self.seen_keys.add(spec.key)
        self.report.count_change(record.source_file, spec.kind, status)

    def keep_run_findings(self, findings: dict[tuple[str, int], list[r.SeedWarning]]) -> None:
        """Keep what the sandbox run found on each task's row (outside its content hash)."""
        for key, row in self.written.items():
            if not isinstance(row, assessment_models.PracticalTask):
                continue
            file, _, number = key.split(":", 2)
            found = findings.get((file, int(number)))
            if found is None:
                continue
            assessment_models.PracticalTask.objects.filter(pk=row.pk).update(
                run_findings=[warning_as_dict(w) for w in found], run_checked_at=self.now
            )

    def retire_missing(self) -> None:
        for model in SEED_MODELS:
            for key, row in self.rows_of(model).items():
                if key in self.seen_keys or row.retired_at is not None:
                    continue
                model.objects.filter(pk=row.pk).update(retired_at=self.now)
                self.report.count_change(row.source_file, KIND_OF_MODEL[model], "retired")

    def link_collections_to_courses(self) -> None:
        courses = {course.slug: course for course in course_models.Course.objects.live()}
        for key, slugs in self.feeds.items():
            collection = self.written[key]
            wanted = [courses[slug] for slug in slugs if slug in courses]
            for slug in slugs:
                if slug not in courses:
                    self.report.warn(
                        collection.source_file,
                        collection.source_first_line,
                        "unknown_course",
                        UNKNOWN_COURSE,
                        slug=slug,
                    )
            if not slugs:  # a list nobody configured feeds every course
                wanted = list(courses.values())
            collection.courses.set(wanted)

    def tag_topics(self) -> None:
        rules = load_topic_rules()
        topics = {}
        for position, rule in enumerate(rules):
            topic, _ = course_models.Topic.objects.update_or_create(
                slug=rule.slug,
                defaults={"name": rule.name, "name_en": rule.name_en, "position": position},
            )
            topics[rule.slug] = topic
        for model in TAGGED_MODELS:
            texts = self.topic_texts.get(model, {})
            if not texts:
                continue
            through = model.topics.through
            owner = f"{model._meta.model_name}_id"
            current: dict[int, set[int]] = defaultdict(set)
            for owner_id, topic_id in through.objects.filter(**{f"{owner}__in": texts}).values_list(
                owner, "topic_id"
            ):
                current[owner_id].add(topic_id)
            to_add, to_remove = [], []
            for owner_id, text in texts.items():
                wanted = {topics[slug].pk for slug in topics_for(text, rules)}
                to_add += [
                    through(**{owner: owner_id, "topic_id": topic_id})
                    for topic_id in wanted - current[owner_id]
                ]
                to_remove += [(owner_id, topic_id) for topic_id in current[owner_id] - wanted]
            through.objects.bulk_create(to_add)
            for owner_id, topic_id in to_remove:
                through.objects.filter(**{owner: owner_id, "topic_id": topic_id}).delete()

    def link_see_also(self) -> None:
        """Link every live question to its near-duplicates in other seeds, exactly."""
        qa_rows = course_models.QAItem.objects.live().values_list("id", "source_file", "question")
        theory_rows = assessment_models.TicketTheoryQuestion.objects.live().values_list(
            "id", "source_file", "question"
        )
        # A Q&A item and a ticket question of one course may ask the same thing: compare
        # across kinds within a file too (the section), never two items of one kind and file.
        candidates = [DuplicateCandidate(f"qa:{i}", f, q, section="qa") for i, f, q in qa_rows]
        candidates += [
            DuplicateCandidate(f"theory:{i}", f, q, section="theory") for i, f, q in theory_rows
        ]
        qa_pairs: set[tuple[int, int]] = set()
        theory_pairs: set[tuple[int, int]] = set()
        for first, second, _score in find_near_duplicates(candidates):
            (kind_a, id_a), (kind_b, id_b) = sorted(
                (k.split(":")[0], int(k.split(":")[1])) for k in (first, second)
            )
            if kind_a == kind_b == "qa":
                qa_pairs |= {(id_a, id_b), (id_b, id_a)}  # symmetrical: both directions
            elif kind_a == "qa":
                theory_pairs.add((id_b, id_a))
            # two theory questions alike: tickets keep their own questions, nothing to link
        _set_pairs(
            course_models.QAItem.see_also.through, "from_qaitem_id", "to_qaitem_id", qa_pairs
        )
        _set_pairs(
            assessment_models.TicketTheoryQuestion.see_also.through,
            "tickettheoryquestion_id",
            "qaitem_id",
            theory_pairs,
        )


def _set_pairs(through: type[models.Model], left: str, right: str, wanted: set) -> None:
    current = set(through.objects.values_list(left, right))
    stale = current - wanted
    for a, b in stale:
        through.objects.filter(**{left: a, right: b}).delete()
    through.objects.bulk_create([through(**{left: a, right: b}) for a, b in wanted - current])


def _write_options(mcq: models.Model, options: list[tuple[str, str, bool]]) -> None:
    """Update options in place by position (answers of attempts may point at them)."""
    existing = {option.position: option for option in mcq.options.all()}
    # At most one option may be correct at any moment: clear first, then set.
    mcq.options.filter(is_correct=True).update(is_correct=False)
    for position, (letter, text, is_correct) in enumerate(options, start=1):
        option = existing.pop(position, None)
        if option is None:
            assessment_models.MCQOption.objects.create(
                mcq=mcq, position=position, letter=letter, text=text, is_correct=is_correct
            )
        else:
            option.letter, option.text, option.is_correct = letter, text, is_correct
            option.save(update_fields=["letter", "text", "is_correct"])
    for option in existing.values():
        option.delete()
