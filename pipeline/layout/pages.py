"""Typesetting: document blocks → lines on the 22 × 28 grid → pages → PDF bytes (reportlab)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from pipeline.fonts.chains import FontChain, LoadedFont
from pipeline.fonts.roles import Role
from pipeline.layout.blocks import Block, FigureBlock, PageBreak, RowBlock, RuleBlock, TextBlock
from pipeline.layout.display import DisplayPage, DocumentInfo, Figure
from pipeline.layout.linebreak import ComposedLine, PlacedChar, compose_paragraph, compose_title
from pipeline.layout.style import PT_PER_MM, Style, TextStyle

# Marks set in one full grid cell even where a font draws them narrower (—— must span two
# characters; a Kai font's proportional quotes would otherwise break the grid).
DASHES = frozenset("—―")
OPENING_QUOTES = frozenset("“‘")
FULL_CELL_MARKS = DASHES | OPENING_QUOTES | frozenset("”’…")


@dataclass(frozen=True)
class Run:
    """Characters drawn with one font, size and spacing from one origin."""

    font: str
    size_pt: float
    x_pt: float
    text: str
    char_space_pt: float
    color: str
    h_scale: float = 100.0


@dataclass(frozen=True)
class Rule:
    """A rule drawn with a line: below its text, on its top or on its bottom grid line."""

    color: str
    thickness_pt: float
    where: str  # "below-text", "top", "bottom"
    gap_pt: float = 0.0


@dataclass
class Line:
    """One text line of the page: its runs and how it may move between pages."""

    runs: tuple[Run, ...] = ()
    size_pt: float = 16.0
    cells: int = 1
    v_align: str = "grid"
    rules: list[Rule] = field(default_factory=list)
    break_before: bool = True
    discard_at_top: bool = False
    force_break_before: bool = False
    figure: Figure | None = None  # a photo or a table row's rules, drawn in the line's cells


@dataclass(frozen=True)
class CharReport:
    """A character that was drawn from a fallback font, or that no font has."""

    char: str
    origin: str
    font: str = ""


@dataclass
class Typeset:
    """The result of typesetting: PDF bytes, page count, character reports and what was drawn."""

    pdf: bytes
    pages: int
    fallbacks: list[CharReport]
    missing: list[CharReport]
    display: list[DisplayPage] = field(default_factory=list)
    info: DocumentInfo | None = None


@dataclass(frozen=True)
class _Composed:
    """A block's composed lines and character reports, as kept in the LineCache."""

    lines: tuple[tuple[tuple[Run, ...], float, int, str], ...]
    fallbacks: tuple[CharReport, ...]
    missing: tuple[CharReport, ...]
    keep_alive: tuple[object, ...]


class LineCache:
    """One document's composed blocks, reused by its next build so only edits are recomposed.

    Generational: sweep() after a build keeps exactly the blocks that build used, so memory
    follows the document's size, not the number of edits a long-running watcher has seen.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[object, ...], _Composed] = {}
        self._used: dict[tuple[object, ...], _Composed] = {}

    def get(self, key: tuple[object, ...]) -> _Composed | None:
        """The cached composition of a block, or None."""
        found = self._used.get(key)
        if found is None:
            found = self._entries.get(key)
            if found is not None:
                self._used[key] = found
        return found

    def put(self, key: tuple[object, ...], value: _Composed) -> None:
        """Keep a composition for the next build."""
        self._used[key] = value

    def sweep(self) -> None:
        """Forget every block the build just finished did not use."""
        self._entries, self._used = self._used, {}


class Composer:
    """Turns blocks into lines, drawing each character from the first font of its chain."""

    def __init__(
        self, style: Style, chains: dict[Role, FontChain], cache: LineCache | None = None
    ) -> None:
        self.style = style
        self.chains = chains
        self.cache = cache if cache is not None else LineCache()
        self.figures: Callable[[Composer, FigureBlock], list[Line]] = lambda c, b: []
        self.fallbacks: dict[tuple[str, str], CharReport] = {}
        self.missing: dict[tuple[str, str], CharReport] = {}

    def font_of(self, char: str, role: Role, origin: str) -> LoadedFont:
        """The font a character is drawn with, recording fallbacks and missing glyphs."""
        chain = self.chains[role]
        font = chain.font_for(char)
        if font is None:
            self.missing.setdefault((char, origin), CharReport(char, origin))
            return chain.primary
        if font is not chain.primary and not char.isspace():
            self.fallbacks.setdefault((char, origin), CharReport(char, origin, font.face.family))
        return font

    def lines(self, blocks: Iterable[Block]) -> list[Line]:
        """Compose blocks into lines with their page-break permissions."""
        out: list[Line] = []
        pending_rules: list[Rule] = []
        keep_next = 0
        force_break = after_rule = False
        for block in blocks:
            if isinstance(block, PageBreak):
                force_break = True
                continue
            if isinstance(block, RuleBlock):
                after_rule = True
                rule = self._rule(block.style)
                if out and not pending_rules:
                    where = "below-text" if rule.where == "below-text" else "bottom"
                    out[-1].rules.append(replace(rule, where=where))
                else:
                    pending_rules.append(replace(rule, where="top"))
                continue
            if isinstance(block, FigureBlock):
                text_style, new = TextStyle(), self.figures(self, block)  # no spacing, no keeps
            else:
                text_style = self.style.text_style(block.style)
                new = self._composed_lines(block, text_style)
                _forbid_widows(new)
            if not new:
                continue
            # Content starts on the grid line right after a rule (layout §2.6): no blank line.
            if text_style.space_before_lines and out and not after_rule:
                spacer = Line(cells=text_style.space_before_lines, discard_at_top=True)
                out.append(spacer)
            after_rule = False
            if text_style.keep_with_previous:
                new[0].break_before = False
            new[0].force_break_before = force_break
            force_break = False
            new[0].rules[:0] = pending_rules
            pending_rules = []
            for line in new:
                if keep_next > 0 and not line.discard_at_top:
                    line.break_before = False
                    keep_next -= 1
            out.extend(new)
            keep_next = max(keep_next, text_style.keep_with_next_lines)
        if pending_rules and out:
            out[-1].rules.extend(replace(r, where="bottom") for r in pending_rules)
        return out

    def _composed_lines(self, block: TextBlock | RowBlock, ts: TextStyle) -> list[Line]:
        """Lines of a block, from the cache when the same block was composed before."""
        chain = self.chains[ts.font]
        # ids are safe in the key: keep_alive holds the style and chain while the entry lives.
        key = (block, ts, id(self.style), id(chain))
        composed = self.cache.get(key)
        if composed is None:
            fallbacks, missing = self.fallbacks, self.missing
            self.fallbacks, self.missing = {}, {}
            lines = self._block_lines(block, ts)
            composed = _Composed(
                tuple((line.runs, line.size_pt, line.cells, line.v_align) for line in lines),
                tuple(self.fallbacks.values()),
                tuple(self.missing.values()),
                (self.style, chain),
            )
            self.fallbacks, self.missing = fallbacks, missing
            self.cache.put(key, composed)
        for report in composed.fallbacks:
            self.fallbacks.setdefault((report.char, report.origin), report)
        for report in composed.missing:
            self.missing.setdefault((report.char, report.origin), report)
        return [Line(runs, size, cells, v_align) for runs, size, cells, v_align in composed.lines]

    def _rule(self, name: str) -> Rule:
        rule = self.style.rule_style(name)
        if rule.gap_below_text_mm is None:
            return Rule(rule.color, rule.thickness_pt, "bottom")
        return Rule(rule.color, rule.thickness_pt, "below-text", rule.gap_below_text_mm * PT_PER_MM)

    def _block_lines(self, block: Block, ts: TextStyle) -> list[Line]:
        size = ts.size_pt
        tracking = (
            ts.tracking_em * size if ts.tracking_em is not None else (self.style.tracking_pt(size))
        )
        unit = size + self.style.tracking_pt(size)
        indent = ts.left_indent_chars * unit
        left = self.style.left_pt + indent
        avail = self.style.width_pt - indent - ts.right_indent_chars * unit
        origin = getattr(block, "origin", "")
        fonts: dict[str, LoadedFont] = {}

        def advance(char: str) -> float:
            font = fonts.get(char)
            if font is None:
                font = fonts[char] = self.font_of(char, ts.font, origin)
            natural = font.advance_pt(char, size)
            return size if char in FULL_CELL_MARKS and natural < size else natural

        def make(runs: tuple[Run, ...]) -> Line:
            return Line(runs, size, ts.lines, ts.v_align)

        if isinstance(block, RowBlock):
            left_line, right_line = (
                compose_paragraph(
                    side, advance, width_pt=avail, em_pt=size, tracking_pt=tracking, justify=False
                )
                for side in (block.left, block.right)
            )
            runs: list[Run] = []
            if left_line:
                runs += self._runs(left_line[0], left, fonts, size, ts.color)
            if right_line:
                x = left + avail - right_line[0].width_pt
                runs += self._runs(right_line[0], x, fonts, size, ts.color)
            return [make(tuple(runs))]
        assert isinstance(block, TextBlock)
        text = block.label + block.text
        if not text:
            return []
        if ts.fit_width:
            one = compose_paragraph(
                text, advance, width_pt=1e9, em_pt=size, tracking_pt=tracking, justify=False
            )[0]
            natural = one.width_pt  # first glyph's left to last glyph's right edge
            scale = min(1.0, avail / natural) if natural > 0 else 1.0
            x = left + (avail - natural * scale) / 2
            return [make(self._runs(one, x, fonts, size, ts.color, scale))]
        if ts.title_breaks:
            composed = compose_title(
                text, advance, width_pt=avail, em_pt=size, tracking_pt=tracking
            )
        else:
            label_width = sum(advance(c) + tracking for c in block.label)
            composed = compose_paragraph(
                text,
                advance,
                width_pt=avail,
                em_pt=size,
                tracking_pt=tracking,
                first_indent_pt=ts.first_indent_chars * unit,
                rest_indent_pt=label_width,
                justify=ts.align == "justify",
            )
        lines = []
        for composed_line in composed:
            x = left
            if ts.align == "center":
                x += (avail - composed_line.width_pt) / 2
            elif ts.align == "right":
                x += avail - composed_line.width_pt
            lines.append(make(self._runs(composed_line, x, fonts, size, ts.color)))
        return lines

    def _runs(
        self,
        line: ComposedLine,
        x0: float,
        fonts: dict[str, LoadedFont],
        size: float,
        color: str,
        scale: float = 1.0,
    ) -> tuple[Run, ...]:
        """Group placed characters into runs of one font and one even spacing."""
        runs: list[Run] = []
        group: list[PlacedChar] = []
        spacing = 0.0

        def flush() -> None:
            if group:
                text = "".join(c.char for c in group)
                runs.append(
                    Run(
                        fonts[group[0].char].name,
                        size,
                        x0 + group[0].x_pt * scale,
                        text,
                        spacing * scale,
                        color,
                        scale * 100,
                    )
                )

        for char in line.chars:
            natural = fonts[char.char].advance_pt(char.char, size)
            if char.advance_pt - natural > 0.01:  # a mark widened to its full grid cell
                flush()
                group, spacing = [], 0.0
                x, h_scale = char.x_pt, 1.0
                if char.char in DASHES:
                    h_scale = char.advance_pt / natural  # stretched so —— stays joined
                elif char.char in OPENING_QUOTES:
                    x += char.advance_pt - natural  # the glyph sits in the cell's right half
                runs.append(
                    Run(
                        fonts[char.char].name,
                        size,
                        x0 + x * scale,
                        char.char,
                        0.0,
                        color,
                        scale * h_scale * 100,
                    )
                )
                continue
            if group:
                prev = group[-1]
                gap = char.x_pt - prev.x_pt - prev.advance_pt
                same_font = fonts[char.char] is fonts[prev.char]
                if same_font and (len(group) == 1 or abs(gap - spacing) < 1e-4):
                    spacing = gap
                    group.append(char)
                    continue
                flush()
            group = [char]
            spacing = 0.0
        flush()
        return tuple(runs)


def _forbid_widows(lines: list[Line]) -> None:
    """No single line of a paragraph alone at the top or bottom of a page."""
    count = len(lines)
    for index in range(1, count):
        if index < 2 or count - index < 2:
            lines[index].break_before = False


def paginate(lines: list[Line], cells_per_page: int) -> list[list[tuple[int, Line]]]:
    """Fill pages on the grid, breaking only where lines allow it; returns (cell, line) pairs."""
    pages: list[list[tuple[int, Line]]] = []
    index = 0
    while index < len(lines):
        while index < len(lines) and lines[index].discard_at_top and pages:
            index += 1
        start = index
        used = 0
        end = index
        while end < len(lines) and used + lines[end].cells <= cells_per_page:
            if end > start and lines[end].force_break_before:
                break
            used += lines[end].cells
            end += 1
        if end < len(lines) and not lines[end].force_break_before:
            cut = end
            while cut > start + 1 and not lines[cut].break_before:
                cut -= 1
            end = cut if lines[cut].break_before else end
        if end == start:
            end = start + 1
        page: list[tuple[int, Line]] = []
        cell = 0
        for line in lines[start:end]:
            page.append((cell, line))
            cell += line.cells
        pages.append(page)
        index = end
    return pages
