"""The report of an import: what each file holds, what changed against the database, the
reactions kept from the Telegram posts, and every warning with its file and line. Printed by
`import_seeds`, shown by the admin page, kept in ImportRun.report and printed as JSON with
`--json`.

A warning is kept as {"file", "line", "code", "message", "detail"}: ``message`` is English
(stable for scripts), ``detail`` its msgid and parameters, which ``translate`` renders in the
active language wherever a person reads it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.stored_messages import render_message
from seeds.parsers import ParsedSeed
from seeds.parsers import messages as parser_messages
from seeds.parsers import records as r
from seeds.parsers.messages import Message, gettext_noop

CHANGE_STATUSES = ("new", "changed", "unchanged", "retired", "refused")
STATUS_LABELS = {
    "new": _("new"),
    "changed": _("changed"),
    "unchanged": _("unchanged"),
    "retired": _("retired"),
    "refused": _("refused"),
}


def translate(message: Message | Mapping[str, Any]) -> str:
    """A parser's message in the active language (nested messages too)."""
    if isinstance(message, Message):
        message = message.as_dict()
    return render_message(message)


def warning_text(warning: Mapping[str, Any]) -> str:
    """A report warning in the active language (reports written before `detail` existed
    keep their English message)."""
    detail = warning.get("detail")
    return translate(detail) if detail else str(warning.get("message", ""))


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
    # file -> {"posts": posts with reactions, "total": reactions, "by_emoji": {emoji: n}}
    reactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    layouts: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0

    def add_parsed(self, seed: ParsedSeed) -> None:
        counts = Counter(record.kind for record in seed.all_records())
        counts.pop(r.REFUSED, None)  # counted per kind under changes/"refused"
        self.counts[seed.file] = dict(sorted(counts.items()))
        self.layouts[seed.file] = seed.layout
        self._add_reactions(seed)
        for warning in seed.warnings:
            self.add_warning(warning)
        uncovered = seed.uncovered_lines()
        if uncovered:
            self.warn(
                seed.file,
                uncovered[0],
                "unparsed_lines",
                parser_messages.ngettext(
                    "%(count)d line belongs to no item: %(lines)s",
                    "%(count)d lines belong to no item: %(lines)s",
                    len(uncovered),
                ),
                count=len(uncovered),
                lines=_ranges(uncovered),
            )

    def _add_reactions(self, seed: ParsedSeed) -> None:
        posts = [
            record
            for record in seed.of_kind(r.QA)
            if isinstance(record, r.QAItem) and record.reactions
        ]
        if not posts:
            return
        by_emoji: Counter[str] = Counter()
        for post in posts:
            for reaction in post.reactions:
                by_emoji[reaction.emoji or "?"] += reaction.count
        self.reactions[seed.file] = {
            "posts": len(posts),
            "total": sum(by_emoji.values()),
            "by_emoji": dict(by_emoji.most_common()),
        }

    def add_warning(self, warning: r.SeedWarning) -> None:
        self.warnings.append(
            {
                "file": warning.file,
                "line": warning.line,
                "code": warning.code,
                "message": warning.message,
                "detail": warning.detail.as_dict(),
            }
        )

    def warn(self, file: str, line: int, code: str, message: Any, **params: Any) -> None:
        self.add_warning(r.seed_warning(file, line, code, message, params=params))

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

    def warning_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(w["code"] for w in self.warnings).items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "files": {
                name: {
                    "layout": self.layouts.get(name, ""),
                    "counts": self.counts.get(name, {}),
                    "changes": {k: dict(v) for k, v in sorted(self.changes.get(name, {}).items())},
                    **({"reactions": self.reactions[name]} if name in self.reactions else {}),
                }
                for name in sorted(set(self.counts) | set(self.changes))
            },
            "totals": self.totals(),
            "warning_counts": self.warning_counts(),
            "warnings": self.warnings,
            "duration_s": round(self.duration_s, 3),
        }

    def as_text(self) -> str:
        """The report for a person, in the active language."""
        from seeds.schema import kind_label

        lines = [
            gettext("DRY RUN: nothing was written.") if self.dry_run else gettext("Import applied.")
        ]
        for name, data in self.as_dict()["files"].items():
            counts = ", ".join(
                f"{kind_label(kind)} {number}" for kind, number in data["counts"].items()
            )
            lines.append(f"{name} ({data['layout']}): {counts}")
            if "reactions" in data:
                reactions = data["reactions"]
                lines.append(
                    "  "
                    + ngettext(
                        "reactions under %(posts)d post: %(emoji)s",
                        "reactions under %(posts)d posts: %(emoji)s",
                        reactions["posts"],
                    )
                    % {
                        "posts": reactions["posts"],
                        "emoji": " ".join(f"{e}{n}" for e, n in reactions["by_emoji"].items()),
                    }
                )
        lines.append(gettext("Against the database:"))
        for kind, statuses in self.totals().items():
            summary = ", ".join(
                f"{STATUS_LABELS[status]} {number}" for status, number in statuses.items()
            )
            lines.append(f"  {kind_label(kind):<32} {summary}")
        lines.append(
            ngettext("%(count)d warning:", "%(count)d warnings:", len(self.warnings))
            % {"count": len(self.warnings)}
        )
        lines += [
            f"  {w['file']}:{w['line']}: [{w['code']}] {warning_text(w)}" for w in self.warnings
        ]
        lines.append(gettext("Took %(seconds).2f s.") % {"seconds": self.duration_s})
        return "\n".join(lines)


def for_display(report: Mapping[str, Any]) -> dict[str, Any]:
    """A stored report (ImportRun.report) as a person reads it: kinds by their names,
    warnings in the active language."""
    from seeds.schema import kind_label

    files = [
        {
            "name": name,
            "layout": data.get("layout", ""),
            "counts": [
                (kind_label(kind), number) for kind, number in data.get("counts", {}).items()
            ],
            "reactions": data.get("reactions"),
        }
        for name, data in report.get("files", {}).items()
    ]
    totals = [
        (kind_label(kind), [statuses.get(status, 0) for status in CHANGE_STATUSES])
        for kind, statuses in report.get("totals", {}).items()
    ]
    warnings = [
        {**warning, "text": warning_text(warning)} for warning in report.get("warnings", [])
    ]
    return {
        "dry_run": report.get("dry_run", False),
        "files": files,
        "statuses": [STATUS_LABELS[status] for status in CHANGE_STATUSES],
        "totals": totals,
        "warnings": warnings,
    }


# Messages the loader reports (marked here so that the catalog has them).
UNKNOWN_COURSE = gettext_noop(
    "seeds/sources.toml says this list feeds course «%(slug)s», which is not imported"
)


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
