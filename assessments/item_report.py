"""Item statistics of MCQs from finished attempts: builds the answer matrix from the database
(a fixed number of queries whatever the number of attempts) and runs item_analysis over it.

Only answered questions count: a question left unanswered is a gap in the matrix (None), not a
wrong answer, so facility, discrimination, reliability and the options' shares speak about
what learners chose; how many left each item unanswered is shown beside. The distribution of
scores is of the attempts' own scores (there an unanswered question scored nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from assessments import item_analysis as ia
from assessments.models import MCQ, Attempt, AttemptQuestion, MCQOption

FINISHED = [Attempt.Status.SUBMITTED, Attempt.Status.EXPIRED]
# Below this many answers an untouched distractor says little; flag it only above.
MIN_RESPONSES_FOR_DISTRACTORS = 10
VERY_EASY, VERY_HARD = 0.9, 0.2


@dataclass
class OptionStat:
    letter: str
    text: str
    is_correct: bool
    count: int
    share: float


@dataclass
class ItemStat:
    number: int
    mcq: MCQ
    responses: int
    facility: float | None
    point_biserial: float | None
    upper_lower: float | None
    options: list[OptionStat]
    unanswered: int
    flags: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass
class Report:
    items: list[ItemStat]
    attempt_count: int
    complete_count: int
    kr20: float | None
    alpha: float | None
    mean_percent: float | None
    score_percents: list[int]

    @property
    def flagged(self) -> list[ItemStat]:
        return [item for item in self.items if item.flags]


def analyse(attempts: QuerySet[Attempt], mcqs: list[MCQ] | None = None) -> Report:
    """Statistics of `attempts` (finished ones only), per MCQ in `mcqs` or in the attempts."""
    rows = list(
        AttemptQuestion.objects.filter(
            attempt__in=attempts.filter(status__in=FINISHED)
        ).values_list("attempt_id", "mcq_id", "is_correct", "chosen_option_id")
    )
    if mcqs is None:
        mcq_ids = sorted({mcq_id for _, mcq_id, _, _ in rows})
        mcqs = list(MCQ.objects.filter(pk__in=mcq_ids).order_by("course", "position", "pk"))
    mcq_ids = [mcq.pk for mcq in mcqs]
    options_by_mcq: dict[int, list] = {mcq_id: [] for mcq_id in mcq_ids}
    for option in MCQOption.objects.filter(mcq_id__in=mcq_ids).order_by("mcq_id", "position"):
        options_by_mcq[option.mcq_id].append(option)
    column_of = {mcq_id: j for j, mcq_id in enumerate(mcq_ids)}
    attempt_ids = sorted({attempt_id for attempt_id, *_ in rows})
    row_of = {attempt_id: i for i, attempt_id in enumerate(attempt_ids)}
    matrix: list[list[int | None]] = [[None] * len(mcq_ids) for _ in attempt_ids]
    choices: dict[int, list[int | None]] = {mcq_id: [] for mcq_id in mcq_ids}
    scores: dict[int, list[int]] = {attempt_id: [0, 0] for attempt_id in attempt_ids}
    for attempt_id, mcq_id, is_correct, chosen in rows:
        scores[attempt_id][0] += bool(is_correct)
        scores[attempt_id][1] += 1
        if mcq_id not in column_of:
            continue
        choices[mcq_id].append(chosen)
        if chosen is not None:
            matrix[row_of[attempt_id]][column_of[mcq_id]] = 1 if is_correct else 0

    items = []
    for j, mcq in enumerate(mcqs):
        counts = ia.distractor_frequencies(choices[mcq.pk], [o.pk for o in options_by_mcq[mcq.pk]])
        responses = len(choices[mcq.pk]) - counts[None]  # answered only
        options = [
            OptionStat(
                o.letter,
                o.text,
                o.is_correct,
                counts[o.pk],
                counts[o.pk] / responses if responses else 0,
            )
            for o in options_by_mcq[mcq.pk]
        ]
        item = ItemStat(
            number=j + 1,
            mcq=mcq,
            responses=responses,
            facility=ia.facility(ia.column(matrix, j)),
            point_biserial=ia.point_biserial(matrix, j),
            upper_lower=ia.upper_lower_index(matrix, j),
            options=options,
            unanswered=counts[None],
        )
        item.flags = _flags(item)
        items.append(item)
    percents = [round(100 * right / max(1, total)) for right, total in scores.values()]
    return Report(
        items=items,
        attempt_count=len(matrix),
        complete_count=len(ia.complete_rows(matrix)),
        kr20=ia.kr20(matrix),
        alpha=ia.cronbach_alpha(matrix),
        mean_percent=sum(percents) / len(percents) if percents else None,
        score_percents=percents,
    )


def _flags(item: ItemStat) -> list[str]:
    flags = []
    if item.mcq.answer_text_mismatch:
        flags.append(_("the seed's answer text disagrees with the right option"))
    if item.point_biserial is not None and item.point_biserial < 0:
        flags.append(_("negative discrimination"))
    if item.responses >= MIN_RESPONSES_FOR_DISTRACTORS:
        unused = [o.letter for o in item.options if not o.is_correct and o.count == 0]
        if unused:
            flags.append(_("distractor nobody picks: %(letters)s") % {"letters": ", ".join(unused)})
    if item.facility is not None and item.responses >= MIN_RESPONSES_FOR_DISTRACTORS:
        if item.facility >= VERY_EASY:
            flags.append(_("very easy"))
        elif item.facility <= VERY_HARD:
            flags.append(_("very hard"))
    return flags
