"""The real seed documents, and variants of them made for tests."""

from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent.parent / "seeds" / "data"
DL = SEED_DIR / "000_d568f9757774c6fc.txt"
INTERVIEW = SEED_DIR / "001_9d45ca6f8a06fe05.txt"
TELEGRAM = SEED_DIR / "002_bac1e50e9b8a78e7.txt"
MLE = SEED_DIR / "003_d99cb1add1a2cf9c.txt"
ALL_SEEDS = [DL, INTERVIEW, TELEGRAM, MLE]


def copy_with(tmp_path: Path, seed: Path, replace: dict[str, str] | None = None) -> Path:
    """A copy of a seed under the same file name, with text replaced (each must occur)."""
    text = seed.read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert old in text, f"{old!r} is not in {seed.name}"
        text = text.replace(old, new, 1)
    target = tmp_path / seed.name
    target.write_text(text, encoding="utf-8")
    return target
