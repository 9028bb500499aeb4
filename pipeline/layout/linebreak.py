"""Line composition on a fixed character grid: kinsoku, punctuation compression, justification."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

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
TITLE_SPACES = frozenset(" \u3000")

_ASCII_WORD = re.compile(r"[A-Za-z0-9]+(?:[.,%/:\-][A-Za-z0-9]+)*%?")
_TITLE_LOOKAHEAD = 3  # extra line counts tried when balancing a title
_TITLE_PUNCT_BONUS = 4.0  # a title break after punctuation may sit ~2 characters off balance

Advance = Callable[[str], float]
Compression = frozenset[int]  # indices of marks set half an em narrower


@dataclass(frozen=True)
class PlacedChar:
    """One glyph on a line: its x (line-box relative, indent included) and its font advance."""

    char: str
    x_pt: float
    advance_pt: float


@dataclass(frozen=True)
class ComposedLine:
    """One composed line; width_pt is the used extent from the line box's left edge."""

    chars: tuple[PlacedChar, ...]
    width_pt: float
    is_last: bool


class _Text:
    """A text as code points with pitches, break opportunities and compressible marks."""

    def __init__(
        self,
        text: str,
        advance_pt: Advance,
        em_pt: float,
        tracking_pt: float,
        spaces: frozenset[str],
    ) -> None:
        self.chars = list(text)
        self.n = n = len(self.chars)
        self.spaces = spaces
        self.half = em_pt / 2
        self.em = em_pt
        self.adv = [advance_pt(c) for c in self.chars]
        self.pitch = [a + tracking_pt for a in self.adv]
        self.cum = list(accumulate(self.pitch, initial=0.0))
        self.word = [-1] * n
        for k, m in enumerate(_ASCII_WORD.finditer(text)):
            self.word[m.start() : m.end()] = [k] * (m.end() - m.start())
        visible = [c not in spaces for c in self.chars]
        self.visible_cum = list(accumulate(map(int, visible), initial=0))
        self.full_mark = [
            (c in CLOSING_MARKS or c in OPENING_MARKS) and a >= 0.9 * em_pt
            for c, a in zip(self.chars, self.adv, strict=True)
        ]
        prev_vis, last = [], -1
        for i in range(n):
            last = i if visible[i] else last
            prev_vis.append(last)
        next_vis = [n] * (n + 1)
        for i in reversed(range(n)):
            next_vis[i] = i if visible[i] else next_vis[i + 1]
        # kinsoku_ok[i]: a line may end before chars[i] as far as kinsoku goes;
        # ok[i]: in addition no word, number+unit or doubled mark is split there.
        self.kinsoku_ok = [False] * n + [True]
        self.ok = [False] * n + [True]
        for i in range(1, n):
            p, q = prev_vis[i - 1], next_vis[i]
            if p < 0 or q >= n:
                continue  # spaces only on one side: the break would make an empty line
            allowed = self.chars[q] not in LINE_START_FORBIDDEN
            allowed = allowed and self.chars[p] not in LINE_END_FORBIDDEN
            self.kinsoku_ok[i] = allowed
            self.ok[i] = allowed and not (p == i - 1 and q == i and self._glued(p))

    def _glued(self, i: int) -> bool:
        """Whether adjacent visible chars i and i+1 form one unbreakable cluster."""
        if self.word[i] >= 0 and self.word[i] == self.word[i + 1]:
            return True
        # A number stays with the unit after it: 2023年, 83个, 50%的; a range stays whole:
        # 2006—2020.
        if self.chars[i] in RANGE_DASHES and 0 < i < self.n - 1:
            return self.chars[i - 1] in ASCII_DIGITS and self.chars[i + 1] in ASCII_DIGITS
        return self.chars[i] in ASCII_DIGITS or (self.chars[i] == "%" and self.word[i] >= 0)

    def tight(self, i: int) -> bool:
        """Whether the gap after chars[i] must keep plain tracking when justifying."""
        if self.word[i] >= 0 and self.word[i] == self.word[i + 1]:
            return True
        return self.chars[i] in DOUBLED_MARKS and self.chars[i] == self.chars[i + 1]

    def skip(self, s: int) -> int:
        while s < self.n and self.chars[s] in self.spaces:
            s += 1
        return s

    def rstrip(self, e: int) -> int:
        while e > 0 and self.chars[e - 1] in self.spaces:
            e -= 1
        return e

    def extent(self, s: int, e: int) -> float:
        """Natural extent of chars[s:e] without trailing spaces, trailing tracking included."""
        return self.cum[max(s, self.rstrip(e))] - self.cum[s]

    def visible(self, s: int, e: int) -> int:
        return self.visible_cum[e] - self.visible_cum[s]

    def compressions(self, s: int, hi: int) -> list[int]:
        """Marks in chars[s:hi] that may lose their blank half, in the order to use them."""
        # An opening mark moves left into the char before it: only a full-width one has room
        # (at the line start its blank would stick out of the line's left edge).
        usable = [
            self.full_mark[i]
            and (self.chars[i] not in OPENING_MARKS or (i > s and self.adv[i - 1] >= 0.9 * self.em))
            for i in range(s, hi)
        ]
        pairs: set[int] = set()
        for i in range(s, hi - 1):
            if not (self.full_mark[i] and self.full_mark[i + 1]):
                continue
            if self.chars[i] in CLOSING_MARKS:
                pairs.add(i)  # 。” or ，“ : drop the blank between them
            elif self.chars[i + 1] in OPENING_MARKS:
                pairs.add(i + 1)  # “（ : drop the second mark's leading blank
        # A gap between two marks loses at most one blank half; gap k lies after chars[k].
        taken = {i if self.chars[i] in CLOSING_MARKS else i - 1 for i in pairs}
        singles = [
            i
            for i in range(hi - 1, s - 1, -1)
            if usable[i - s] and (i if self.chars[i] in CLOSING_MARKS else i - 1) not in taken
        ]
        return sorted(pairs, reverse=True) + singles


def _break(t: _Text, s: int, stop: int, avail: float) -> tuple[int, Compression]:
    """End of the line starting at s (before stop) and the marks to compress in it."""
    e = s + 1
    while e < stop and t.extent(s, e + 1) <= avail + EPS_PT:
        e += 1
    if e == stop or t.ok[e]:
        return e, frozenset()
    # Push in: reach the next legal break by removing blank halves of marks, fewest first.
    for f in range(e + 1, stop + 1):
        order = t.compressions(s, t.rstrip(f))
        over = t.extent(s, f) - avail
        if over > len(order) * t.half + EPS_PT:
            break
        if f == stop or t.ok[f]:
            return f, frozenset(order[: max(1, math.ceil((over - EPS_PT) / t.half))])
    # Push out to an earlier legal break; failing that, split an over-long cluster.
    for allowed in (t.ok, t.kinsoku_ok):
        for f in range(e, s, -1):
            if allowed[f]:
                return f, frozenset()
    return e, frozenset()


def _place(
    t: _Text, s: int, e: int, indent: float, comp: Compression, fill_to: float | None, last: bool
) -> ComposedLine:
    """Position chars[s:e] (trailing spaces dropped), stretching gaps to fill_to if given."""
    hi = t.rstrip(e)
    natural = t.cum[hi] - t.cum[s] - t.half * len(comp)
    gaps = [i for i in range(s, hi - 1) if not t.tight(i)] or list(range(s, hi - 1))
    fill = fill_to if gaps else None  # a line of one character is not stretched
    stretch = 0.0
    if fill is not None:
        slack = fill - indent - natural
        # Within tolerance, leave the line on the exact grid rather than nudge every glyph.
        stretch = slack / len(gaps) if abs(slack) > EPS_PT else 0.0
    stretched = set(gaps)
    placed: list[PlacedChar] = []
    x = indent
    for i in range(s, hi):
        if i in comp and t.chars[i] in OPENING_MARKS:
            x -= t.half
        placed.append(PlacedChar(t.chars[i], x, t.adv[i]))
        x += t.pitch[i]
        if i in comp and t.chars[i] in CLOSING_MARKS:
            x -= t.half
        if i in stretched:
            x += stretch
    width = fill if fill is not None else placed[-1].x_pt + placed[-1].advance_pt
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
) -> list[ComposedLine]:
    """Break a paragraph into grid lines, honouring kinsoku, and justify all but the last."""
    t = _Text(text, advance_pt, em_pt, tracking_pt, PARAGRAPH_SPACES)
    lines: list[ComposedLine] = []
    s, indent = t.skip(0), first_indent_pt
    while s < t.n:
        e, comp = _break(t, s, t.n, width_pt - indent)
        following = t.skip(e)
        last = following >= t.n
        fill_to = width_pt if justify and not last else None
        lines.append(_place(t, s, e, indent, comp, fill_to, last))
        s, indent = following, rest_indent_pt
    return lines


def _balanced(t: _Text, s: int, e: int, width: float) -> list[tuple[int, int]] | None:
    """Split chars[s:e] into lines of near-equal extent, none holding a lone character."""
    cands = [s] + [i for i in range(s + 1, e) if t.ok[i]] + [e]
    total = t.extent(s, e)
    fewest = max(2, math.ceil((total - EPS_PT) / width))
    for count in range(fewest, fewest + _TITLE_LOOKAHEAD + 1):
        target = total / count
        # best[j]: cheapest (cost, ranges) that ends a line at cands[j]
        best: dict[int, tuple[float, list[tuple[int, int]]]] = {0: (0.0, [])}
        for _ in range(count):
            reached: dict[int, tuple[float, list[tuple[int, int]]]] = {}
            for a, (cost, ranges) in best.items():
                lo = t.skip(cands[a])
                for b in range(a + 1, len(cands)):
                    hi = cands[b]
                    extent = t.extent(lo, hi)
                    if extent > width + EPS_PT:
                        break
                    if t.visible(lo, hi) < 2:
                        continue
                    c = cost + ((extent - target) / t.em) ** 2
                    if hi < e and t.chars[t.rstrip(hi) - 1] in LINE_START_FORBIDDEN:
                        c -= _TITLE_PUNCT_BONUS  # prefer a break after punctuation
                    if b not in reached or c < reached[b][0]:
                        reached[b] = (c, [*ranges, (lo, hi)])
            best = reached
        if len(cands) - 1 in best:
            return best[len(cands) - 1][1]
    return None


def _split_title(t: _Text, s: int, e: int, width: float) -> list[tuple[int, int, Compression]]:
    """Lines for chars[s:e] of a title: balanced if possible, else greedy."""
    ranges = _balanced(t, s, e, width)
    if ranges is not None:
        return [(lo, hi, frozenset()) for lo, hi in ranges]
    out: list[tuple[int, int, Compression]] = []
    while s < e:
        f, comp = _break(t, s, e, width)
        out.append((s, f, comp))
        s = t.skip(f)
    return out


def compose_title(
    text: str,
    advance_pt: Advance,
    *,
    width_pt: float,
    em_pt: float,
    tracking_pt: float = 0.0,
) -> list[ComposedLine]:
    """Lines for a centred title: not justified (the caller centres each line using width_pt)."""
    t = _Text(text, advance_pt, em_pt, tracking_pt, TITLE_SPACES)
    s, end = t.skip(0), t.rstrip(t.n)
    stops = [
        i
        for i in range(s + 1, end)
        if t.chars[i] in TITLE_SPACES and t.chars[i - 1] not in TITLE_SPACES and t.ok[i]
    ] + [end]
    ranges: list[tuple[int, int, Compression]] = []
    while s < end:
        fitting = [b for b in stops if b > s and t.extent(s, b) <= width_pt + EPS_PT]
        if fitting:  # pack whole phrases greedily
            ranges.append((s, fitting[-1], frozenset()))
            s = t.skip(fitting[-1])
        else:  # the next phrase alone is too long: balance it over several lines
            stop = next(b for b in stops if b > s)
            ranges += _split_title(t, s, stop, width_pt)
            s = t.skip(stop)
    return [
        _place(t, lo, hi, 0.0, comp, None, k == len(ranges) - 1)
        for k, (lo, hi, comp) in enumerate(ranges)
    ]
