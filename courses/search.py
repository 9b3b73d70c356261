"""Search of the Q&A bank that understands Russian word forms, on both databases.

One interface, two backends:

- PostgreSQL: `courses_qaitem.search_document`, a stored generated tsvector column (migration
  0002) built with the Russian configuration, the question weighted A and the answer B, with a
  GIN index. PostgreSQL keeps it in step with every write by itself.
- SQLite (the one-command start): `courses_qaitem_fts`, an FTS5 table holding each item's
  question and answer as folded, Snowball-stemmed words. Triggers on `courses_qaitem` keep it in
  step; they call `search_index_text`, a Python function registered on every SQLite connection
  (courses/apps.py), so every write through Django updates the index in the same transaction.

Both fold case and "ё" to "е" on both sides, stem Russian words with the Russian Snowball
stemmer and Latin words (dropout, batch normalization, ResNet) with the English one, drop stop
words, and rank items whose question matches every word above those whose answer alone does.
A query is the words of what the learner typed, never the typed text itself, so quotes,
`*`, `NEAR`, `OR`, HTML or SQL reach neither engine as operators.

Every word must match; when no item has all of them, items with any of them are listed instead
(`SearchResult.partial`), best first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from django.db import connection
from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_TERMS = 12
MAX_WORD_LENGTH = 40
STOPWORDS_PATH = Path(__file__).with_name("data") / "stopwords.txt"
# Letters and digits; "_" and punctuation split words, as both engines' parsers do.
WORD = re.compile(r"[^\W_]+")
CYRILLIC = re.compile(r"[а-яё]")
FTS_TABLE = "courses_qaitem_fts"
# The names are constants and the candidates' SQL is Django's; values travel as parameters.
_SQLITE_RANKED = (
    "SELECT rowid, rowid IN (SELECT q.rowid FROM {table} AS q WHERE q.{table} MATCH %s)"
    " AS question_hit, bm25({table}, 10.0, 1.0) AS score"
    " FROM {table} WHERE {table} MATCH %s AND rowid IN ({candidates})"
    " ORDER BY question_hit DESC, score ASC, rowid ASC"
)


def fold(text: str) -> str:
    """Lowercase, "ё" as "е": what both indexes and every query see."""
    return text.lower().replace("ё", "е")


@cache
def _stemmers():
    import snowballstemmer

    return snowballstemmer.stemmer("russian"), snowballstemmer.stemmer("english")


@cache
def stopwords() -> frozenset[str]:
    lines = STOPWORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The stem of one folded word: Russian Snowball for Cyrillic, English for the rest
    (memoised: highlighting stems every word of a page, and the bank's vocabulary is small)."""
    russian, english = _stemmers()
    return (russian if CYRILLIC.search(word) else english).stemWord(word)


def index_text(text: str | None) -> str:
    """The text as the SQLite index stores it: folded stems separated by spaces."""
    if not text:
        return ""
    return " ".join(stem(word) for word in WORD.findall(fold(text)))


# A word of a query: as typed (folded) for PostgreSQL, whose configuration stems it, and its
# Snowball stem for SQLite's index.
Word = tuple[str, str]
Alternative = tuple[Word, ...]  # every word must match (a phrase's words, or one word)
Concept = tuple[Alternative, ...]  # any alternative may match (a word and its synonyms)


@dataclass(frozen=True)
class SearchTerms:
    """What a query means: concepts that must all match, each a word of the query or a phrase
    of the thesaurus, with its alternatives."""

    concepts: tuple[Concept, ...] = ()
    only_stopwords: bool = False

    def __bool__(self) -> bool:
        return bool(self.concepts)

    @property
    def stems(self) -> tuple[str, ...]:
        """Every stem the query may match, for highlighting."""
        seen: dict[str, None] = {}
        for concept in self.concepts:
            for alternative in concept:
                for _word, word_stem in alternative:
                    seen[word_stem] = None
        return tuple(seen)


def _words(text: str) -> list[Word]:
    words = []
    for word in WORD.findall(fold(text or "")):
        if word in stopwords():
            continue
        word = word[:MAX_WORD_LENGTH]
        word_stem = stem(word)
        if word_stem:
            words.append((word, word_stem))
    return words


SYNONYMS_PATH = Path(__file__).with_name("data") / "synonyms.txt"


@cache
def thesaurus() -> dict[tuple[str, ...], Concept]:
    """Each term of the thesaurus (as stems) -> the alternatives of its line."""
    entries: dict[tuple[str, ...], Concept] = {}
    for line in SYNONYMS_PATH.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        alternatives = tuple(tuple(_words(term)) for term in line.split("|") if _words(term))
        for alternative in alternatives:
            entries[tuple(word_stem for _word, word_stem in alternative)] = alternatives
    return entries


def parse_query(text: str) -> SearchTerms:
    """The concepts of a query: its words, with the longest thesaurus phrase at each place
    taken as one concept with its synonyms."""
    words = _words(text)
    if not words:
        return SearchTerms(only_stopwords=bool(WORD.search(text or "")))
    entries = thesaurus()
    longest = max((len(key) for key in entries), default=1)
    concepts: list[Concept] = []
    index = 0
    while index < len(words) and len(concepts) < MAX_TERMS:
        for size in range(min(longest, len(words) - index), 0, -1):
            key = tuple(word_stem for _word, word_stem in words[index : index + size])
            if key in entries:
                concept, index = entries[key], index + size
                break
        else:
            concept, index = ((words[index],),), index + 1
        if concept not in concepts:
            concepts.append(concept)
    return SearchTerms(tuple(concepts))


@dataclass
class SearchResult:
    ids: list[int] = field(default_factory=list)  # best first
    partial: bool = False  # no item had every word: items with any of them


def ranked_ids(candidates: QuerySet, terms: SearchTerms) -> SearchResult:
    """Ids of the `candidates` (a QAItem queryset, already filtered by course, topic and source)
    that match `terms`, best first: every word in the question, then by the engine's rank."""
    if not terms:
        return SearchResult()
    backend = _postgresql_ids if connection.vendor == "postgresql" else _sqlite_ids
    ids = backend(candidates, terms, every_word=True)
    if ids or len(terms.concepts) == 1:
        return SearchResult(ids)
    return SearchResult(backend(candidates, terms, every_word=False), partial=True)


def _expression(terms: SearchTerms, word, and_: str, or_: str, every_word: bool) -> str:
    """The boolean query over the concepts, each word written by `word(word, stem)`."""
    concepts = []
    for concept in terms.concepts:
        alternatives = [
            "(" + and_.join(word(w, s) for w, s in alternative) + ")" for alternative in concept
        ]
        concepts.append("(" + or_.join(alternatives) + ")")
    return (and_ if every_word else or_).join(concepts)


def tsquery(terms: SearchTerms, *, every_word: bool, weight: str = "") -> str:
    """A PostgreSQL tsquery text: words are letters and digits only, so no operator comes from
    the learner; the Russian configuration stems each (and hands Latin words to English)."""
    return _expression(
        terms, lambda w, s: f"{w}{':' + weight if weight else ''}", " & ", " | ", every_word
    )


def fts5_query(terms: SearchTerms, *, every_word: bool) -> str:
    """An FTS5 query text: each stem a quoted string (stems are letters and digits only)."""
    return _expression(terms, lambda w, s: f'"{s}"', " AND ", " OR ", every_word)


def _postgresql_ids(candidates: QuerySet, terms: SearchTerms, *, every_word: bool) -> list[int]:
    from django.db.models import BooleanField, FloatField
    from django.db.models.expressions import RawSQL

    query = tsquery(terms, every_word=every_word)
    in_question = tsquery(terms, every_word=every_word, weight="A")
    document = f'"{candidates.model._meta.db_table}"."search_document"'
    hit = f"{document} @@ to_tsquery('russian', %s)"
    return list(
        candidates.annotate(
            search_hit=RawSQL(hit, [query], output_field=BooleanField()),  # noqa: S611 - params only
            question_hit=RawSQL(hit, [in_question], BooleanField()),  # noqa: S611 - params only
            search_rank=RawSQL(  # noqa: S611 - params only
                f"ts_rank({document}, to_tsquery('russian', %s))", [query], FloatField()
            ),
        )
        .filter(search_hit=True)
        .order_by("-question_hit", "-search_rank", "id")
        .values_list("id", flat=True)
    )


def _sqlite_ids(candidates: QuerySet, terms: SearchTerms, *, every_word: bool) -> list[int]:
    match = fts5_query(terms, every_word=every_word)
    subquery, params = candidates.values("id").query.sql_with_params()
    sql = _SQLITE_RANKED.format(table=FTS_TABLE, candidates=subquery)
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"question : ({match})", match, *params])
        return [row[0] for row in cursor.fetchall()]


def highlight(text: str, stems: tuple[str, ...] | frozenset[str]) -> SafeString:
    """`text`, escaped, with every word whose stem is searched for wrapped in <mark>."""
    if not stems:
        return escape(text)
    wanted = set(stems)
    parts, last = [], 0
    for match in WORD.finditer(text):
        if stem(fold(match.group()[:MAX_WORD_LENGTH])) in wanted:
            parts.append(escape(text[last : match.start()]))
            parts.append(f"<mark>{escape(match.group())}</mark>")
            last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


# --- The SQLite index -------------------------------------------------------------------------

SQLITE_INDEX_SQL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS courses_qaitem_fts USING fts5("
    "question, answer, tokenize = 'unicode61 remove_diacritics 0')",
    """CREATE TRIGGER IF NOT EXISTS courses_qaitem_fts_insert AFTER INSERT ON courses_qaitem
    BEGIN
        INSERT INTO courses_qaitem_fts(rowid, question, answer)
        VALUES (new.id, search_index_text(new.question), search_index_text(new.answer));
    END""",
    """CREATE TRIGGER IF NOT EXISTS courses_qaitem_fts_update
    AFTER UPDATE OF question, answer ON courses_qaitem
    BEGIN
        DELETE FROM courses_qaitem_fts WHERE rowid = old.id;
        INSERT INTO courses_qaitem_fts(rowid, question, answer)
        VALUES (new.id, search_index_text(new.question), search_index_text(new.answer));
    END""",
    """CREATE TRIGGER IF NOT EXISTS courses_qaitem_fts_delete AFTER DELETE ON courses_qaitem
    BEGIN
        DELETE FROM courses_qaitem_fts WHERE rowid = old.id;
    END""",
]
SQLITE_REBUILD_SQL = [
    "DELETE FROM courses_qaitem_fts",
    "INSERT INTO courses_qaitem_fts(rowid, question, answer)"
    " SELECT id, search_index_text(question), search_index_text(answer) FROM courses_qaitem",
]
SQLITE_DROP_SQL = [
    "DROP TRIGGER IF EXISTS courses_qaitem_fts_insert",
    "DROP TRIGGER IF EXISTS courses_qaitem_fts_update",
    "DROP TRIGGER IF EXISTS courses_qaitem_fts_delete",
    "DROP TABLE IF EXISTS courses_qaitem_fts",
]

# --- The PostgreSQL column ----------------------------------------------------------------------


def _pg_vector(column: str, weight: str) -> str:
    # "ё" folded as everywhere; "/" split, or the parser reads "CI/CD" as one file path.
    return (
        f"setweight(to_tsvector('russian'::regconfig, "
        f"translate(lower(coalesce({column}, '')), 'ё/', 'е ')), '{weight}')"
    )


POSTGRESQL_INDEX_SQL = [
    "ALTER TABLE courses_qaitem ADD COLUMN IF NOT EXISTS search_document tsvector "
    f"GENERATED ALWAYS AS ({_pg_vector('question', 'A')} || {_pg_vector('answer', 'B')}) STORED",
    "CREATE INDEX IF NOT EXISTS courses_qaitem_search_document "
    "ON courses_qaitem USING gin (search_document)",
]
POSTGRESQL_DROP_SQL = [
    "DROP INDEX IF EXISTS courses_qaitem_search_document",
    "ALTER TABLE courses_qaitem DROP COLUMN IF EXISTS search_document",
]


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: the index triggers call `search_index_text`."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "search_index_text", 1, index_text, deterministic=True
        )
