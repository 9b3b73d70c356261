"""`make bench`: performance figures, each measured against a baseline taken in the same run,
written to bench/results.json as {"<metric>": {"value", "unit", "baseline", ...}}.

Usage: python -m bench.run [NAME ...]   (default: every benchmark)
Runs against a throw-away database made from DATABASE_URL (test_<name>), never the real one.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).with_name("results.json")


def benchmarks() -> dict[str, Callable[[], dict]]:
    from bench import (
        dataset_read,
        environments,
        exam_generation,
        grading,
        labs,
        sandbox_overhead,
        search_relevance,
        seed_import,
        web,
    )

    return {
        "seed_import": seed_import.run,
        "web": web.run,
        "search_relevance": search_relevance.run,
        "exam_generation": exam_generation.run,
        "sandbox_overhead": sandbox_overhead.run,
        "environments": environments.run,
        "grading": grading.run,
        "labs": labs.run,
        "dataset_read": dataset_read.run,
    }


def main(names: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    available = benchmarks()
    unknown = [name for name in names if name not in available]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(available)}")
        return 2
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    try:
        for name in names or list(available):
            print(f"== {name}", flush=True)
            figures = available[name]()
            for metric, figure in figures.items():
                baseline_unit = figure.get("baseline_unit", figure["unit"])
                print(
                    f"{metric}: {figure['value']} {figure['unit']} "
                    f"(baseline {figure['baseline']} {baseline_unit})"
                )
            results.update(figures)
            RESULTS.write_text(
                json.dumps(results, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
