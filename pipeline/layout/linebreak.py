"""Line composition on a fixed character grid: kinsoku, punctuation compression, justification.

The composer follows typst's linebreak.rs: prepare the text once (gridtext.PreparedText), choose
the breaks for the whole paragraph at once by dynamic programming (each candidate line costs
how much it must change its gaps, layout.md §6), then place each line. Titles (§3) have their
own balanced breaker in `titlebreak`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.layout.gridtext import (
    BREAK_FREE,
    BREAK_IN_CLUSTER,
    BREAK_IN_RANGE,
    BREAK_KINSOKU,
    BREAK_NEVER,
    CLOSING_MARKS,
    EPS_PT,
    ISOLATED_MARK_SQUEEZE,
    LINE_START_FORBIDDEN,
    OPENING_MARKS,
    PARAGRAPH_SPACES,
    Advance,
    ComposedLine,
    PlacedChar,
    PreparedText,
)

SPREAD_LIMIT_PT = 2.0  # §6: a spread line changes each gap by at most this
GAP_SQUEEZE_LIMIT_PT = 0.5  # §6: no Han character closer than this under the pitch
# A break of a worse class is taken only when the better ones leave no line within the limits.
BREAK_PENALTY = {BREAK_FREE: 0.0, BREAK_IN_RANGE: 500.0, BREAK_IN_CLUSTER: 1e9, BREAK_KINSOKU: 1e11}
OVER_LIMIT_PENALTY = 1000.0  # a line spread or squeezed beyond §6's limits
# Any spread or squeezed line leaves the character columns: one such line is better than
# several lines each changed less (a change within §6's limits costs at most 16).
OFF_GRID_COST = 20.0
# A paragraph's last line holding one character (县。) is avoided when a spread line above can
# take it: dearer than one off-grid line, far cheaper than breaking a limit.
LONE_LAST_CHARACTER_COST = 40.0
# A line holds at most this many characters per cell of its width (the narrowest glyphs, such
# as ASCII full stops, take a quarter cell): the window of ends looked at from one start stays
# bounded by the line's length even for zero-width characters.
MAX_CHARS_PER_CELL = 4


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
    end = text.strip_spaces(end)
    natural = text.natural_pt(start, end)
    gaps = text.loose_gaps(start, end)
    slack = avail_pt - natural
    if slack >= -EPS_PT:
        if not stretch or slack <= EPS_PT:
            return Fit()
        if gaps == 0:  # one character (or one word) alone on a line that should be full
            return Fit(cost=OVER_LIMIT_PENALTY + 100 * slack**2)
        per_gap = slack / gaps
        cost = OFF_GRID_COST + per_gap**2
        if per_gap > SPREAD_LIMIT_PT + EPS_PT:
            cost = OVER_LIMIT_PENALTY + 100 * cost
        return Fit(spread_pt=per_gap, cost=cost)
    # Too long: first hang the last closing mark's blank half, then squeeze evenly.
    over = -slack
    hang = min(over, text.end_hang_pt(end))
    over -= hang
    if over <= EPS_PT:
        return Fit(hang_pt=hang)
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
    gap_count = gaps - (marks if per_mark > 0 else 0)
    per_gap = rest / gap_count if gap_count > 0 and rest > EPS_PT else 0.0
    if rest > EPS_PT and (gap_count <= 0 or per_gap > GAP_SQUEEZE_LIMIT_PT + EPS_PT):
        return None
    change = max(per_mark, per_gap)
    return Fit(0.0, hang, per_mark, per_gap, OFF_GRID_COST + change**2)


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
    end = text.strip_spaces(end)
    chars, half = text.chars, text.cell_pt / 2
    placed: list[PlacedChar] = []
    # How much of its blank half each squeezed mark gives; the gap on that side is not
    # squeezed as well.
    squeezed = {
        i: min(fit.mark_squeeze_pt, text.squeeze_cap_pt[i])
        for i in range(start + 1, end - 1)
        if fit.mark_squeeze_pt > 0 and text.squeeze_cap_pt[i] > 0
    }
    kept_gaps = {i if chars[i] in CLOSING_MARKS else i - 1 for i in squeezed}
    x = indent_pt
    for i in range(start, end):
        char = chars[i]
        # How much of the blank half this mark loses: to a neighbouring mark or to a squeeze.
        taken = squeezed.get(i, 0.0)
        pair_before = i > start and text.pair_cut[i - 1] > 0 and chars[i - 1] not in CLOSING_MARKS
        if char in OPENING_MARKS and pair_before:
            taken = half
        if char in OPENING_MARKS:
            x -= taken
        placed.append(PlacedChar(char, x, text.advance_pt[i]))
        x += text.width_pt[i]
        if char in CLOSING_MARKS:
            x -= taken
            if i < end - 1:
                x -= text.pair_cut[i]
        if i < end - 1 and not text.tight(i):
            x += fit.spread_pt - (0.0 if i in kept_gaps else fit.gap_squeeze_pt)
    # The line's extent ends at its last glyph box, before any hanging blank half.
    width = x - text.tracking_pt - fit.hang_pt if placed else indent_pt
    if fill_pt is not None and placed:
        width = fill_pt
    return ComposedLine(tuple(placed), width, last)


def compose_paragraph(
    text: str,
    advance_pt: Advance,
    *,
    width_pt: float,
    em_pt: float,
    tracking_pt: float = 0.0,
    first_indent_pt: float = 0.0,
    rest_indent_pt: float = 0.0,
    justify: bool = True,
    squeeze: bool = True,
) -> list[ComposedLine]:
    """Break a paragraph into grid lines (kinsoku, §6 compression) and justify all but the last.

    `squeeze=False` allows only the adjacent-mark compression and the end hang (the imprint).
    """
    prepared = PreparedText(text, advance_pt, em_pt, tracking_pt, PARAGRAPH_SPACES)
    breaks = _best_breaks(prepared, width_pt, first_indent_pt, rest_indent_pt, justify, squeeze)
    lines: list[ComposedLine] = []
    start, indent = prepared.skip_spaces(0), first_indent_pt
    for end in breaks:
        last = prepared.skip_spaces(end) >= prepared.count
        stretch = justify and not last
        fit = fit_line(prepared, start, end, width_pt - indent, stretch, squeeze)
        fill = width_pt if stretch else None
        lines.append(place_line(prepared, start, end, indent, fit or Fit(), last, fill))
        start, indent = prepared.skip_spaces(end), rest_indent_pt
    return lines


def _best_breaks(
    text: PreparedText,
    width_pt: float,
    first_indent_pt: float,
    rest_indent_pt: float,
    justify: bool,
    squeeze: bool,
) -> list[int]:
    """The ends of the lines, chosen for the least total cost over the whole paragraph."""
    count = text.count
    first = text.skip_spaces(0)
    if first >= count:
        return []
    # Step 1: best[start] = (cost of the lines before it, the previous line's start) for every
    # position where a line can start; positions are visited in order, so each is final when
    # reached (every line ends after it starts). ends[start]: where the previous line ended.
    best: dict[int, tuple[float, int]] = {first: (0.0, -1)}
    ends: dict[int, int] = {}
    for start in range(first, count):
        if start not in best:
            continue
        cost_before = best[start][0]
        avail = width_pt - (first_indent_pt if start == first else rest_indent_pt)
        for end, line_cost in _candidate_ends(text, start, avail, justify, squeeze):
            following = text.skip_spaces(end)
            total = cost_before + line_cost
            if following not in best or total < best[following][0] - 1e-9:
                best[following] = (total, start)
                ends[following] = end
    # Step 2: walk back from the paragraph's end.
    out: list[int] = []
    position = count
    while position != first:
        out.append(ends[position])
        position = best[position][1]
    return out[::-1]


def _candidate_ends(
    text: PreparedText, start: int, avail_pt: float, justify: bool, squeeze: bool
) -> list[tuple[int, float]]:
    """Ends for a line from start with their costs: the ends the limits accept, and if the best
    break classes give none, the ends of the next class, then any end at all."""
    found = _ends(text, start, avail_pt, justify, squeeze, within_limits=justify)
    out = _best_classes(found)
    if justify and not any(cost < OVER_LIMIT_PENALTY for _, cost in out):
        out = _best_classes(_ends(text, start, avail_pt, justify, squeeze, within_limits=False))
    if not out:  # nothing fits at all (a cluster longer than the line): cut where it overflows
        end, last_end = start + 1, _window_end(text, start, avail_pt)
        while end < last_end and text.natural_pt(start, end + 1) <= avail_pt + EPS_PT:
            end += 1
        out.append((end, BREAK_PENALTY[BREAK_KINSOKU] * 100))
    return out


def _window_end(text: PreparedText, start: int, avail_pt: float) -> int:
    """The last end a line from start may have, by its count of characters."""
    cells = int(avail_pt / text.cell_pt) + 3 if text.cell_pt > 0 else 3
    return min(text.count, start + MAX_CHARS_PER_CELL * cells)


def _ends(
    text: PreparedText,
    start: int,
    avail_pt: float,
    justify: bool,
    squeeze: bool,
    within_limits: bool,
) -> dict[int, list[tuple[int, float]]]:
    """Possible ends of a line from start, by break class, with the line's cost."""
    by_class: dict[int, list[tuple[int, float]]] = {}
    for end in range(start + 1, _window_end(text, start, avail_pt) + 1):
        natural = text.natural_pt(start, text.strip_spaces(end))
        if natural > avail_pt + text.cell_pt * 2.5:
            break
        if within_limits and natural < avail_pt - SPREAD_LIMIT_PT * (end - start):
            continue  # too short to justify within the limit: not worth a look yet
        klass = text.break_class[end]
        if klass == BREAK_NEVER or text.visible(start, end) == 0:
            continue
        last = text.skip_spaces(end) >= text.count
        fit = fit_line(text, start, end, avail_pt, justify and not last, squeeze)
        if fit is None:
            continue
        cost = fit.cost + BREAK_PENALTY[klass]
        if last and justify and start > 0 and _characters(text, start, end) < 2:
            cost += LONE_LAST_CHARACTER_COST
        if not justify and not last and natural < avail_pt:
            cost += ((avail_pt - natural) / text.cell_pt) ** 2  # ragged: fuller lines first
        by_class.setdefault(klass, []).append((end, cost))
    # A break inside a cluster or against kinsoku is a last resort, so one end per such class
    # is offered, not every letter of an unbreakable run: that keeps the search linear in the
    # run's length. It is the cheapest end within the limits, else the line's end (§6: a word
    # longer than the line breaks at its edge).
    for klass in (BREAK_IN_CLUSTER, BREAK_KINSOKU):
        found = by_class.get(klass)
        if found:
            penalty = BREAK_PENALTY[klass]
            within = [c for c in found if c[1] - penalty < OVER_LIMIT_PENALTY]
            by_class[klass] = [min(within, key=lambda c: c[1]) if within else max(found)]
    return by_class


def _characters(text: PreparedText, start: int, end: int) -> int:
    """Characters in chars[start:end] that are not spaces or punctuation marks."""
    return sum(
        1
        for i in range(start, end)
        if text.chars[i] not in text.spaces
        and not text.is_mark[i]
        and text.chars[i] not in LINE_START_FORBIDDEN
    )


def _best_classes(by_class: dict[int, list[tuple[int, float]]]) -> list[tuple[int, float]]:
    """The candidates of the best break classes, down to the first with an acceptable line."""
    out: list[tuple[int, float]] = []
    for klass in sorted(by_class):
        found = by_class[klass]
        out += found
        if any(cost - BREAK_PENALTY[klass] < OVER_LIMIT_PENALTY for _, cost in found):
            break  # an acceptable line exists: worse classes are not needed
    return out
