import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grading.sandbox import Limits, SandboxJob, run_job_fresh
from grading.text_hygiene import clean_outcome


class Command(BaseCommand):
    help = "Run any Python file in the sandbox under the default limits and print the outcome."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, file: Path, as_json: bool, **options) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        # A fresh interpreter: one run does not pay for warming up a zygote it won't reuse.
        outcome = run_job_fresh(SandboxJob(files={"main.py": data}, entry="main.py",
                                           limits=Limits()))  # fmt: skip
        # What the job printed may hold escape sequences or undecodable bytes: cleaned before
        # it reaches the terminal or the JSON.
        outcome = clean_outcome(outcome)
        report = {
            "exit_code": outcome.exit_code,
            "signal": outcome.signal,
            "limit_hit": outcome.limit_hit,
            "stdout": outcome.stdout,
            "stderr": outcome.stderr,
            "duration_s": round(outcome.duration_s, 3),
        }
        if as_json:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"exit code {report['exit_code']}, signal {report['signal']}, "
            f"limit hit {report['limit_hit']}, {report['duration_s']} s"
        )
        if outcome.stdout:
            self.stdout.write("--- stdout\n" + outcome.stdout)
        if outcome.stderr:
            self.stdout.write("--- stderr\n" + outcome.stderr)
