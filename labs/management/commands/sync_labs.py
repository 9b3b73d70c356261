from django.core.management.base import BaseCommand, CommandError

from labs.catalog import CatalogError
from labs.sync import sync_labs


class Command(BaseCommand):
    help = "Create, update or retire Lab rows from the folders of labs/catalog/."

    def handle(self, *args, **options) -> None:
        try:
            report = sync_labs()
        except CatalogError as error:
            raise CommandError(f"nothing was synced: {error}") from None
        for label in ("created", "updated", "unchanged", "retired"):
            names = getattr(report, label)
            self.stdout.write(
                f"{label}: {len(names)}" + (f" ({', '.join(names)})" if names else "")
            )
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
