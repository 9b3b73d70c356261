"""The report of an import: what each file holds, what changed against the database, and
every warning with its file and line. Printed by `import_seeds`, shown by the admin page,
kept in ImportRun.report and printed as JSON with `--json`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from seeds.parsers import ParsedSeed

CHANGE_STATUSES = ("new", "changed", "unchanged", "retired")


@dataclass
class ImportReport:
    dry_run: bool
    # file -> kind -> number of items the seed holds
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # file -> kind -> status -> number of rows
    changes: dict[str, dict[str, dict[str, int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: dict.fromkeys(
            CHANGE_STATUSES, 0
        )))
    )  # fmt: skip
    warnings: list[dict[str, Any]] = field(default_factory=list)
    layouts: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0

    def add_parsed(self, seed: ParsedSeed) -> None:
        self.counts[seed.file] = dict(sorted(seed.count_by_kind().items()))
        self.layouts[seed.file] = seed.layout
        for warning in seed.warnings:
            self.warn(warning.file, warning.line, warning.code, warning.message)
        uncovered = seed.uncovered_lines()
        if uncovered:
            self.warn(
                seed.file,
                uncovered[0],
                "unparsed_lines",
                f"{len(uncovered)} lines belong to no item: {_ranges(uncovered)}",
            )

    def warn(self, file: str, line: int, code: str, message: str) -> None:
        self.warnings.append({"file": file, "line": line, "code": code, "message": message})

    def count_change(self, file: str, kind: str, status: str) -> None:
        self.changes[file][kind][status] += 1

    def totals(self) -> dict[str, dict[str, int]]:
        """kind -> status -> number, over all files."""
        totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CHANGE_STATUSES, 0))
        for kinds in self.changes.values():
            for kind, statuses in kinds.items():
                for status, number in statuses.items():
                    totals[kind][status] += number
        return {kind: totals[kind] for kind in sorted(totals)}

    @property
    def changed_anything(self) -> bool:
        return any(
            statuses[status]
            for statuses in self.totals().values()
            for status in ("new", "changed", "retired")
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "files": {
                name: {
                    "layout": self.layouts.get(name, ""),
                    "counts": self.counts.get(name, {}),
                    "changes": {k: dict(v) for k, v in sorted(self.changes.get(name, {}).items())},
                }
                for name in sorted(set(self.counts) | set(self.changes))
            },
            "totals": self.totals(),
            "warnings": self.warnings,
            "duration_s": round(self.duration_s, 3),
        }

    def as_text(self) -> str:
        lines = ["DRY RUN: nothing was written." if self.dry_run else "Import applied."]
        for name, data in self.as_dict()["files"].items():
            counts = ", ".join(f"{kind} {number}" for kind, number in data["counts"].items())
            lines.append(f"{name} ({data['layout']}): {counts}")
        lines.append("Against the database:")
        for kind, statuses in self.totals().items():
            summary = ", ".join(f"{status} {number}" for status, number in statuses.items())
            lines.append(f"  {kind:<24} {summary}")
        lines.append(f"Warnings ({len(self.warnings)}):")
        lines += [f"  {w['file']}:{w['line']}: [{w['code']}] {w['message']}" for w in self.warnings]
        lines.append(f"Took {self.duration_s:.2f} s.")
        return "\n".join(lines)


def _ranges(numbers: list[int]) -> str:
    spans, start, previous = [], numbers[0], numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        spans.append(f"{start}" if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(spans)
