"""`manage.py provision_datasets`: fill or report the worker's dataset store (DATASET_DIR).

    provision_datasets                  what is present (same as --status)
    provision_datasets --status [--verify]
    provision_datasets --from DIR [--only mnist,cifar10]
    provision_datasets --generate [--seed N] [--only ...] [--force] [--if-empty] [--full-size]
    provision_datasets --run-view       build the store's run view if it is missing or stale

See labs/dataset_store.py for the checks and the all-or-nothing installation. The command
lives in grading (which mounts the store into jobs) since labs must not import grading.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from grading.lab_mounts import store_refusal


class Command(BaseCommand):
    help = (
        "Install the lab datasets into DATASET_DIR from files copied into a directory (checked "
        "against their published checksums), or write generated stand-ins; report what is there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--from",
            dest="source",
            metavar="DIR",
            help="install the real sets found in DIR (a torchvision data root, "
            "cifar-10-python.tar.gz, scikit-learn's sklearn/datasets/data files)",
        )
        action.add_argument(
            "--generate", action="store_true", help="write generated sets where a set is missing"
        )
        action.add_argument(
            "--run-view",
            action="store_true",
            help="build the run view (the store without the held-out test splits, what learner "
            "code sees) if it is missing or stale; installing and generating do it too",
        )
        action.add_argument("--status", action="store_true", help="report (the default)")
        parser.add_argument("--only", help="comma-separated set names (default: all)")
        parser.add_argument("--seed", type=int, default=0, help="--generate: the seed")
        parser.add_argument(
            "--force", action="store_true", help="--generate: replace sets already present"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="--generate: do nothing unless the store holds no set at all",
        )
        parser.add_argument(
            "--full-size",
            action="store_true",
            help="--generate: image sets as large as the real ones (60000/10000, 50000/10000)",
        )
        parser.add_argument(
            "--verify", action="store_true", help="--status: re-hash and read back every set"
        )
        parser.add_argument("--store", help="the store (default: DATASET_DIR)")

    def handle(self, *args, **options) -> None:
        from labs import dataset_store

        store = Path(options["store"] or settings.DATASET_DIR)
        names = [n.strip() for n in options["only"].split(",")] if options["only"] else None
        say = self.stdout.write
        try:
            if options["source"]:
                report = dataset_store.install_published(
                    Path(options["source"]), store, names, say=say
                )
                self._report(report, "installed")
            elif options["generate"]:
                if options["if_empty"] and not dataset_store.store_is_empty(store):
                    say(f"{store} already holds datasets; nothing generated.")
                    return
                from labs.synthetic_datasets import FULL_SIZES

                report = dataset_store.generate(
                    store,
                    seed=options["seed"],
                    names=names,
                    replace=options["force"],
                    sizes=FULL_SIZES if options["full_size"] else None,
                    say=say,
                )
                self._report(report, "generated")
            elif options["run_view"]:
                dataset_store.ensure_run_view(store)
        except dataset_store.ProvisionError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"{store}: {error}") from None
        self._status(store, options["verify"])

    def _report(self, report, verb: str) -> None:
        if report.installed:
            self.stdout.write(self.style.SUCCESS(f"{verb}: {', '.join(report.installed)}"))
        for name, why in report.skipped.items():
            self.stdout.write(f"skipped {name}: {why}")

    def _status(self, store: Path, verify: bool) -> None:
        from labs import dataset_store
        from labs.labkit.datasets import STORE_PATH

        self.stdout.write(
            f"Dataset store: {store} (grading jobs see it read-only at {STORE_PATH}; learner "
            "code sees its run view)"
        )
        problem = store_refusal(store)
        if problem:
            self.stdout.write(self.style.ERROR(f"  the sandbox will not mount it: {problem}"))
        header = f"  {'set':<14} {'state':<11} {'source':<10} {'train':>6} {'test':>6} {'size':>9}"
        self.stdout.write(header)
        for item in dataset_store.status(store, verify=verify):
            size = f"{item.size_bytes / 1e6:.1f} MB" if item.state != "missing" else ""
            line = (
                f"  {item.name:<14} {item.state:<11} {item.source or '-':<10} "
                f"{item.counts.get('train', ''):>6} {item.counts.get('test', ''):>6} {size:>9}"
            )
            style = self.style.SUCCESS if item.state == "installed" else self.style.WARNING
            self.stdout.write(style(line) if not item.problems else self.style.ERROR(line))
            for problem in item.problems:
                self.stdout.write(f"      {problem}")
        self._run_view_status(store)

    def _run_view_status(self, store: Path) -> None:
        """The run view is not a set: one line on whether learner code sees the store as it
        is (without its held-out files)."""
        from labs import dataset_store
        from labs.labkit.datasets import LAYOUTS, held_out_files

        if not store.is_dir():
            return
        held_out = ", ".join(name for name, layout in LAYOUTS.items() if held_out_files(layout))
        line = f"  run view {dataset_store.RUN_VIEW_DIR} (no test split of {held_out}): "
        if dataset_store.run_view_is_fresh(store):
            self.stdout.write(self.style.SUCCESS(line + "up to date"))
        else:
            self.stdout.write(
                self.style.WARNING(
                    line + "missing or stale; the next grading job rebuilds it where it can "
                    "write the store, --run-view does it now"
                )
            )
