"""Topic tagging of seed items: rules kept as data in ``seeds/topic_rules.toml``.

Plain Python (``tomllib`` and ``re``), no Django, so the loader, the tests and a one-off script
can all call it:

    rules = load_topic_rules()
    topics_for("Чем LSTM отличается от классической RNN?", rules)  # -> ("rnn",)

A topic matches a text when any of its ``patterns`` is found in it and none of its ``exclude``
patterns is. Matching is case-insensitive and treats "ё" as "е" (both in the text and in the
patterns), because the seeds write "свёрточные" and "сверточные" alike. Exactly one topic is the
fallback: it has no patterns and is given only to a text that no other topic matched, so every
item ends up with at least one topic.

``text_for_tagging(record)`` says which text of a parsed record is tagged; the loader and the
tests use it so that both tag the same thing (see its docstring for why answers are left out).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "topic_rules.toml"

# Slugs end up in URLs and in the database; keep them boring.
_SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_KNOWN_KEYS = frozenset({"slug", "name", "name_en", "patterns", "exclude", "fallback"})
# "Какой из следующих ... не используется ...?": the correct option is off-topic by design.
_NEGATED_QUESTION = re.compile(r"\bне\b", re.IGNORECASE)
# An escape sequence (kept as written) or a run of other characters (checked for capitals).
_ESCAPE_OR_TEXT = re.compile(r"\\.|[^\\]+", re.DOTALL)
# A pattern that starts with a word boundary and a plain letter or digit ("\bgan").
_LEADING_BOUNDARY = re.compile(r"\\b(\w)(?![*+?{])")


def _fold(text: str) -> str:
    """The normalisation of every text before matching: lowercase, "ё" -> "е"."""
    return text.lower().replace("ё", "е")


def _prepare(pattern: str) -> str:
    r"""A validated pattern as it is compiled: "ё" -> "е", and a leading ``\b`` moved behind
    the first letter.

    Why not ``re.IGNORECASE`` and the pattern as written: speed. The texts are lowercased
    instead, and the regexes compiled case-sensitively, so that each topic's alternation starts
    with plain letters; ``re`` then skips, in C, every position whose character starts no
    alternative. ``re.IGNORECASE``, or a branch that starts with ``\b``, turns that off, and
    tagging the seeds took 3-5 times longer. ``\bgan`` becomes ``g(?<!\w.)an``: the same
    match (no word character before the "g"), but starting with a letter.
    """
    folded = pattern.replace("ё", "е")
    if _LEADING_BOUNDARY.match(folded):
        return _LEADING_BOUNDARY.sub(r"\1(?<!\\w.)", folded, count=1)
    return folded


@dataclass(frozen=True)
class TopicRule:
    """One topic of the taxonomy.

    ``position`` is the 1-based order of the topic in the rules file (the order in which topics
    are listed). ``patterns`` and ``exclude`` keep the source regexes as written; the compiled
    alternations below are what ``matches`` uses, built once by ``load_topic_rules``.
    """

    slug: str
    name: str
    name_en: str
    position: int
    patterns: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    fallback: bool = False
    _matcher: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    _excluder: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def matches(self, text: str) -> bool:
        """Whether this topic applies to ``text``, which must already be folded (see
        ``topics_for``). The fallback never matches by itself."""
        if self._matcher is None or not self._matcher.search(text):
            return False
        return self._excluder is None or not self._excluder.search(text)


def _compile_alternation(patterns: Sequence[str]) -> re.Pattern[str] | None:
    # One alternation per topic: one regex scan per topic instead of one per pattern. No
    # "(?:...)" around each pattern: a top-level "|" inside one means the same thing unwrapped,
    # and a group at the start of a branch would turn off the first-letter skip (see _prepare).
    if not patterns:
        return None
    return re.compile("|".join(_prepare(p) for p in patterns))


def _has_capitals(pattern: str) -> bool:
    # Escapes such as \W or \S are uppercase on purpose; only the literal text counts.
    return any(
        not part.startswith("\\") and part != part.lower()
        for part in _ESCAPE_OR_TEXT.findall(pattern)
    )


def _check_patterns(where: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: '{key}' must be a list of regex strings, got {value!r}")
    patterns: list[str] = []
    for pattern in value:
        if not isinstance(pattern, str) or not pattern.strip():
            raise ValueError(f"{where}: '{key}' holds {pattern!r}, not a non-empty regex string")
        try:
            compiled = re.compile(_prepare(pattern))
        except re.error as error:
            raise ValueError(f"{where}: bad regex in '{key}': {pattern!r}: {error}") from None
        # Texts are lowercased before matching, so a capital letter could never match.
        if _has_capitals(pattern):
            raise ValueError(f"{where}: regex in '{key}' has capital letters: {pattern!r}")
        if compiled.groups:
            # Patterns are joined into one alternation per topic, where a backreference such as
            # \1 would point at another pattern's group; (?:...) does all a rule needs.
            raise ValueError(f"{where}: regex in '{key}' has a group, use (?:...): {pattern!r}")
        # A pattern that matches the empty string matches every text: always a mistake.
        if compiled.search("") is not None:
            raise ValueError(f"{where}: regex in '{key}' matches every text: {pattern!r}")
        patterns.append(pattern)
    return tuple(patterns)


def _check_text(where: str, entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: missing or empty '{key}'")
    return value.strip()


def _rule_from_entry(entry: Any, position: int, source: str) -> TopicRule:
    if not isinstance(entry, dict):
        raise ValueError(f"{source}: topic #{position} is not a table")
    slug = entry.get("slug")
    where = f"{source}: topic #{position} {slug!r}" if slug else f"{source}: topic #{position}"
    if not isinstance(slug, str) or not _SLUG_RE.fullmatch(slug):
        raise ValueError(f"{where}: 'slug' must be lowercase latin words joined by hyphens")
    unknown = sorted(set(entry) - _KNOWN_KEYS)
    if unknown:
        # A typo such as "pattern" would otherwise silently leave the topic without rules.
        raise ValueError(f"{where}: unknown keys {unknown}; allowed: {sorted(_KNOWN_KEYS)}")
    name = _check_text(where, entry, "name")
    name_en = _check_text(where, entry, "name_en")
    fallback = entry.get("fallback", False)
    if not isinstance(fallback, bool):
        raise ValueError(f"{where}: 'fallback' must be true or false, got {fallback!r}")
    patterns = _check_patterns(where, "patterns", entry.get("patterns", []))
    exclude = _check_patterns(where, "exclude", entry.get("exclude", []))
    if fallback and (patterns or exclude):
        raise ValueError(f"{where}: the fallback topic takes no patterns or exclude patterns")
    if not fallback and not patterns:
        raise ValueError(f"{where}: no 'patterns' (only the fallback topic may have none)")
    return TopicRule(
        slug=slug,
        name=name,
        name_en=name_en,
        position=position,
        patterns=patterns,
        exclude=exclude,
        fallback=fallback,
        _matcher=_compile_alternation(patterns),
        _excluder=_compile_alternation(exclude),
    )


def load_topic_rules(path: Path = DEFAULT_RULES_PATH) -> tuple[TopicRule, ...]:
    """Read and validate the rules file; the topics come back in file order.

    Raises ``ValueError`` naming the file, the topic and the problem: invalid TOML, no
    ``[[topic]]`` tables, a bad or duplicate slug, a missing name, a bad regex, an unknown key,
    or not exactly one fallback topic.
    """
    source = str(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{source}: not valid TOML: {error}") from None
    entries = data.get("topic")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{source}: no [[topic]] tables")
    unknown = sorted(set(data) - {"topic"})
    if unknown:
        raise ValueError(f"{source}: unknown top-level keys {unknown}")

    rules: list[TopicRule] = []
    seen: dict[str, int] = {}
    for position, entry in enumerate(entries, start=1):
        rule = _rule_from_entry(entry, position, source)
        if rule.slug in seen:
            raise ValueError(
                f"{source}: topic #{position} {rule.slug!r}: duplicate slug "
                f"(already used by topic #{seen[rule.slug]})"
            )
        seen[rule.slug] = position
        rules.append(rule)

    fallbacks = [rule.slug for rule in rules if rule.fallback]
    if len(fallbacks) != 1:
        raise ValueError(
            f"{source}: exactly one topic must have 'fallback = true', found {len(fallbacks)}"
            + (f" ({', '.join(fallbacks)})" if fallbacks else "")
        )
    return tuple(rules)


def fallback_rule(rules: Iterable[TopicRule]) -> TopicRule:
    """The fallback topic of a rule set made by ``load_topic_rules``."""
    for rule in rules:
        if rule.fallback:
            return rule
    raise ValueError("the rule set has no fallback topic")


def topics_for(text: str, rules: Sequence[TopicRule]) -> tuple[str, ...]:
    """Slugs of the topics of ``text``, in rule order; the fallback slug alone when no other
    topic matched."""
    folded = _fold(text)
    slugs = tuple(rule.slug for rule in rules if not rule.fallback and rule.matches(folded))
    if slugs:
        return slugs
    return (fallback_rule(rules).slug,)


def text_for_tagging(record: Any) -> str:
    """The text of a parsed seed record (``seeds.parsers.records``) that is tagged.

    - Q&A item, ticket theory question: the question only. Answers name neighbouring ideas in
      passing ("unlike RNNs, a Transformer..."): on the 228 questions of the seeds, adding the
      answer doubled the topics per question (mean 1.2 -> 2.3) and gave 30 of them four or
      more, mostly topics the question does not ask about.
    - MCQ: the question and its correct option. The distractors name other topics on purpose;
      the correct option often carries the subject ("...combines AdaGrad and RMSProp?" - "Adam").
      Not so in a negated question ("Which of these is not part of MLOps?" - "GAN"): there the
      correct option is the odd one out, so only the question is tagged.
    - Practical task (a lab): the task text, without the reference code.

    Duck-typed on ``record.kind`` so that this module stays free of project imports.
    """
    kind = getattr(record, "kind", "")
    if kind in ("qa", "ticket_theory_question"):
        return str(record.question)
    if kind == "mcq":
        if _NEGATED_QUESTION.search(record.question):
            return str(record.question)
        return f"{record.question} {record.options[record.correct_index].text}"
    if kind == "practical_task":
        return str(record.text)
    raise ValueError(f"records of kind {kind!r} are not tagged")
