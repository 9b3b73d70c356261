"""Classical test theory over answer matrices: plain functions, no database.

A matrix has one row per attempt and one column per item; a cell is 1 (right), 0 (wrong or
unanswered) or None (the item was not in that attempt, as in quizzes that draw at random).

- facility: the share of right answers among those who got the item.
- discrimination, point-biserial: Pearson's r between the item (0/1) and the rest of the
  attempt (its share of right answers on the other items it holds). The item itself is left out
  of the total, otherwise every item correlates with itself and short quizzes look better.
- discrimination, upper/lower: facility in the top 27% of attempts (by rest score) minus
  facility in the bottom 27% (Kelley's groups).
- reliability: KR-20 over complete rows; Cronbach's alpha in its general form, which equals
  KR-20 for 0/1 items (both use population variances here).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Cell = int | None
Matrix = Sequence[Sequence[Cell]]

UPPER_LOWER_FRACTION = 0.27


def column(matrix: Matrix, index: int) -> list[Cell]:
    return [row[index] for row in matrix]


def facility(item: Sequence[Cell]) -> float | None:
    seen = [cell for cell in item if cell is not None]
    if not seen:
        return None
    return sum(seen) / len(seen)


def rest_scores(matrix: Matrix, index: int) -> list[float | None]:
    """Per row, the share of right answers on the other items the row holds (None if none)."""
    scores: list[float | None] = []
    for row in matrix:
        others = [cell for j, cell in enumerate(row) if j != index and cell is not None]
        scores.append(sum(others) / len(others) if others else None)
    return scores


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None  # no spread: the correlation is undefined, not zero
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


def point_biserial(matrix: Matrix, index: int) -> float | None:
    """Corrected item-rest correlation of item `index`."""
    pairs = [
        (float(cell), rest)
        for cell, rest in zip(column(matrix, index), rest_scores(matrix, index), strict=True)
        if cell is not None and rest is not None
    ]
    return pearson([p[0] for p in pairs], [p[1] for p in pairs])


def upper_lower_index(
    matrix: Matrix, index: int, fraction: float = UPPER_LOWER_FRACTION
) -> float | None:
    """Facility in the upper group minus facility in the lower group (by rest score).

    Rows are ranked by rest score; ties keep the matrix order, so the groups are reproducible.
    """
    pairs = [
        (rest, cell)
        for cell, rest in zip(column(matrix, index), rest_scores(matrix, index), strict=True)
        if cell is not None and rest is not None
    ]
    if len(pairs) < 2:
        return None
    size = max(1, round(len(pairs) * fraction))
    ranked = sorted(pairs, key=lambda pair: pair[0])
    lower = [cell for _, cell in ranked[:size]]
    upper = [cell for _, cell in ranked[-size:]]
    return sum(upper) / size - sum(lower) / size


def _population_variance(values: Sequence[float]) -> float:
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


def complete_rows(matrix: Matrix) -> list[Sequence[int]]:
    return [row for row in matrix if all(cell is not None for cell in row)]  # type: ignore[misc]


def kr20(matrix: Matrix) -> float | None:
    """Kuder-Richardson 20 over the rows that hold every item; None when undefined."""
    rows = complete_rows(matrix)
    if len(rows) < 2 or not rows or len(rows[0]) < 2:
        return None
    k = len(rows[0])
    variance = _population_variance([sum(row) for row in rows])
    if variance == 0:
        return None
    pq = 0.0
    for j in range(k):
        p = sum(row[j] for row in rows) / len(rows)
        pq += p * (1 - p)
    return k / (k - 1) * (1 - pq / variance)


def cronbach_alpha(matrix: Sequence[Sequence[float | None]]) -> float | None:
    """Cronbach's alpha over complete rows; items may be scored on any scale."""
    rows = [row for row in matrix if all(cell is not None for cell in row)]
    if len(rows) < 2 or len(rows[0]) < 2:
        return None
    k = len(rows[0])
    variance = _population_variance([sum(row) for row in rows])  # type: ignore[arg-type]
    if variance == 0:
        return None
    item_variance = sum(_population_variance([row[j] for row in rows]) for j in range(k))  # type: ignore[misc]
    return k / (k - 1) * (1 - item_variance / variance)


def distractor_frequencies(
    choices: Sequence[int | None], option_ids: Sequence[int]
) -> dict[int | None, int]:
    """How many times each option was chosen; `None` counts questions left unanswered."""
    counts: dict[int | None, int] = {option_id: 0 for option_id in option_ids}
    counts[None] = 0
    for choice in choices:
        if choice in counts:
            counts[choice] += 1
    return counts
