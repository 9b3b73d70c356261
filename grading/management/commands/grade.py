import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grading.engine import grade_source
from grading.submissions_io import SubmissionRejected, read_submission_file
from grading.text_hygiene import clean_line, clean_text
from labs.catalog import CatalogError, load_lab


class Command(BaseCommand):
    help = (
        "Grade a solution file (solution.py or solution.ipynb) of a lab synchronously, "
        "through the same sandbox and judge as the workers."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("lab_slug")
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", dest="as_json")
        parser.add_argument("--seed", type=int, default=None, help="seed of the judge's inputs")

    def handle(self, *args, lab_slug: str, file: Path, as_json: bool, seed, **options) -> None:
        try:
            lab = load_lab(lab_slug)
        except CatalogError as error:
            raise CommandError(str(error)) from None
        try:
            source = read_submission_file(file.name, file.read_bytes())
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        except SubmissionRejected as error:
            if as_json:
                refusal = {"status": "rejected", "score": 0.0, "tests": [], "message": str(error)}
                self.stdout.write(json.dumps(refusal, ensure_ascii=False))
                return
            raise CommandError(str(error)) from None
        result = grade_source(lab, source, seed=seed)
        # The engine cleaned every text of the job already; what reaches the terminal is
        # cleaned once more here, so that no escape sequence of a job can reach it.
        if as_json:
            data = result.as_json()
            data["tests"] = [
                {k: t[k] for k in ("name", "weight", "passed", "message")} for t in data["tests"]
            ]
            data = {
                key: value
                for key, value in data.items()
                if key not in ("messages", "timings", "cpu_s")
            }
            self.stdout.write(json.dumps(_clean(data), ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            clean_line(f"{lab.slug}: {result.status}, score {result.score:.0%} — {result.message}")
        )
        for test in result.tests:
            mark = "PASS" if test.passed else "FAIL"
            line = f"{mark} {test.name} (×{test.weight:g}): {test.message}"
            self.stdout.write("  " + clean_line(line))
        if result.stderr.strip():
            self.stdout.write("stderr:\n" + clean_text(result.stderr[-2000:]))


def _clean(value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {clean_line(key): _clean(item) for key, item in value.items()}
    return value
