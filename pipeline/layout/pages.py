"""Composing pages: document blocks → lines on the 22 × 28 grid → pages of grid lines."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace

from pipeline.fonts.chains import FontChain, LoadedFont
from pipeline.fonts.roles import Role
from pipeline.i18n import _
from pipeline.layout.blocks import Block, FigureBlock, PageBreak, RowBlock, RuleBlock, TextBlock
from pipeline.layout.display import DisplayPage, DocumentInfo, Figure
from pipeline.layout.glyphs import Metrics, Run, chain_fonts, chain_metrics, glyph_runs
from pipeline.layout.gridtext import Advance, ComposedLine
from pipeline.layout.linebreak import compose_paragraph
from pipeline.layout.linecache import CharReport, Composed, LayoutProblem, LineCache
from pipeline.layout.linestore import Key, context_of
from pipeline.layout.style import PT_PER_MM, Style, TextStyle
from pipeline.layout.titlebreak import compose_title

NAME_MIN_CONDENSE = 0.75  # §2.2: the bulletin name is condensed to 75 % at most, then set smaller
ROW_MIN_CONDENSE = 0.80  # §2: a fixed-width field (editor, printer) is condensed to 80 % at most


@dataclass(frozen=True)
class Rule:
    """A rule drawn with a line: below its text, on its top or on its bottom grid line."""

    color: str
    thickness_pt: float
    where: str  # "below-text", "top", "bottom"
    gap_pt: float = 0.0
    white_below_pt: float = 0.0


@dataclass(slots=True)
class GridLine:
    """One text line placed on the grid: its runs, the rows it takes and how it may move
    between pages. Its em box is centred centre_rows below the top of its first row."""

    runs: tuple[Run, ...] = ()
    size_pt: float = 16.0
    cells: int = 1
    centre_rows: float = 0.5
    rules: tuple[Rule, ...] = ()
    break_before: bool = True
    discard_at_top: bool = False
    force_break_before: bool = False
    figure: Figure | None = None  # a photo or a table row's rules, drawn in the line's cells
    origin: str = ""


@dataclass
class DrawnDocument:
    """The result of laying out and drawing: PDF bytes, page count, reports, what was drawn."""

    pdf: bytes
    pages: int
    fallbacks: list[CharReport]
    missing: list[CharReport]
    display: list[DisplayPage] = field(default_factory=list)
    info: DocumentInfo | None = None
    problems: list[LayoutProblem] = field(default_factory=list)
    in_place: bool = False  # the output file holds `pdf` already (layout/drawingstore.py)


class Composer:
    """Turns blocks into grid lines, drawing each character from the first font of its chain."""

    def __init__(
        self, style: Style, chains: dict[Role, FontChain], cache: LineCache | None = None
    ) -> None:
        self.style = style
        self.chains = chains
        self.cache = cache if cache is not None else LineCache()
        self.cache.bind(context_of(style, chains))
        self.figures: Callable[[Composer, FigureBlock], list[GridLine]] = lambda c, b: []
        self.fallbacks: dict[tuple[str, str], CharReport] = {}
        self.missing: dict[tuple[str, str], CharReport] = {}
        self.problems: dict[tuple[str, str], LayoutProblem] = {}

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

    def fonts_for(self, text: str, role: Role, origin: str) -> None:
        """Look up the fonts of text's characters, recording their fallbacks and missing
        glyphs, each where it first occurs."""
        fonts = chain_fonts(self.chains[role])
        fonts.look_up(text)
        if fonts.reported:
            for char in dict.fromkeys(text):
                if char in fonts.reported:
                    self.font_of(char, role, origin)

    def look_up(self, text: str, role: Role) -> None:
        """Look up the fonts of text's characters as fonts_for does (loading the faces that
        draw them), for a block whose reports were recorded when it was composed."""
        chain_fonts(self.chains[role]).look_up(text)

    def metrics(self, role: Role, size_pt: float, cell_pt: float) -> Metrics:
        """Box widths and glyph places of the role's characters at a size (glyphs keeps them)."""
        return chain_metrics(self.chains[role], size_pt, cell_pt)

    def lines(self, blocks: Iterable[Block]) -> list[GridLine]:
        """Compose blocks into grid lines with their page-break permissions."""
        out: list[GridLine] = []
        pending_rules: list[Rule] = []
        keep_next = 0
        force_break = after_rule = False
        white_below_rule: Rule | None = None
        for block in blocks:
            if isinstance(block, PageBreak):
                force_break = True
                continue
            if isinstance(block, RuleBlock):
                after_rule = True
                rule = self._rule(block.style)
                if out and not pending_rules:
                    where = "below-text" if rule.where == "below-text" else "bottom"
                    out[-1].rules += (replace(rule, where=where),)
                    white_below_rule = (
                        rule if rule.white_below_pt and where == "below-text" else None
                    )
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
            if white_below_rule is not None:  # §2.6: white between a rule and the next ink
                rows = self._rows_below_rule(out[-1], white_below_rule, new[0])
                if rows:
                    out.append(GridLine(cells=rows))
            # Content starts on the grid line right after a rule: no blank line of its own.
            elif text_style.space_before_lines and out and not after_rule:
                out.append(GridLine(cells=text_style.space_before_lines, discard_at_top=True))
            after_rule, white_below_rule = False, None
            if text_style.keep_with_previous:
                new[0].break_before = False
            new[0].force_break_before = force_break
            force_break = False
            new[0].rules = (*pending_rules, *new[0].rules)
            pending_rules = []
            for line in new:
                if keep_next > 0 and not line.discard_at_top:
                    line.break_before = False
                    keep_next -= 1
            out.extend(new)
            keep_next = max(keep_next, text_style.keep_with_next_lines)
        if pending_rules and out:
            out[-1].rules += tuple(replace(r, where="bottom") for r in pending_rules)
        return out

    def _rows_below_rule(self, above: GridLine, rule: Rule, first: GridLine) -> int:
        """Empty rows so that `first`'s em box lies rule.white_below_pt under the rule."""
        pitch = self.style.line_pitch_pt
        rule_below_rows_end = (
            above.centre_rows * pitch + above.size_pt / 2 + rule.gap_pt - above.cells * pitch
        )
        needed = rule.white_below_pt + rule_below_rows_end + first.size_pt / 2
        return max(0, math.ceil(needed / pitch - first.centre_rows - 1e-6))

    def _composed_lines(self, block: TextBlock | RowBlock, ts: TextStyle) -> list[GridLine]:
        """Lines of a block, from the cache when the same block was composed before."""
        key = _key(block, ts)
        composed = self.cache.get(key)
        if composed is None:
            reports = self.fallbacks, self.missing, self.problems
            self.fallbacks, self.missing, self.problems = {}, {}, {}
            lines = self._block_lines(block, ts)
            composed = Composed(
                tuple((line.runs, line.size_pt, line.cells, line.centre_rows) for line in lines),
                tuple(self.fallbacks.values()),
                tuple(self.missing.values()),
                tuple(self.problems.values()),
            )
            self.fallbacks, self.missing, self.problems = reports
            self.cache.put(key, composed)
        else:  # the fonts looked up (and so loaded, or refused with a notice) as composing does
            self.look_up(_characters(block), ts.font)
        for report in composed.fallbacks:
            self.fallbacks.setdefault((report.char, report.origin), report)
        for report in composed.missing:
            self.missing.setdefault((report.char, report.origin), report)
        for problem in composed.problems:
            self.problems.setdefault((problem.origin, problem.message), problem)
        return [
            GridLine(runs, size, cells, centre, origin=block.origin)
            for runs, size, cells, centre in composed.lines
        ]

    def _rule(self, name: str) -> Rule:
        rule = self.style.rule_style(name)
        white = rule.white_below_mm * PT_PER_MM
        if rule.gap_below_text_mm is None:
            return Rule(rule.color, rule.thickness_pt, "bottom")
        gap = rule.gap_below_text_mm * PT_PER_MM
        return Rule(rule.color, rule.thickness_pt, "below-text", gap, white)

    def _block_lines(self, block: Block, ts: TextStyle) -> list[GridLine]:
        setter = _BlockSetter(self, block, ts)
        if isinstance(block, RowBlock):
            return [setter.row(block)]
        assert isinstance(block, TextBlock)
        text = block.label + block.text
        if not text:
            return []
        if ts.fit_width:
            return [setter.fitted(text)]
        return setter.paragraph(text, block.label)


class _BlockSetter:
    """Sets one block's text in its style: widths, fonts and the line's place on the grid."""

    def __init__(self, composer: Composer, block: Block, ts: TextStyle) -> None:
        style = composer.style
        self.composer, self.ts = composer, ts
        self.origin = getattr(block, "origin", "")
        if isinstance(block, TextBlock | RowBlock):
            composer.fonts_for(_characters(block), ts.font, self.origin)
        self._set_size(ts.size_pt)
        self.tracking = (
            ts.tracking_em * self.size
            if ts.tracking_em is not None
            else (style.tracking_pt(self.size))
        )
        indent = ts.left_indent_chars * self.cell
        self.left = style.left_pt + indent
        self.avail = style.width_pt - indent - ts.right_indent_chars * self.cell

    def _set_size(self, size_pt: float) -> None:
        """Set the text at this size: its grid pitch and the box width of each character."""
        self.size = size_pt
        self.cell = size_pt + self.composer.style.tracking_pt(size_pt)  # the grid pitch
        self.metrics = self.composer.metrics(self.ts.font, self.size, self.cell)
        self.advance: Advance = self.metrics.advance_pt.__getitem__

    def grid_line(self, runs: tuple[Run, ...], last: bool = True) -> GridLine:
        """A line of this style on the grid; padding rows are shared above and below."""
        ts = self.ts
        pad = ts.pad_lines
        return GridLine(
            runs,
            self.size,
            ts.lines + (pad if last else 0),
            ts.lines / 2 + pad / 2,
        )

    def runs(self, line: ComposedLine, x_pt: float, scale: float = 1.0) -> tuple[Run, ...]:
        """The glyph runs of a composed line starting at x_pt."""
        return glyph_runs(line, x_pt, self.metrics, self.ts.color, scale)

    def single(self, text: str, tracking_pt: float) -> ComposedLine:
        """The text as one unbroken line."""
        return compose_paragraph(
            text,
            self.advance,
            width_pt=1e9,
            em_pt=self.size,
            tracking_pt=tracking_pt,
            justify=False,
        )[0]

    def fitted(self, text: str) -> GridLine:
        """The bulletin name (§2.2): letter-spaced if it fits, else plain, condensed, smaller."""
        line = self.single(text, self.tracking)
        scale = 1.0
        if line.width_pt > self.avail + 1e-6:
            line = self.single(text, 0.0)
            scale = self.avail / line.width_pt
            if scale < NAME_MIN_CONDENSE:
                self._set_size(self.size * (scale / NAME_MIN_CONDENSE))
                line, scale = self.single(text, 0.0), NAME_MIN_CONDENSE
        x = self.left + (self.avail - line.width_pt * scale) / 2
        return self.grid_line(self.runs(line, x, scale))

    def row(self, block: RowBlock) -> GridLine:
        """Text flush left and text flush right on one line; the left one condensed to fit."""
        left = self.single(block.left, self.tracking) if block.left else None
        right = self.single(block.right, self.tracking) if block.right else None
        runs: list[Run] = []
        right_width = right.width_pt if right else 0.0
        if left is not None:
            room = self.avail - right_width - (self.cell if right else 0.0)  # a cell between
            scale = min(1.0, room / left.width_pt) if left.width_pt > 0 else 1.0
            if scale < ROW_MIN_CONDENSE:
                self._row_too_long(block, room)
                scale = ROW_MIN_CONDENSE
            runs += self.runs(left, self.left, scale)
        if right is not None:
            runs += self.runs(right, self.left + self.avail - right_width)
        return self.grid_line(tuple(runs))

    def _row_too_long(self, block: RowBlock, room_pt: float) -> None:
        fit = max(0, math.floor(room_pt / (ROW_MIN_CONDENSE * self.cell) + 1e-6))
        problem = LayoutProblem(
            self.origin,
            _(
                "“{text}” is too long for its line: at 80 % width {fit} characters fit",
                text=block.left,
                fit=fit,
            ),
            _("shorten it to {fit} characters or fewer (use the unit's short name)", fit=fit),
        )
        self.composer.problems.setdefault((problem.origin, problem.message), problem)

    def paragraph(self, text: str, label: str) -> list[GridLine]:
        """A paragraph or a title, broken into lines and aligned."""
        ts = self.ts
        if ts.title_breaks:
            composed = compose_title(
                text, self.advance, width_pt=self.avail, em_pt=self.size, tracking_pt=self.tracking
            )
        else:
            label_width = sum(self.advance(c) + self.tracking for c in label)
            composed = compose_paragraph(
                text,
                self.advance,
                width_pt=self.avail,
                em_pt=self.size,
                tracking_pt=self.tracking,
                first_indent_pt=ts.first_indent_chars * self.cell,
                rest_indent_pt=label_width,
                justify=ts.align == "justify",
                squeeze=ts.squeeze,
            )
        lines = []
        for index, composed_line in enumerate(composed):
            x = self.left
            if ts.align == "center":
                x += (self.avail - composed_line.width_pt) / 2
            elif ts.align == "right":
                x += self.avail - composed_line.width_pt
            lines.append(self.grid_line(self.runs(composed_line, x), index == len(composed) - 1))
        return lines


_TEXT_STYLE_FIELDS = operator.attrgetter(*(field.name for field in fields(TextStyle)))


def _key(block: TextBlock | RowBlock, ts: TextStyle) -> Key:
    """What a block's lines depend on in a given context: its kind, its fields, its style."""
    if isinstance(block, RowBlock):
        return ("row", block.style, block.left, block.right, block.origin, *_TEXT_STYLE_FIELDS(ts))
    return ("text", block.style, block.text, block.label, block.origin, *_TEXT_STYLE_FIELDS(ts))


def _characters(block: TextBlock | RowBlock) -> str:
    """The block's characters in the order composing looks them up."""
    if isinstance(block, RowBlock):
        return block.left + block.right
    return block.label + block.text


def _forbid_widows(lines: list[GridLine]) -> None:
    """No single line of a paragraph alone at the top or bottom of a page."""
    count = len(lines)
    for index in range(1, count):
        if index < 2 or count - index < 2:
            lines[index].break_before = False
