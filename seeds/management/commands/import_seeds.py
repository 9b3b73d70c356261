import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from seeds.imports import record_run
from seeds.loader import default_seed_paths, import_parsed, parse_paths
from seeds.models import ImportRun
from seeds.parsers import SeedError


class Command(BaseCommand):
    help = (
        "Import seed documents (default: seeds/data/*.txt) in one transaction; "
        "importing the same files again changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="*", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, write nothing"
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the report as JSON"
        )

    def handle(self, *args, files: list[Path], dry_run: bool, as_json: bool, **options) -> None:
        paths = files or default_seed_paths(settings.SEED_DATA_DIR)
        if not paths:
            raise CommandError(f"no seed files in {settings.SEED_DATA_DIR}")
        try:
            report = import_parsed(parse_paths(paths), dry_run=dry_run)
        except SeedError as error:
            record_run(ImportRun.Status.FAILED, [p.name for p in paths], error=str(error))
            raise CommandError(f"nothing was imported: {error}") from None
        record_run(
            ImportRun.Status.DRY_RUN if dry_run else ImportRun.Status.APPLIED,
            [p.name for p in paths],
            report=report.as_dict(),
        )
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(report.as_text())
