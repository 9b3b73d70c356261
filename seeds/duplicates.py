"""Near-duplicate questions across seeds, to be linked as "see also".

The same interview question turns up in several seeds with small changes of wording ("Что такое
глубокое обучение и как оно отличается от машинного обучения?" in the Deep Learning course,
"...и чем оно отличается от традиционного машинного обучения?" in the interview list). Both
copies are kept, each with its own source; ``find_near_duplicates`` says which to link.

How two questions are compared (standard library only):

1. Normalise: lowercase, "ё" -> "е", keep runs of letters and digits ("loss-функций" gives
   "loss" and "функций"; punctuation goes).
2. Drop stop words: Russian and English function words and the words that frame a question
   rather than say what it is about ("что такое", "опишите", "какие существуют", "зачем
   нужен", "методы", "бороться"). Dropping the framing words ("методы борьбы", "какие проблемы
   возникают") raised the same-question pairs found at the default threshold from 26 to 29
   and cut the wrong ones from 4 to 3.
3. Stem crudely: a Cyrillic word is cut to its first 5 letters, which removes Russian endings
   ("обучение", "обучения", "обучении" -> "обуче"; "генеративных", "генерации" -> "генер").
   Latin words are kept whole, less a plural "s": the English terms in these seeds are short
   and cutting them merges different ones ("transformer" and "transfer" share 5 letters).
   Character n-grams were tried too; they weigh long shared framing words ("отличается",
   "классического") above the short terms that carry the meaning (LSTM, RNN, CI/CD).
4. Weigh each stem by its smoothed inverse document frequency over the candidates
   (1 + ln((n + 1) / (df + 1)), as scikit-learn does): a stem that many questions share
   ("метрики", "модели", "ml") says little about whether two of them ask the same thing.
5. Score a pair by the cosine of their weighted stem sets (0..1), or, where a question has
   more than one sentence, by the cosine of the first sentences if that is higher: a ticket
   often asks the Q&A item's question and then a follow-up ("Что такое feature store и зачем
   он нужен в ML-инфраструктуре? Какие компоненты он включает?"). A pair is reported when the
   score reaches ``threshold`` and the two candidates come from different sources.

The default threshold was measured on the real seeds; see ``DEFAULT_THRESHOLD``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Measured on the 228 questions of the four seeds (Q&A items and ticket theory questions, with
# the record kind as section). Every pair scoring 0.45 or more was read and judged; "same" means
# that a good answer to one answers the main ask of the other:
#
#   threshold   pairs   same   borderline   different
#     0.75        18     18         0            0
#     0.70        26     22         1            3
#     0.65        33     29         1            3
#     0.60        40     32         2            6
#     0.55        47     36         3            8
#     0.50        54     38         7            9
#
# 0.65 keeps 29 of the 38 same-question pairs scoring 0.5 or more, at 3 wrong links out of 33.
# A "see also" link that is merely related costs a learner a click; below 0.65 wrong links grow
# faster than right ones. The rest of the same-question pairs use synonyms ("переобучение" and
# "overfitting", "функции потерь" and "loss-функции"), which no lexical measure sees.
# tests/test_seed_duplicates.py lists the 33 pairs with their judgement.
DEFAULT_THRESHOLD = 0.65

CYRILLIC_STEM_LENGTH = 5

_WORD_RE = re.compile(r"[a-zа-я0-9]+")
_CYRILLIC_RE = re.compile(r"[а-я]")
_SENTENCE_END_RE = re.compile(r"(?<=[?!.])\s+")

# Function words, and the words that frame a question in these seeds. Kept small and explicit:
# a content word in this list would hide real differences between questions.
_STOP_WORDS_TEXT = """
    а без бы в во вы где для до его ее если же за зачем и из или их к как какие каким какова
    каков каковы какой какая каких ко когда который которые ли между можно на над не него нее
    ней ним них но о об оно она они от по под почему при про с со стоит так такое там то тот
    у чем что чтобы эта эти это этот
    дайте определение опишите объясните охарактеризуйте перечислите приведите примеры
    концепцию концепция понятие роль основные основных основной
    существуют существует используются используется применяются применяется применять
    применяют применим нужен нужна нужно нужны знаете случаях работает работают
    методы методов способы способов подходы подходов бороться борьбы помогает влияет влияют
    проблемы проблем возникают возникающие возникнуть могут
    a an and are do does for how in is it of on or the to what when where which why with
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


@dataclass(frozen=True)
class DuplicateCandidate:
    """One question to compare. ``key`` is the caller's id for it (reported back);
    ``source_file`` the seed it came from. ``section`` optionally names the part of the seed
    (e.g. the record kind: "qa", "ticket_theory_question"): two candidates are compared only
    when their (source_file, section) differ, so with the default empty section only pairs
    across seed files are reported."""

    key: str
    source_file: str
    text: str
    section: str = ""


def first_sentence(text: str) -> str:
    """The text up to the end of its first sentence ("?", "!" or "." and a space)."""
    return _SENTENCE_END_RE.split(text.strip(), maxsplit=1)[0]


def stems(text: str) -> frozenset[str]:
    """The stems a question is compared by (steps 1-3 of the module docstring)."""
    found: set[str] = set()
    for word in _WORD_RE.findall(text.lower().replace("ё", "е")):
        if word in STOP_WORDS:
            continue
        if _CYRILLIC_RE.search(word):
            found.add(word[:CYRILLIC_STEM_LENGTH])
        elif len(word) > 3 and word.endswith("s"):
            found.add(word[:-1])
        else:
            found.add(word)
    return frozenset(found)


def find_near_duplicates(
    candidates: Iterable[DuplicateCandidate], threshold: float = DEFAULT_THRESHOLD
) -> list[tuple[str, str, float]]:
    """Pairs ``(key_a, key_b, score)`` of candidates from different sources whose similarity
    reaches ``threshold``; each pair once, ``key_a`` the one given first. Sorted by score,
    highest first, then by input order. Scores are rounded to 3 decimals.

    Raises ``ValueError`` on a repeated key or a threshold outside (0, 1].
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    items: Sequence[DuplicateCandidate] = list(candidates)
    keys = Counter(item.key for item in items)
    repeated = sorted(key for key, count in keys.items() if count > 1)
    if repeated:
        raise ValueError(f"repeated candidate keys: {repeated[:5]}")

    stem_sets = [stems(item.text) for item in items]
    head_sets = [stems(first_sentence(item.text)) for item in items]
    document_frequency = Counter(stem for found in stem_sets for stem in found)
    n = len(items)
    weight = {
        stem: 1.0 + math.log((n + 1) / (count + 1)) for stem, count in document_frequency.items()
    }

    def norm(found: frozenset[str]) -> float:
        return math.sqrt(sum(weight[stem] ** 2 for stem in found))

    norms = [norm(found) for found in stem_sets]
    head_norms = [norm(found) for found in head_sets]

    # Candidate pairs come from an inverted index (stem -> questions), so questions that share
    # no stem are never compared: on the seeds' 228 questions, 4,715 pairs instead of 25,878.
    index: dict[str, list[int]] = {}
    for position, found in enumerate(stem_sets):
        for stem in found:
            index.setdefault(stem, []).append(position)
    shared: dict[tuple[int, int], float] = {}
    for stem, positions in index.items():
        square = weight[stem] ** 2
        for offset, i in enumerate(positions):
            for j in positions[offset + 1 :]:
                shared[(i, j)] = shared.get((i, j), 0.0) + square

    found_pairs: list[tuple[float, int, int]] = []
    for (i, j), dot in shared.items():
        a, b = items[i], items[j]
        if (a.source_file, a.section) == (b.source_file, b.section):
            continue
        score = dot / (norms[i] * norms[j])
        if head_sets[i] != stem_sets[i] or head_sets[j] != stem_sets[j]:
            # A follow-up sentence ("...? Какие компоненты он включает?") should not hide
            # that the first sentences ask the same thing.
            common = head_sets[i] & head_sets[j]
            if common:
                head_dot = sum(weight[stem] ** 2 for stem in common)
                score = max(score, head_dot / (head_norms[i] * head_norms[j]))
        if score >= threshold - 1e-9:
            found_pairs.append((round(score, 3), i, j))
    found_pairs.sort(key=lambda pair: (-pair[0], pair[1], pair[2]))
    return [(items[i].key, items[j].key, score) for score, i, j in found_pairs]
