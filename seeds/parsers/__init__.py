"""Parsers of the seed documents: plain typed records, no Django.

Entry points: ``parse_seed(path)``, ``parse_seed_bytes(name, data)`` and
``parse_seed_text(name, text)`` return a ``ParsedSeed`` (records, warnings, line coverage) or
raise ``SeedError(file, line, message)``.
"""

from seeds.parsers.detect import (
    MAX_SEED_BYTES,
    detect_layout,
    parse_seed,
    parse_seed_bytes,
    parse_seed_text,
)
from seeds.parsers.records import ParsedSeed, SeedError, SeedWarning

__all__ = [
    "MAX_SEED_BYTES",
    "ParsedSeed",
    "SeedError",
    "SeedWarning",
    "detect_layout",
    "parse_seed",
    "parse_seed_bytes",
    "parse_seed_text",
]
