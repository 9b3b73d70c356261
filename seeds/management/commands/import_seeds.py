import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from seeds.imports import error_text, record_run
from seeds.loader import default_seed_paths, import_parsed, parse_paths
from seeds.models import ImportRun
from seeds.parsers import SeedError


class Command(BaseCommand):
    help = (
        "Import seed documents (default: seeds/data/*.txt) in one transaction; "
        "importing the same files again changes nothing. The practical tasks' reference code "
        "is run in the sandbox to check it (--no-run-code skips that)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="*", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, write nothing"
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the report as JSON"
        )
        parser.add_argument(
            "--no-run-code",
            action="store_false",
            dest="run_code",
            help="do not run the reference code in the sandbox (faster; its checks are skipped)",
        )

    def handle(
        self,
        *args,
        files: list[Path],
        dry_run: bool,
        as_json: bool,
        run_code: bool,
        **options,
    ) -> None:
        paths = files or default_seed_paths(settings.SEED_DATA_DIR)
        if not paths:
            raise CommandError(
                _("no seed files in %(directory)s") % {"directory": settings.SEED_DATA_DIR}
            )
        try:
            report = import_parsed(parse_paths(paths), dry_run=dry_run, run_code=run_code)
        except SeedError as error:
            text = error_text(error)
            record_run(ImportRun.Status.FAILED, [p.name for p in paths], error=text)
            raise CommandError(_("nothing was imported: %(error)s") % {"error": text}) from None
        record_run(
            ImportRun.Status.DRY_RUN if dry_run else ImportRun.Status.APPLIED,
            [p.name for p in paths],
            report=report.as_dict(),
        )
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(report.as_text())
