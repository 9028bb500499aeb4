"""Title lines (layout.md §3): breaks between words, never inside a short 《》“”（）〔〕 span,
never one character alone, lines as equal as the words allow; linear in the title's length."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection

from pipeline.layout.gridtext import (
    BREAK_FREE,
    EPS_PT,
    LINE_START_FORBIDDEN,
    Advance,
    ComposedLine,
    PreparedText,
)
from pipeline.layout.linebreak import compose_paragraph
from pipeline.layout.linefit import Fit, fit_line, place_line

TITLE_SPACES = frozenset(" \u3000")
SPANS = {"《": "》", "“": "”", "（": "）", "〔": "〕", "(": ")"}
EXTRA_LINE_COUNTS = 2  # line counts tried beyond the fewest, when words or spans need them
SPACE_BONUS = 20.0  # a space the clerk typed is a preferred break
PUNCTUATION_BONUS = 2.0  # so is a break after 、，：
INSIDE_WORD_PENALTY = 1e3
INSIDE_SPAN_PENALTY = 1e4

WordStarts = Callable[[str], Collection[int]]


def compose_title(
    text: str,
    advance_pt: Advance,
    *,
    width_pt: float,
    em_pt: float,
    tracking_pt: float = 0.0,
    word_starts: WordStarts | None = None,
) -> list[ComposedLine]:
    """Lines for a centred title: not justified (the caller centres each line).

    word_starts gives where words begin; by default jieba decides, loaded only for a title
    that needs more than one line.
    """
    prepared = PreparedText(text, advance_pt, em_pt, tracking_pt, TITLE_SPACES)
    start, end = prepared.skip_spaces(0), prepared.strip_spaces(prepared.count)
    if start >= end:
        return []
    one_line = fit_line(prepared, start, end, width_pt, False, False)
    if one_line is not None:
        return [place_line(prepared, start, end, 0.0, one_line, True)]
    if word_starts is None:
        from pipeline.layout import words

        word_starts = words.word_starts
    costs = _break_costs(prepared, width_pt, word_starts(text))
    breaks = _balanced_breaks(prepared, start, end, width_pt, costs)
    if breaks is None:  # no split keeps two characters a line: set it as a ragged paragraph
        return compose_paragraph(
            text.strip(),
            advance_pt,
            width_pt=width_pt,
            em_pt=em_pt,
            tracking_pt=tracking_pt,
            justify=False,
        )
    lines = []
    for k, line_end in enumerate(breaks):
        fit = fit_line(prepared, start, line_end, width_pt, False, False) or Fit()
        lines.append(place_line(prepared, start, line_end, 0.0, fit, k == len(breaks) - 1))
        start = prepared.skip_spaces(line_end)
    return lines


def _break_costs(
    text: PreparedText, width_pt: float, starts: Collection[int]
) -> list[float | None]:
    """The cost of a line break before each position; None where it may not fall."""
    chars, count = text.chars, text.count
    # Spans shorter than a line are kept whole.
    inside_short_span = [False] * (count + 1)
    opened: list[tuple[str, int]] = []
    for i, char in enumerate(chars):
        if char in SPANS:
            opened.append((SPANS[char], i))
        elif opened and char == opened[-1][0]:
            _, first = opened.pop()
            if text.natural_pt(first, i + 1) <= width_pt + EPS_PT:
                inside_short_span[first + 1 : i + 1] = [True] * (i - first)
    costs: list[float | None] = [None] * (count + 1)
    for i in range(1, count):
        if text.break_class[i] != BREAK_FREE:
            continue  # kinsoku, or inside a number, a Latin word, a document number
        cost = 0.0
        typed_space = chars[i - 1] in TITLE_SPACES or chars[i] in TITLE_SPACES
        if i not in starts and not typed_space:
            cost += INSIDE_WORD_PENALTY
        if inside_short_span[i]:
            cost += INSIDE_SPAN_PENALTY
        if typed_space:
            cost -= SPACE_BONUS
        elif chars[i - 1] in LINE_START_FORBIDDEN:
            cost -= PUNCTUATION_BONUS
        costs[i] = cost
    costs[count] = 0.0
    return costs


def _balanced_breaks(
    text: PreparedText, start: int, end: int, width_pt: float, costs: list[float | None]
) -> list[int] | None:
    """Line ends for the fewest lines whose breaks need no penalty, as equal as possible."""
    total = text.natural_pt(start, end)
    fewest = max(2, math.ceil((total - EPS_PT) / width_pt))
    best: tuple[float, int, float, list[int]] | None = None
    for count in range(fewest, fewest + EXTRA_LINE_COUNTS + 1):
        found = _breaks_for_target(text, start, end, width_pt, costs, total / count)
        if found is None:
            continue
        penalty, balance, breaks = found
        key = (penalty, len(breaks), balance, breaks)
        if best is None or key[:3] < best[:3]:
            best = key
        if penalty == 0:
            break  # the fewest lines that need no penalty
    return best[3] if best is not None else None


def _breaks_for_target(
    text: PreparedText,
    start: int,
    end: int,
    width_pt: float,
    costs: list[float | None],
    target_pt: float,
) -> tuple[float, float, list[int]] | None:
    """The breaks with lines closest to target_pt: (penalties, balance cost, line ends)."""
    em = text.cell_pt
    # best[line_start] = (penalties, balance, previous line's start, this line's start's break)
    best: dict[int, tuple[float, float, int, int]] = {start: (0.0, 0.0, -1, -1)}
    for line_start in range(start, end):
        if line_start not in best:
            continue
        penalty_before, balance_before = best[line_start][:2]
        for line_end in range(line_start + 2, end + 1):
            stripped = text.strip_spaces(line_end)
            extent = text.natural_pt(line_start, stripped)
            if extent - text.end_hang_pt(stripped) > width_pt + EPS_PT:
                break
            cost = costs[line_end]
            if cost is None or text.visible(line_start, line_end) < 2:
                continue  # never one character alone
            penalty = penalty_before + max(cost, 0.0)
            balance = balance_before + ((extent - target_pt) / em) ** 2 + min(cost, 0.0)
            following = text.skip_spaces(line_end) if line_end < end else end
            known = best.get(following)
            if known is None or (penalty, balance) < known[:2]:
                best[following] = (penalty, balance, line_start, line_end)
    if end not in best:
        return None
    penalty, balance = best[end][:2]
    breaks: list[int] = []
    position = end
    while position != start:
        _, _, previous, line_end = best[position]
        breaks.append(line_end)
        position = previous
    return penalty, balance, breaks[::-1]
