"""Line composition on a fixed character grid: kinsoku, punctuation compression, justification.

The composer follows typst's linebreak.rs: prepare the text once (gridtext.PreparedText), choose
the breaks for the whole paragraph at once by dynamic programming (each candidate line costs
how much it must change its gaps, layout.md §6: `linefit`), then place each line. Titles (§3)
have their own balanced breaker in `titlebreak`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from pipeline.layout.gridtext import (
    BREAK_FREE,
    BREAK_IN_CLUSTER,
    BREAK_IN_RANGE,
    BREAK_KINSOKU,
    BREAK_NEVER,
    EPS_PT,
    ISOLATED_MARK_SQUEEZE,
    PARAGRAPH_SPACES,
    Advance,
    ComposedLine,
    PreparedText,
)
from pipeline.layout.linefit import (
    GAP_SQUEEZE_LIMIT_PT,
    OFF_GRID_COST,
    OVER_LIMIT_PENALTY,
    SPREAD_LIMIT_PT,
    Fit,
    fit_line,
    place_line,
)

# A break of a worse class is taken only when the better ones leave no line within the limits.
BREAK_PENALTY = {BREAK_FREE: 0.0, BREAK_IN_RANGE: 500.0, BREAK_IN_CLUSTER: 1e9, BREAK_KINSOKU: 1e11}
# A paragraph's last line holding one character (县。) is avoided when a spread line above can
# take it: dearer than one off-grid line, far cheaper than breaking a limit.
LONE_LAST_CHARACTER_COST = 40.0
# A line holds at most this many characters per cell of its width (the narrowest glyphs, such
# as ASCII full stops, take a quarter cell): the window of ends looked at from one start stays
# bounded by the line's length even for zero-width characters.
MAX_CHARS_PER_CELL = 4
# The search leaves out line starts dearer than a first guess plus twice this margin. Only
# where the guess is below PRUNE_BELOW: beyond it (forced breaks cost 1e11) the floats are too
# coarse for the margin to mean anything.
PRUNE_MARGIN = 1.0
PRUNE_BELOW = 1e6
# Bounds below the guess are tried first (search_bounds), each one line off the grid apart.
PRUNE_STEP = OFF_GRID_COST
# At most this many: each that finds nothing costs a pass over the paragraph's positions, and
# uncapped (a bound per step up to the guess) one paragraph of 3,000 zero-width spaces, whose
# guess is ~110,000 (5,000 bounds), took minutes.
LOWER_BOUNDS = 3
# Ends looked at one by one from the fewest characters a line may hold, before bisecting: most
# lines are long enough within a few characters of it.
PROBES = 4

_COST = operator.itemgetter(1)  # of an (end, cost) candidate


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
    first = text.skipped[0]
    if first >= text.count:
        return []
    known: dict[int, list[tuple[int, float]]] = {}

    def candidates(start: int) -> list[tuple[int, float]]:
        found = known.get(start)
        if found is None:
            avail = width_pt - (first_indent_pt if start == first else rest_indent_pt)
            found = known[start] = _candidate_ends(text, start, avail, justify, squeeze)
        return found

    # A first guess bounds the best total: a line start that already costs more than the
    # guess cannot be on the best breaks, so the search leaves it out (most starts lie off
    # the character columns and cost at least OFF_GRID_COST). See _search for why this never
    # changes the breaks chosen.
    guess = first_guess(text, first, candidates)
    if guess < PRUNE_BELOW:
        for bound in search_bounds(guess):
            found = _search(text, first, candidates, bound)
            if found is not None:
                return found
    found = _search(text, first, candidates, math.inf)
    assert found is not None
    return found


def search_bounds(guess: float) -> list[float]:
    """The bounds _best_breaks tries in turn for a first guess of the total: at most
    LOWER_BOUNDS below it, PRUNE_STEP apart and rising, then the guess's own (with its margin).

    The best total is most often a line or two off the grid cheaper than the guess, and a
    lower bound leaves out more starts; a search that finds nothing below its bound costs
    little more than a pass over the positions (the starts it priced are kept for the next),
    and there are at most LOWER_BOUNDS of them, so composing stays linear in the length.
    """
    steps = math.ceil(guess / PRUNE_STEP) if guess > 0 else 0
    lowest = max(1, steps - LOWER_BOUNDS)
    lower = [k * PRUNE_STEP + 2 * PRUNE_MARGIN for k in range(lowest, steps)]
    return [*lower, guess + 2 * PRUNE_MARGIN]


def first_guess(
    text: PreparedText, first: int, candidates: Callable[[int], list[tuple[int, float]]]
) -> float:
    """The total cost of the breaks that take each line the cheapest from where the last one
    ended: at least the least total."""
    guess, start = 0.0, first
    while start < text.count:
        end, line_cost = min(candidates(start), key=lambda c: c[1])
        guess, start = guess + line_cost, text.skipped[end]
    return guess


def _search(
    text: PreparedText,
    first: int,
    candidates: Callable[[int], list[tuple[int, float]]],
    bound: float,
) -> list[int] | None:
    """The least-cost breaks by dynamic programming over line starts, leaving out the starts
    that cost more than bound; None if the result is not below bound - PRUNE_MARGIN.

    A best cost below bound - PRUNE_MARGIN is the same as without the bound, and so is every
    choice on the way to it: a start left out costs more than bound, and each line costs at
    least 0, so what it would have offered any position is dearer than that position's own best
    by far more than the 1e-9 that decides between near ties.
    """
    count, skipped, inf = text.count, text.skipped, math.inf
    # Step 1: best[start], the cost of the lines before it (inf where no line has ended yet),
    # and previous[start], the previous line's start, for every position where a line can
    # start; positions are visited in order, so each is final when reached (every line ends
    # after it starts). ends[start]: where the previous line ended.
    best, previous, ends = [inf] * (count + 1), [-1] * (count + 1), [0] * (count + 1)
    best[first] = 0.0
    for start in range(first, count):
        cost_before = best[start]
        if cost_before > bound or cost_before == inf:
            continue
        for end, line_cost in candidates(start):
            following = skipped[end]
            total = cost_before + line_cost
            if total < best[following] - 1e-9:
                best[following], previous[following], ends[following] = total, start, end
    if not best[count] < bound - PRUNE_MARGIN:
        return None
    # Step 2: walk back from the paragraph's end.
    out: list[int] = []
    position = count
    while position != first:
        out.append(ends[position])
        position = previous[position]
    return out[::-1]


def _candidate_ends(
    text: PreparedText, start: int, avail_pt: float, justify: bool, squeeze: bool
) -> list[tuple[int, float]]:
    """Ends for a line from start with their costs: the ends the limits accept, and if the best
    break classes give none, the ends of the next class, then any end at all."""
    found = _ends(text, start, avail_pt, justify, squeeze, within_limits=justify)
    out = _best_classes(found)
    if justify and (not out or min(out, key=_COST)[1] >= OVER_LIMIT_PENALTY):
        out = _unlimited_ends(text, start, avail_pt, squeeze)
    if not out:  # nothing fits at all (a cluster longer than the line): cut where it overflows
        end, last_end = start + 1, _window_end(text, start, avail_pt)
        while end < last_end and text.natural_pt(start, end + 1) <= avail_pt + EPS_PT:
            end += 1
        out.append((end, BREAK_PENALTY[BREAK_KINSOKU] * 100))
    return out


def _unlimited_ends(
    text: PreparedText, start: int, avail_pt: float, squeeze: bool
) -> list[tuple[int, float]]:
    """The candidates of a justified line from start when none within the limits is acceptable:
    those of the best break classes among all ends.

    Where the paragraph can end on this line, that is all but the lines too short to justify
    within the limit: in a window of at most SPREAD_LIMIT_PT / EPS_PT characters each spreads
    its gaps beyond the limit and costs over 1,400, more than ending the paragraph here, so no
    best total, nor the best way to any line start on the way to it, goes through one.
    """
    if _window_end(text, start, avail_pt) - start <= SPREAD_LIMIT_PT / EPS_PT:
        free = _ends(text, start, avail_pt, True, squeeze, True, keep_last=True).get(BREAK_FREE)
        if free and min(free, key=_COST)[1] < OVER_LIMIT_PENALTY:
            return free  # ending the paragraph is acceptable: the class of every last end
    return _best_classes(_ends(text, start, avail_pt, True, squeeze, within_limits=False))


def _first_long_enough(
    text: PreparedText, start: int, first_end: int, last_end: int, avail_pt: float
) -> int:
    """The first end from first_end on (at most last_end + 1) of a line from start that is not
    too short to justify within the limit. The lines too short are a prefix of the window (each
    end adds more than the limit takes away); none has fewer characters than the room over the
    widest character and its limit, so the search starts there, then bisects."""
    stripped = text.stripped
    low, high = first_end, last_end + 1
    if text.max_width_pt > 0:
        fewest = math.ceil(avail_pt / (text.max_width_pt + SPREAD_LIMIT_PT) - 1e-6)
        low = max(low, min(high, start + fewest))
    probes = 0
    while low < high:
        middle = low if probes < PROBES else (low + high) // 2
        probes += 1
        natural = text.natural_pt(start, stripped[middle])
        if natural < avail_pt - SPREAD_LIMIT_PT * (middle - start):
            low = middle + 1
        elif probes <= PROBES:
            return middle
        else:
            high = middle
    return low


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
    keep_last: bool = False,
) -> dict[int, list[tuple[int, float]]]:
    """Possible ends of a line from start, by break class, with the line's cost; within_limits
    leaves out the lines too short to justify within the limit, but for keep_last the
    paragraph's last line."""
    by_class: dict[int, list[tuple[int, float]]] = {}
    width_cum, pair_cum, stripped = text.width_cum, text.pair_cut_cum, text.stripped
    width_before, pairs_before = width_cum[start], pair_cum[start]
    visible_before, visible_cum = text.visible_cum[start], text.visible_cum
    count, skipped, break_class = text.count, text.skipped, text.break_class
    loose_cum, end_hang = text.loose_gaps_cum, text.end_hang
    loose_before = loose_cum[start]
    quarter_cum, adjacent_cum = text.quarter_marks_cum, text.adjacent_marks_cum
    cell = text.cell_pt
    quarter_cap, adjacent_cap = ISOLATED_MARK_SQUEEZE * cell, cell / 2
    too_long = avail_pt + cell * 2.5
    cells = int(avail_pt / cell) + 3 if cell > 0 else 3  # _window_end, spelt out
    first_end, last_end = start + 1, min(count, start + MAX_CHARS_PER_CELL * cells)
    if within_limits and text.min_width_pt > -SPREAD_LIMIT_PT / 2:
        first_end = _first_long_enough(text, start, first_end, last_end, avail_pt)
    last_start = stripped[count] if keep_last else count + 1  # the ends of a last line
    first_end = max(start + 1, min(first_end, last_start))
    for end in range(first_end, last_end + 1):
        line_end = stripped[end]
        # natural_pt(start, line_end), spelt out: this loop is the composer's hot spot.
        natural = (
            width_cum[line_end] - width_before - (pair_cum[line_end - 1] - pairs_before)
            if line_end > start
            else 0.0
        )
        if natural > too_long:
            break
        if (
            within_limits
            and end < last_start
            and natural < avail_pt - SPREAD_LIMIT_PT * (end - start)
        ):
            continue  # too short to justify within the limit: not worth a look yet
        klass = break_class[end]
        if klass == BREAK_NEVER or visible_cum[end] == visible_before:
            continue
        last = skipped[end] >= count
        slack = avail_pt - natural
        stretch = justify and not last
        # fit_values' cost, spelt out (the same arithmetic, test_linebreak checks): this loop
        # is where composing spends its time.
        if slack >= -EPS_PT:
            if not stretch or slack <= EPS_PT:
                line_cost = 0.0
            else:
                gaps = loose_cum[line_end - 1 if line_end - 1 > start else start] - loose_before
                if gaps == 0:
                    line_cost = OVER_LIMIT_PENALTY + 100 * slack**2
                else:
                    per_gap = slack / gaps
                    line_cost = OFF_GRID_COST + per_gap**2
                    if per_gap > SPREAD_LIMIT_PT + EPS_PT:
                        line_cost = OVER_LIMIT_PENALTY + 100 * line_cost
        else:  # too long: the end hang, then squeezing, as fit_values does
            over = -slack
            hang = end_hang[line_end]
            over -= over if over <= hang else hang  # min(over, hang), without the call
            if over <= EPS_PT:
                line_cost = 0.0
            elif not squeeze:
                continue
            else:
                low, high = start + 1, line_end - 1  # squeezable_marks
                if high <= low:
                    quarters = adjacents = 0
                else:
                    quarters = quarter_cum[high] - quarter_cum[low]
                    adjacents = adjacent_cum[high] - adjacent_cum[low]
                marks = quarters + adjacents
                if marks and over <= marks * quarter_cap:
                    per_mark = over / marks
                elif adjacents and over <= quarters * quarter_cap + adjacents * adjacent_cap:
                    per_mark = quarter_cap + (over - marks * quarter_cap) / adjacents
                else:
                    per_mark = adjacent_cap if adjacents else quarter_cap if marks else 0.0
                taken = quarters * (per_mark if per_mark <= quarter_cap else quarter_cap) + (
                    adjacents * (per_mark if per_mark <= adjacent_cap else adjacent_cap)
                )
                rest = over - taken
                gap_count = (
                    loose_cum[line_end - 1 if line_end - 1 > start else start] - loose_before
                ) - (marks if per_mark > 0 else 0)
                per_gap = rest / gap_count if gap_count > 0 and rest > EPS_PT else 0.0
                if rest > EPS_PT and (gap_count <= 0 or per_gap > GAP_SQUEEZE_LIMIT_PT + EPS_PT):
                    continue
                change = per_mark if per_mark > per_gap else per_gap
                line_cost = OFF_GRID_COST + change**2
        cost = line_cost + BREAK_PENALTY[klass]
        if last and justify and start > 0 and text.fewer_than_two_characters(start, end):
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


def _best_classes(by_class: dict[int, list[tuple[int, float]]]) -> list[tuple[int, float]]:
    """The candidates of the best break classes, down to the first with an acceptable line."""
    out: list[tuple[int, float]] = []
    for klass in sorted(by_class):
        found = by_class[klass]
        out += found
        if min(found, key=_COST)[1] - BREAK_PENALTY[klass] < OVER_LIMIT_PENALTY:
            break  # an acceptable line exists: worse classes are not needed
    return out
