"""Item statistics against values computed by hand (the arithmetic is in each comment)."""

from __future__ import annotations

import math

import pytest

from assessments import item_analysis as ia

# Five attempts, three items.
#            i1 i2 i3  total
MATRIX = [
    [1, 1, 1],  # 3
    [1, 1, 0],  # 2
    [1, 0, 0],  # 1
    [0, 1, 0],  # 1
    [0, 0, 0],  # 0
]


def test_facility_is_the_share_of_right_answers():
    assert ia.facility(ia.column(MATRIX, 0)) == pytest.approx(3 / 5)
    assert ia.facility(ia.column(MATRIX, 2)) == pytest.approx(1 / 5)
    assert ia.facility([None, None]) is None
    assert ia.facility([1, None, 0]) == pytest.approx(1 / 2)


def test_point_biserial_correlates_the_item_with_the_rest():
    # Item 1 against the rest (items 2 and 3, as shares): x = 1,1,1,0,0; y = 1, .5, 0, .5, 0.
    # mean x = .6, mean y = .4; sxy = .4*.6 + .4*.1 + .4*(-.4) + (-.6)*.1 + (-.6)*(-.4) = .3
    # sxx = 3*.16 + 2*.36 = 1.2; syy = .36 + .01 + .16 + .01 + .16 = .7
    expected = 0.3 / math.sqrt(1.2 * 0.7)
    assert ia.point_biserial(MATRIX, 0) == pytest.approx(expected)
    assert ia.point_biserial(MATRIX, 0) == pytest.approx(0.327327, abs=1e-6)


def test_an_item_that_strong_learners_miss_has_negative_discrimination():
    matrix = [[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]]
    assert ia.point_biserial(matrix, 2) == pytest.approx(-1.0)
    assert ia.upper_lower_index(matrix, 2) < 0


def test_no_spread_gives_no_correlation_rather_than_zero():
    assert ia.point_biserial([[1, 1], [1, 0]], 0) is None


def test_upper_lower_index_compares_the_top_and_bottom_groups():
    # Item 1: rest scores (items 2 and 3 as shares) are 1, .5, 0, .5, 0; item 1 is 1,1,1,0,0.
    # 27% of 5 rows rounds to 1 row a group. Sorted by rest, ties in matrix order:
    # row3 (0; 1), row5 (0; 0), row2 (.5; 1), row4 (.5; 0), row1 (1; 1).
    # lower = row3 -> 1; upper = row1 -> 1; D = 0.
    assert ia.upper_lower_index(MATRIX, 0) == pytest.approx(0.0)
    # Two rows a group: lower = row3, row5 -> .5; upper = row4, row1 -> .5; D = 0.
    assert ia.upper_lower_index(MATRIX, 0, fraction=0.4) == pytest.approx(0.0)
    matrix = [[1, 1, 1], [1, 1, 0], [0, 0, 1], [0, 0, 0]]
    # Item 1: rest 1, .5, .5, 0; sorted: row4 (0; 0), row2 (.5; 1), row3 (.5; 0), row1 (1; 1).
    # One row a group: lower = row4 -> 0; upper = row1 -> 1; D = 1.
    assert ia.upper_lower_index(matrix, 0, fraction=0.25) == pytest.approx(1.0)
    # Two rows a group: lower = row4, row2 -> .5; upper = row3, row1 -> .5; D = 0.
    assert ia.upper_lower_index(matrix, 0, fraction=0.5) == pytest.approx(0.0)


def test_kr20_by_hand():
    # Totals 3, 2, 1, 1, 0: mean 1.4, population variance (2.56+.36+.16+.16+1.96)/5 = 1.04.
    # p = .6, .6, .2 -> pq = .24 + .24 + .16 = .64. KR-20 = 3/2 * (1 - .64/1.04) = .576923
    assert ia.kr20(MATRIX) == pytest.approx(1.5 * (1 - 0.64 / 1.04))
    assert ia.kr20(MATRIX) == pytest.approx(0.576923, abs=1e-6)


def test_cronbach_alpha_equals_kr20_for_right_wrong_items():
    assert ia.cronbach_alpha(MATRIX) == pytest.approx(ia.kr20(MATRIX))


def test_reliability_uses_complete_rows_only_and_is_undefined_without_spread():
    sparse = [*MATRIX, [1, None, 1]]
    assert ia.kr20(sparse) == pytest.approx(ia.kr20(MATRIX))
    assert ia.kr20([[1, 1], [1, 1]]) is None
    assert ia.kr20([[1], [0]]) is None


def test_distractor_frequencies_count_each_option_and_blanks():
    counts = ia.distractor_frequencies([10, 11, 10, None, 99], [10, 11, 12, 13])
    assert counts == {10: 2, 11: 1, 12: 0, 13: 0, None: 1}


def test_sparse_matrices_use_the_items_each_attempt_holds():
    # Random-draw quizzes: item 1 seen by rows 1-3 only.
    matrix = [[1, 1, None], [0, None, 0], [1, None, 1], [None, 1, 0]]
    assert ia.facility(ia.column(matrix, 0)) == pytest.approx(2 / 3)
    # Item 1 vs rest: rows 1-3, x = 1, 0, 1; y = 1, 0, 1 -> r = 1.
    assert ia.point_biserial(matrix, 0) == pytest.approx(1.0)
