"""seed_import_s / seed_reimport_s: the four seeds into an empty database, then again.
Baseline: merely reading and decoding the same files, in the same run."""

from __future__ import annotations

import statistics
import time

from django.core.management import call_command

from seeds.loader import default_seed_paths, import_parsed, parse_paths

ROUNDS = 5


def run() -> dict:
    from django.conf import settings

    paths = default_seed_paths(settings.SEED_DATA_DIR)
    read_s, import_s, reimport_s = [], [], []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for path in paths:
            path.read_bytes().decode("utf-8")
        read_s.append(time.perf_counter() - started)

        call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        import_parsed(parse_paths(paths))
        import_s.append(time.perf_counter() - started)

        started = time.perf_counter()
        report = import_parsed(parse_paths(paths))
        reimport_s.append(time.perf_counter() - started)
        assert not report.changed_anything, "a re-import changed something"
    baseline = round(statistics.median(read_s), 5)
    return {
        "seed_import_s": {
            "value": round(statistics.median(import_s), 3),
            "unit": "s",
            "baseline": baseline,
            "ratio": round(statistics.median(import_s) / baseline, 1),
            "target": "< 3 s",
            "rounds": ROUNDS,
        },
        "seed_reimport_s": {
            "value": round(statistics.median(reimport_s), 3),
            "unit": "s",
            "baseline": baseline,
            "ratio": round(statistics.median(reimport_s) / baseline, 1),
            "rounds": ROUNDS,
        },
    }
