import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from seeds.export import export_items


class Command(BaseCommand):
    help = "Write every imported item as JSON (kind, source file and lines, fields)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--course", help="only the items of the course with this slug")
        parser.add_argument("--output", type=Path, help="a file to write (default: stdout)")

    def handle(self, *args, course: str | None, output: Path | None, **options) -> None:
        if course and not Course.objects.filter(slug=course).exists():
            known = ", ".join(Course.objects.values_list("slug", flat=True)) or "none imported"
            raise CommandError(f"no course {course!r} (courses: {known})")
        items = list(export_items(course))
        text = json.dumps(items, ensure_ascii=False, indent=2, default=str)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
            self.stderr.write(f"{len(items)} items written to {output}")
        else:
            sys.stdout.write(text + "\n")
