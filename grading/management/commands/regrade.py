import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from grading.regrading import request_regrade
from labs.models import Lab


def parse_since(text: str) -> datetime.datetime:
    """A date (2026-11-20, from its midnight) or a date and time, in the site's time zone."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--since: expected a date like 2026-11-20 or 2026-11-20T14:00, got {text!r}"
        ) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "Re-run a lab's graded submissions through its current judge (lab.toml's judge_version) "
        "in the low-priority regrade queue. The new results are kept beside the original ones; "
        "running it again queues nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("lab_slug")
        parser.add_argument(
            "--since",
            type=parse_since,
            default=None,
            help="only submissions sent on or after this date (YYYY-MM-DD)",
        )
        parser.add_argument("--dry-run", action="store_true",
                            help="count what would be queued, queue nothing")  # fmt: skip

    def handle(self, *args, lab_slug: str, since, dry_run: bool, **options) -> None:
        lab = Lab.objects.filter(slug=lab_slug).first()
        if lab is None:
            raise CommandError(f"no lab {lab_slug!r} (run sync_labs after changing the catalogue)")
        report = request_regrade(lab, since=since, dry_run=dry_run)
        verb = "would queue" if dry_run else "queued"
        new = (report.candidates - report.already) if dry_run else len(report.queued)
        self.stdout.write(
            f"{lab.slug}: judge version {report.judge_version}; {report.candidates} submission(s) "
            f"graded by an older judge; {verb} {new}, {report.already} already regraded or queued"
        )
