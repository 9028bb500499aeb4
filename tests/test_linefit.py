"""Tests for fitting one line to its width (layout.md §6): spread, hang, squeeze, placement."""

from __future__ import annotations

import random

import pytest

from pipeline.layout.gridtext import PARAGRAPH_SPACES, PreparedText
from pipeline.layout.linefit import (
    GAP_SQUEEZE_LIMIT_PT,
    OFF_GRID_COST,
    Fit,
    boxes,
    fit_line,
    place_line,
    squeezed_boxes,
)

EM = 16.0


def prepared(text: str) -> PreparedText:
    return PreparedText(text, lambda c: 8.0 if c.isascii() else EM, EM, 0.0, PARAGRAPH_SPACES)


def test_an_exact_line_needs_no_change() -> None:
    assert fit_line(prepared("一二三四五"), 0, 5, 80.0, True, True) == Fit()


def test_a_short_line_is_spread_evenly_over_its_gaps() -> None:
    fit = fit_line(prepared("一二三四五"), 0, 5, 84.0, True, True)
    assert fit == Fit(spread_pt=1.0, cost=OFF_GRID_COST + 1.0)
    line = place_line(prepared("一二三四五"), 0, 5, 0.0, fit, False, 84.0)
    assert [c.x_pt for c in line.chars] == [0.0, 17.0, 34.0, 51.0, 68.0]
    assert line.width_pt == 84.0


def test_a_closing_mark_at_the_end_hangs_its_blank_half() -> None:
    fit = fit_line(prepared("一二三四，"), 0, 5, 72.0, True, True)
    assert fit == Fit(hang_pt=8.0)
    assert place_line(prepared("一二三四，"), 0, 5, 0.0, fit, False).width_pt == 72.0


def test_a_long_line_squeezes_its_marks_then_its_gaps_within_the_limit() -> None:
    text = prepared("一，二三四五")
    fit = fit_line(text, 0, 6, 90.0, True, True)
    assert fit is not None
    assert fit.mark_squeeze_pt == pytest.approx(EM / 4)  # an isolated mark gives a quarter cell
    assert fit.gap_squeeze_pt == pytest.approx(2.0 / 4)  # the rest from the four other gaps
    assert fit.gap_squeeze_pt <= GAP_SQUEEZE_LIMIT_PT
    assert fit_line(text, 0, 6, 89.0, True, True) is None  # beyond the limit
    assert fit_line(text, 0, 6, 90.0, True, False) is None  # squeezing not allowed


def test_trailing_spaces_are_not_part_of_the_line() -> None:
    assert fit_line(prepared("一二三  "), 0, 5, 48.0, True, True) == Fit()


@pytest.mark.parametrize("tracking_pt", [0.0, -0.2071])
def test_boxes_are_placed_as_the_one_by_one_placement_places_them(tracking_pt: float) -> None:
    """boxes adds with itertools.accumulate what squeezed_boxes adds in a loop, in the same
    order: the same floats to the last bit, for every line, mark pair and gap change."""
    rng = random.Random(3)
    alphabet = "国家发展改革委员会AB12，。、“”（）《》：——……"
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        laid = PreparedText(
            text, lambda c: 8.0 if c.isascii() else EM, EM, tracking_pt, PARAGRAPH_SPACES
        )
        start = rng.randrange(laid.count)
        end = rng.randint(start, laid.count)
        indent = rng.choice([0.0, 32.0, 15.7929])
        for change in (0.0, 0.371, -0.29):
            fit = Fit(spread_pt=change) if change >= 0 else Fit(gap_squeeze_pt=-change)
            assert boxes(laid, start, end, indent, change) == squeezed_boxes(
                laid, start, end, indent, fit
            ), (text, start, end)
