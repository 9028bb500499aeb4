"""A text prepared for the character grid: widths, removable blank halves of marks and break
opportunities (kinsoku, words, numbers, document numbers), as layout.md §1 and §6 define them."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import NamedTuple

EPS_PT = 0.01  # tolerance when deciding whether material fits a line

# GB/T 15834 / clreq (GB and strict levels): marks that never begin a line.
LINE_START_FORBIDDEN = frozenset("、，。；：？！”’）〕］】》〉」』〗｝·・／～—―…⋯,.;:?!)]")
# Marks that never end a line.
LINE_END_FORBIDDEN = frozenset("“‘（〔［【《〈「『〖｛([")
# Full-width marks whose glyph fills one half of the em; the other half is blank and removable.
CLOSING_MARKS = frozenset("，。、；：”’）〕］】》〉」』〗｝")  # blank half on the right
OPENING_MARKS = frozenset("“‘（〔［【《〈「『〖｛")  # blank half on the left
# Two of these side by side form one 2-em mark (—— or ……) that is never split or stretched.
DOUBLED_MARKS = frozenset("—―…⋯")
ASCII_DIGITS = frozenset("0123456789")
RANGE_DASHES = frozenset("—–～~-")
PARAGRAPH_SPACES = frozenset(" ")
_MARKS = CLOSING_MARKS | OPENING_MARKS
# The characters after which a break between two visible characters may not be free.
_CLUSTER_STARTS = DOUBLED_MARKS | RANGE_DASHES | ASCII_DIGITS | {"%"}

ISOLATED_MARK_SQUEEZE = 0.25  # of a cell: an isolated mid-line mark keeps 3/4 of its cell

# Break opportunities, best first (linebreak prices them).
BREAK_FREE, BREAK_IN_RANGE, BREAK_IN_CLUSTER, BREAK_KINSOKU, BREAK_NEVER = range(5)

_ASCII_WORD = re.compile(r"[A-Za-z0-9]+(?:[.,%/:\-][A-Za-z0-9]+)*%?")
# A document number 〔2024〕15号, with its issuer's code before it: 川志办发〔2024〕21号.
_DOCUMENT_NUMBER = re.compile(r"(?:[\u4e00-\u9fff]{1,3}[发函字令电])?〔\d{4}〕\d+号")


def _one_of(characters: frozenset[str]) -> re.Pattern[str]:
    """A pattern matching any one of the characters."""
    return re.compile("[" + "".join(map(re.escape, sorted(characters))) + "]")


_CLUSTER_START = _one_of(_CLUSTER_STARTS)
_MARK = _one_of(_MARKS)
_DOUBLED_PAIR = re.compile(f"(?=({_one_of(DOUBLED_MARKS).pattern})\\1)")  # before its twin
_start = operator.methodcaller("start")
_START_FORBIDDEN = _one_of(LINE_START_FORBIDDEN)
_END_FORBIDDEN = _one_of(LINE_END_FORBIDDEN)

Advance = Callable[[str], float]


class PlacedChar(NamedTuple):
    """One glyph on a line: its box's x (line-box relative, indent included) and box width."""

    char: str
    x_pt: float
    advance_pt: float


@dataclass(frozen=True)
class ComposedLine:
    """One composed line: its characters, each one's box x (line-box relative, indent included)
    and box width, and the used extent from the line box's left edge."""

    text: str
    x_pt: tuple[float, ...]
    advance_pt: tuple[float, ...]
    width_pt: float
    is_last: bool

    @property
    def chars(self) -> tuple[PlacedChar, ...]:
        """The line's characters with their boxes."""
        return tuple(map(PlacedChar, self.text, self.x_pt, self.advance_pt))


class PreparedText:
    """A text as code points with widths, removable blank halves and break opportunities.

    Every per-position quantity is computed once here, as lists the breakers index directly.
    """

    def __init__(
        self,
        text: str,
        advance_pt: Advance,
        em_pt: float,
        tracking_pt: float,
        spaces: frozenset[str],
    ) -> None:
        self.text = text
        self.chars = chars = list(text)
        self.count = count = len(chars)
        self.spaces = spaces
        self.cell_pt = cell = em_pt + tracking_pt
        self.tracking_pt = tracking_pt
        self.advance_pt = list(map(advance_pt, chars))
        width: list[float] = list(map(operator.add, self.advance_pt, repeat(tracking_pt)))
        self.width_pt = width
        self.width_cum = list(accumulate(width, initial=0.0))
        self.min_width_pt = min(width, default=0.0)
        self.max_width_pt = max(width, default=0.0)
        mark_width = 0.9 * cell
        marks = [i for i in map(_start, _MARK.finditer(text)) if width[i] >= mark_width]
        self.is_mark = is_mark = [False] * count
        for i in marks:
            is_mark[i] = True
        # Step 1, adjacent marks (§6.1): at a junction of two marks the facing blank half goes,
        # the first mark's if it is a closing one, else the second's. pair_cut[j]: junction j
        # lies between chars j and j+1.
        half = cell / 2
        self.pair_cut = pair_cut = [0.0] * max(count - 1, 0)
        for j in marks:
            facing = j + 1 < count and (chars[j] in CLOSING_MARKS or chars[j + 1] in OPENING_MARKS)
            if facing and is_mark[j + 1]:
                pair_cut[j] = half
        self.pair_cut_cum = list(accumulate(pair_cut, initial=0.0))
        # What each junction's cut takes from the x of the boxes after it, as place_line adds
        # it: a closing mark's blank half after its box, an opening mark's before its own.
        self.closing_cut = [0.0] * count
        self.opening_cut = [0.0] * count
        for j in marks:
            if j + 1 < count and pair_cut[j] > 0:
                if chars[j] in CLOSING_MARKS:
                    self.closing_cut[j] = -pair_cut[j]
                else:
                    self.opening_cut[j + 1] = -half
        # Step 2, what squeezing may still take (§6.3): the blank half a mark has left; a mark
        # with no mark beside it gives at most a quarter cell, one beside a mark its blank half.
        # squeeze_cap_pt[i]: 0 for what is not a mark or has no blank half left.
        quarter, adjacent = [0] * count, [0] * count
        self.squeeze_cap_pt = [0.0] * count
        for i in marks:
            # Its blank half already taken by the pair rule: nothing left to squeeze.
            if chars[i] in CLOSING_MARKS:
                if i < count - 1 and pair_cut[i] > 0:
                    continue
            elif i > 0 and pair_cut[i - 1] > 0 and chars[i - 1] not in CLOSING_MARKS:
                continue
            beside_mark = (i > 0 and is_mark[i - 1]) or (i + 1 < count and is_mark[i + 1])
            (adjacent if beside_mark else quarter)[i] = 1
            self.squeeze_cap_pt[i] = half if beside_mark else ISOLATED_MARK_SQUEEZE * cell
        self.quarter_marks_cum = list(accumulate(quarter, initial=0))
        self.adjacent_marks_cum = list(accumulate(adjacent, initial=0))
        self.word = word = [-1] * count
        words = [match.span() for match in _ASCII_WORD.finditer(text)]
        for k, (word_start, word_end) in enumerate(words):
            word[word_start:word_end] = [k] * (word_end - word_start)
        # Step 3, gaps that justification may change: not inside a Latin word or a —— / …….
        self.loose = loose = [1] * max(count - 1, 0)
        for word_start, word_end in words:
            loose[word_start : word_end - 1] = [0] * (word_end - word_start - 1)
        for i in map(_start, _DOUBLED_PAIR.finditer(text)):
            loose[i] = 0
        self.loose_gaps_cum = list(accumulate(loose, initial=0))
        has_spaces = any(space in text for space in spaces)
        # stripped[e]: e with the spaces before it dropped; skipped[s]: the first non-space at
        # or after s (count if none).
        if has_spaces:
            visible = [c not in spaces for c in chars]
            self.visible_cum = list(accumulate(map(int, visible), initial=0))
            self.stripped = stripped = [0] * (count + 1)
            for e in range(1, count + 1):
                stripped[e] = e if visible[e - 1] else stripped[e - 1]
            self.skipped = skipped = [count] * (count + 1)
            for s in range(count - 1, -1, -1):
                skipped[s] = s if visible[s] else skipped[s + 1]
        else:  # most paragraphs: every position is its own
            self.visible_cum = list(range(count + 1))
            self.stripped = list(range(count + 1))
            self.skipped = list(range(count + 1))
        # end_hang_pt[e]: what a closing mark ending a line at e may hang past the edge (§6.2).
        self.end_hang = [0.0] * (count + 1)
        for i in marks:
            if chars[i] in CLOSING_MARKS:
                self.end_hang[i + 1] = half
        # Step 4, break opportunities: break_class[i] for a break before chars[i].
        if has_spaces:
            self.break_class = self._break_classes(text)
        else:
            self.break_class = self._unspaced_break_classes(text, words)

    def _break_classes(self, text: str) -> list[int]:
        chars, count, word = self.chars, self.count, self.word
        stripped, skipped = self.stripped, self.skipped
        in_document_number = [False] * (count + 1)
        for match in _DOCUMENT_NUMBER.finditer(text):
            for i in range(match.start() + 1, match.end()):
                in_document_number[i] = True
        classes = [BREAK_NEVER] * count + [BREAK_FREE]
        for i in range(1, count):
            # The nearest visible characters before and after the break.
            before, after = stripped[i] - 1, skipped[i]
            if before < 0 or after >= count:
                continue  # spaces only on one side: the break would make an empty line
            if chars[after] in LINE_START_FORBIDDEN or chars[before] in LINE_END_FORBIDDEN:
                classes[i] = BREAK_KINSOKU
            elif before == i - 1 and after == i:
                j = before
                char = chars[j]
                if in_document_number[i] or (word[j] >= 0 and word[j] == word[i]):
                    classes[i] = BREAK_IN_CLUSTER
                elif char in _CLUSTER_STARTS:
                    classes[i] = self._cluster_class(j)
                else:
                    classes[i] = BREAK_FREE
            else:
                classes[i] = BREAK_FREE
        return classes

    def _unspaced_break_classes(self, text: str, words: list[tuple[int, int]]) -> list[int]:
        """_break_classes for a text without spaces, where the characters either side of the
        break before i are i - 1 and i: every break is free but those the rules name, each
        found by a regular expression, the rule that wins over another set last."""
        count = self.count
        classes = [BREAK_NEVER] * min(count, 1) + [BREAK_FREE] * max(count, 1)
        for match in _CLUSTER_START.finditer(text, 0, count - 1):
            j = match.start()
            classes[j + 1] = self._cluster_class(j)
        for start, end in words:
            classes[start + 1 : end] = [BREAK_IN_CLUSTER] * (end - start - 1)
        for match in _DOCUMENT_NUMBER.finditer(text):
            start, end = match.span()
            classes[start + 1 : end] = [BREAK_IN_CLUSTER] * (end - start - 1)
        for match in _START_FORBIDDEN.finditer(text, 1):
            classes[match.start()] = BREAK_KINSOKU
        for match in _END_FORBIDDEN.finditer(text, 0, count - 1):
            classes[match.start() + 1] = BREAK_KINSOKU
        return classes

    def _cluster_class(self, j: int) -> int:
        """The class of a break between adjacent visible chars j and j+1, chars[j] being a
        digit, a dash or %, and the two not in one word or document number."""
        chars = self.chars
        if chars[j] in DOUBLED_MARKS and chars[j] == chars[j + 1]:
            return BREAK_IN_CLUSTER
        # A number range 2006—2020 may break after its dash, at a price (§6).
        in_range = chars[j] in RANGE_DASHES and 0 < j < self.count - 1
        if in_range and chars[j - 1] in ASCII_DIGITS and chars[j + 1] in ASCII_DIGITS:
            return BREAK_IN_RANGE
        # A number stays with its unit: 2023年, 83个, 50%的.
        if chars[j] in ASCII_DIGITS or (chars[j] == "%" and self.word[j] >= 0):
            return BREAK_IN_CLUSTER
        return BREAK_FREE

    def skip_spaces(self, start: int) -> int:
        """The first index at or after start that is not a space."""
        return self.skipped[start]

    def strip_spaces(self, end: int) -> int:
        """The end index with trailing spaces before it dropped."""
        return self.stripped[end]

    def visible(self, start: int, end: int) -> int:
        """How many non-space characters chars[start:end] holds."""
        return self.visible_cum[end] - self.visible_cum[start]

    def natural_pt(self, start: int, end: int) -> float:
        """Width of chars[start:end] with adjacent marks compressed, trailing tracking included."""
        if end <= start:
            return 0.0
        pairs = self.pair_cut_cum[end - 1] - self.pair_cut_cum[start]
        return self.width_cum[end] - self.width_cum[start] - pairs

    def fewer_than_two_characters(self, start: int, end: int) -> bool:
        """Whether chars[start:end] holds fewer than two characters that are not spaces or
        marks (looking no further than the second)."""
        found = 0
        for i in range(start, end):
            char = self.chars[i]
            if char not in self.spaces and not self.is_mark[i] and char not in LINE_START_FORBIDDEN:
                found += 1
                if found == 2:
                    return False
        return True

    def loose_gaps(self, start: int, end: int) -> int:
        """Gaps inside chars[start:end] that justification may change."""
        return self.loose_gaps_cum[max(end - 1, start)] - self.loose_gaps_cum[start]

    def end_hang_pt(self, end: int) -> float:
        """What a closing mark ending the line may hang past the edge: its blank half (§6.2)."""
        return self.end_hang[end]

    def squeezable_marks(self, start: int, end: int) -> tuple[int, int]:
        """Isolated and mark-adjacent marks inside the line that may give room (§6.3)."""
        # The line's first mark (an opening one at the margin) and its last (the end hang) are
        # not squeezed.
        lo, hi = start + 1, end - 1
        if hi <= lo:
            return 0, 0
        quarter = self.quarter_marks_cum[hi] - self.quarter_marks_cum[lo]
        adjacent = self.adjacent_marks_cum[hi] - self.adjacent_marks_cum[lo]
        return quarter, adjacent
