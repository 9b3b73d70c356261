"""`manage.py lab_margins LAB [--seeds N] [--file F] [--json]`: grade a lab's reference (or a
given file) on N draws through the real sandbox and report, per test, how often it passed and
its worst margin (the judge's distance to the threshold, ``Verdict.with_margin``), the figures
from which a lab's thresholds are chosen and which its author reports."""

import json
import statistics
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grading.engine import grade_source
from labs.catalog import CatalogError, load_lab


class Command(BaseCommand):
    help = "Grade a lab's reference on many draws and report each test's worst margin."

    def add_arguments(self, parser) -> None:
        parser.add_argument("lab_slug")
        parser.add_argument("--seeds", type=int, default=10, help="draws (seeds 0..N-1)")
        parser.add_argument("--file", type=Path, default=None, help="grade this file instead")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, lab_slug: str, seeds: int, file, as_json: bool, **options) -> None:
        try:
            lab = load_lab(lab_slug)
        except CatalogError as error:
            raise CommandError(str(error)) from None
        path = file or lab.folder / "reference.py"
        source = path.read_text(encoding="utf-8")
        passes: dict[str, int] = {test.name: 0 for test in lab.tests}
        margins: dict[str, list[float]] = {test.name: [] for test in lab.tests}
        durations, scores = [], []
        for seed in range(seeds):
            started = time.perf_counter()
            result = grade_source(lab, source, seed=seed)
            durations.append(time.perf_counter() - started)
            scores.append(result.score)
            for test in result.tests:
                passes[test.name] += test.passed
                if test.margin is not None:
                    margins[test.name].append(test.margin)
        report = {
            "lab": lab.slug,
            "file": str(path),
            "seeds": seeds,
            "scores": {"min": min(scores), "median": statistics.median(scores)},
            "graded_s": {"median": round(statistics.median(durations), 3),
                         "max": round(max(durations), 3)},
            "tests": {
                name: {
                    "passed": passes[name],
                    "worst_margin": min(values) if values else None,
                    "median_margin": statistics.median(values) if values else None,
                }
                for name, values in margins.items()
            },
        }  # fmt: skip
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(
            f"{lab.slug}: {path.name} on {seeds} draws, score min {min(scores):.0%}, graded "
            f"in {report['graded_s']['median']:.2f} s (median), {report['graded_s']['max']:.2f} s"
            " (max)"
        )
        for name, row in report["tests"].items():
            worst = row["worst_margin"]
            margin = "no margin reported" if worst is None else f"worst margin {worst:.4g}"
            self.stdout.write(f"  {name}: passed {row['passed']}/{seeds}, {margin}")
