"""How one line's material meets its width (layout.md §6): spread, hung or squeezed, and what
that costs; and the line's characters placed accordingly."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

from pipeline.layout.gridtext import (
    CLOSING_MARKS,
    EPS_PT,
    ISOLATED_MARK_SQUEEZE,
    OPENING_MARKS,
    ComposedLine,
    PreparedText,
)

SPREAD_LIMIT_PT = 2.0  # §6: a spread line changes each gap by at most this
GAP_SQUEEZE_LIMIT_PT = 0.5  # §6: no Han character closer than this under the pitch
OVER_LIMIT_PENALTY = 1000.0  # a line spread or squeezed beyond §6's limits
# Any spread or squeezed line leaves the character columns: one such line is better than
# several lines each changed less (a change within §6's limits costs at most 16).
OFF_GRID_COST = 20.0


@dataclass(frozen=True)
class Fit:
    """How a line of given material meets its width: spread, or squeezed marks and gaps."""

    spread_pt: float = 0.0  # added to every loose gap
    hang_pt: float = 0.0  # blank half of the last closing mark past the edge
    mark_squeeze_pt: float = 0.0  # taken from each squeezable mark (capped per mark)
    gap_squeeze_pt: float = 0.0  # taken from every loose gap
    cost: float = 0.0


def fit_line(
    text: PreparedText, start: int, end: int, avail_pt: float, stretch: bool, squeeze: bool
) -> Fit | None:
    """How chars[start:end] fills avail_pt, or None if it cannot be squeezed in."""
    end = text.stripped[end]
    found = fit_values(text, start, end, text.natural_pt(start, end), avail_pt, stretch, squeeze)
    return None if found is None else Fit(*found)


FitValues = tuple[float, float, float, float, float]  # a Fit's fields, in order
_FITS = (0.0, 0.0, 0.0, 0.0, 0.0)


def fit_values(
    text: PreparedText,
    start: int,
    end: int,
    natural_pt: float,
    avail_pt: float,
    stretch: bool,
    squeeze: bool,
) -> FitValues | None:
    """fit_line's values for chars[start:end] (no trailing spaces) of natural width natural_pt."""
    slack = avail_pt - natural_pt
    if slack >= -EPS_PT:
        if not stretch or slack <= EPS_PT:
            return _FITS
        gaps = text.loose_gaps(start, end)
        if gaps == 0:  # one character (or one word) alone on a line that should be full
            return (0.0, 0.0, 0.0, 0.0, OVER_LIMIT_PENALTY + 100 * slack**2)
        per_gap = slack / gaps
        cost = OFF_GRID_COST + per_gap**2
        if per_gap > SPREAD_LIMIT_PT + EPS_PT:
            cost = OVER_LIMIT_PENALTY + 100 * cost
        return (per_gap, 0.0, 0.0, 0.0, cost)
    # Too long: first hang the last closing mark's blank half, then squeeze evenly.
    over = -slack
    hang = min(over, text.end_hang[end])
    over -= hang
    if over <= EPS_PT:
        return (0.0, hang, 0.0, 0.0, 0.0)
    if not squeeze:
        return None
    quarter_count, adjacent_count = text.squeezable_marks(start, end)
    quarter_cap, adjacent_cap = ISOLATED_MARK_SQUEEZE * text.cell_pt, text.cell_pt / 2
    marks = quarter_count + adjacent_count
    if marks and over <= marks * quarter_cap:
        per_mark = over / marks
    elif adjacent_count and over <= quarter_count * quarter_cap + adjacent_count * adjacent_cap:
        per_mark = quarter_cap + (over - marks * quarter_cap) / adjacent_count
    else:
        per_mark = adjacent_cap if adjacent_count else quarter_cap if marks else 0.0
    taken = quarter_count * min(per_mark, quarter_cap) + adjacent_count * min(
        per_mark, adjacent_cap
    )
    rest = over - taken
    # A squeezed mark's own gap is not squeezed again (it keeps 3/4 of its cell, §6.3).
    gap_count = text.loose_gaps(start, end) - (marks if per_mark > 0 else 0)
    per_gap = rest / gap_count if gap_count > 0 and rest > EPS_PT else 0.0
    if rest > EPS_PT and (gap_count <= 0 or per_gap > GAP_SQUEEZE_LIMIT_PT + EPS_PT):
        return None
    change = max(per_mark, per_gap)
    return (0.0, hang, per_mark, per_gap, OFF_GRID_COST + change**2)


def place_line(
    text: PreparedText,
    start: int,
    end: int,
    indent_pt: float,
    fit: Fit,
    last: bool,
    fill_pt: float | None = None,
) -> ComposedLine:
    """Position chars[start:end] (trailing spaces dropped) as the fit says; a justified line
    reports fill_pt as its width."""
    end = text.stripped[end]
    if fit.mark_squeeze_pt > 0:
        box_x, x = squeezed_boxes(text, start, end, indent_pt, fit)
    else:
        box_x, x = boxes(text, start, end, indent_pt, fit.spread_pt - fit.gap_squeeze_pt)
    # The line's extent ends at its last glyph box, before any hanging blank half.
    width = x - text.tracking_pt - fit.hang_pt if box_x else indent_pt
    if fill_pt is not None and box_x:
        width = fill_pt
    return ComposedLine(text.text[start:end], box_x, tuple(text.advance_pt[start:end]), width, last)


def boxes(
    text: PreparedText, start: int, end: int, indent_pt: float, gap_change_pt: float
) -> tuple[tuple[float, ...], float]:
    """The x of each box of chars[start:end], no mark squeezed, every loose gap changed by
    gap_change_pt; and the x after the last box.

    The additions squeezed_boxes makes one by one, in the same order (so the same floats), by
    itertools.accumulate: per character, the blank half an opening mark gives the mark before
    it, the box, the blank half a closing mark gives the mark after it, and the gap's change.
    """
    count = end - start
    if count <= 0:
        return (), indent_pt
    pairs = text.pair_cut_cum[end - 1] - text.pair_cut_cum[start] > 0
    step = (3 if pairs else 1) + (gap_change_pt != 0)
    terms = [0.0] * (step * count)
    if pairs:  # slots: opening cut, box, closing cut [, gap change]
        terms[0::step] = text.opening_cut[start:end]
        terms[0] = 0.0  # the line's first mark keeps its blank half
        terms[1::step] = text.width_pt[start:end]
        terms[2::step] = text.closing_cut[start:end]
        terms[step * count - step + 2] = 0.0  # nor does the last give it past the line's end
    else:
        terms[0::step] = text.width_pt[start:end]
    if gap_change_pt != 0:
        terms[step - 1 : step * (count - 1) : step] = map(
            gap_change_pt.__mul__, text.loose[start : end - 1]
        )
    x = list(accumulate(terms, initial=indent_pt))
    return tuple(x[1 if pairs else 0 : step * count : step]), x[-1]


def squeezed_boxes(
    text: PreparedText, start: int, end: int, indent_pt: float, fit: Fit
) -> tuple[tuple[float, ...], float]:
    """The boxes placed one by one, as a fit says: place_line's way for a line whose marks give
    some of their blank halves (for any other fit, boxes gives the same floats)."""
    chars, half = text.chars, text.cell_pt / 2
    widths, pair_cut, loose = text.width_pt, text.pair_cut, text.loose
    box_x: list[float] = []  # of each character, in order
    # How much of its blank half each squeezed mark gives; the gap on that side is not
    # squeezed as well.
    squeezed = (
        {
            i: min(fit.mark_squeeze_pt, text.squeeze_cap_pt[i])
            for i in range(start + 1, end - 1)
            if text.squeeze_cap_pt[i] > 0
        }
        if fit.mark_squeeze_pt > 0
        else {}
    )
    kept_gaps = {i if chars[i] in CLOSING_MARKS else i - 1 for i in squeezed}
    loose_change, kept_change = fit.spread_pt - fit.gap_squeeze_pt, fit.spread_pt - 0.0
    x = indent_pt
    final = end - 1
    for i in range(start, end):
        char = chars[i]
        # How much of the blank half this mark loses: to a neighbouring mark or to a squeeze.
        if char in OPENING_MARKS:
            taken = squeezed.get(i, 0.0)
            if i > start and pair_cut[i - 1] > 0 and chars[i - 1] not in CLOSING_MARKS:
                taken = half
            x -= taken
        box_x.append(x)
        x += widths[i]
        if char in CLOSING_MARKS:
            x -= squeezed.get(i, 0.0)
            if i < final:
                x -= pair_cut[i]
        if i < final and loose[i]:
            x += kept_change if i in kept_gaps else loose_change
    return tuple(box_x), x
