"""Keep the Lab rows in step with the catalogue folders (`manage.py sync_labs`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from courses.models import Course, Topic
from labs.catalog import LabSpec, load_catalog
from labs.models import Lab


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _test_entry(test) -> dict:
    """A test as stored with the lab: its title in the site's language and in every one."""
    titles = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            titles[code] = str(test.title)
    return {
        "name": test.name,
        "weight": test.weight,
        "title": titles.get(settings.LANGUAGE_CODE, test.name),
        "titles": titles,
        "kind": test.kind,
    }


@transaction.atomic
def sync_labs(specs: list[LabSpec] | None = None) -> SyncReport:
    specs = load_catalog() if specs is None else specs
    report = SyncReport()
    courses = {course.slug: course for course in Course.objects.all()}
    topics = {topic.slug: topic for topic in Topic.objects.all()}
    existing = {lab.slug: lab for lab in Lab.objects.all()}
    for spec in specs:
        course = courses.get(spec.course_slug)
        if course is None:
            report.warnings.append(
                f"{spec.slug}: course {spec.course_slug!r} is not imported yet (import_seeds)"
            )
        values = {
            "title": spec.title,
            "course": course,
            "ticket_number": spec.ticket,
            "device": spec.device,
            "statement": spec.statement,
            "starter_code": spec.starter_code,
            "limits": spec.limits,
            "tests": [_test_entry(test) for test in spec.tests],
            "judge_version": spec.judge_version,
            "catalog_hash": spec.content_hash(),
            "retired_at": None,
        }
        lab = existing.pop(spec.slug, None)
        if lab is None:
            lab = Lab.objects.create(slug=spec.slug, **values)
            report.created.append(spec.slug)
        elif lab.catalog_hash != values["catalog_hash"] or lab.course != course or lab.retired_at:
            for name, value in values.items():
                setattr(lab, name, value)
            lab.save()
            report.updated.append(spec.slug)
        else:
            report.unchanged.append(spec.slug)
        missing = [slug for slug in spec.topics if slug not in topics]
        if missing and topics:
            report.warnings.append(f"{spec.slug}: unknown topics {missing}")
        lab.topics.set([topics[slug] for slug in spec.topics if slug in topics])
    for slug, lab in existing.items():
        if lab.retired_at is None:
            lab.retired_at = timezone.now()
            lab.save(update_fields=["retired_at"])
            report.retired.append(slug)
    return report
