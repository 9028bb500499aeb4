"""Tables in articles: fully ruled rows on the grid, cell text broken like the body.

A table stands at the type-area width (layout.md §8): every cell boxed with 0.5 pt rules, cell
text 仿宋 四号 (header rows 黑体 四号) broken by the body's line composer, each text line in one
grid row, so a row takes a whole number of grid rows. The caption (黑体 四号, centred) stands
above. A row never splits; the caption, the header and the first row stay together, and a table
continued on the next page repeats its header there (layout/figures.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pipeline.layout.blocks import TableBlock, TextBlock
from pipeline.layout.display import DisplayPage, RuleLine, VerticalRule
from pipeline.layout.pages import Composer, GridLine
from pipeline.layout.style import Color, TextStyle

RULE_PT = 0.5
CELL_PADDING_EM = 0.5  # white between a cell's rules and its text, each side
DEFAULT_STYLES = {
    "table-caption": TextStyle(font="heading", size_pt=14, align="center"),
    "table-header": TextStyle(font="heading", size_pt=14, align="center"),
    "table-cell": TextStyle(font="body", size_pt=14, align="center"),
}


@dataclass
class Table:
    """What the rows of one table share: their header lines, repeated on a continued page."""

    header: list[GridLine] = field(default_factory=list)


@dataclass
class RowFigure:
    """A table row's rules: its top, its column lines and (when it closes a page's part) bottom."""

    table: Table
    edges_pt: tuple[float, ...]
    rows: int
    header: bool
    color: Color
    closes: bool = False

    def place(self, page: DisplayPage, top_pt: float, pitch_pt: float) -> None:
        """Draw the row's box; its first grid row's top edge is at top_pt."""
        bottom = top_pt - self.rows * pitch_pt
        left, right = self.edges_pt[0], self.edges_pt[-1]
        page.rules.append(RuleLine(left, right, top_pt, RULE_PT, self.color))
        if self.closes:
            page.rules.append(RuleLine(left, right, bottom, RULE_PT, self.color))
        page.vertical_rules += (
            VerticalRule(x, bottom, top_pt, RULE_PT, self.color) for x in self.edges_pt
        )


def table_lines(composer: Composer, block: TableBlock) -> list[GridLine]:
    """A table's lines: caption, header rows, body rows; the breaks allowed between rows only."""
    style = composer.style
    styles = {name: style.text.get(name, default) for name, default in DEFAULT_STYLES.items()}
    caption: list[GridLine] = []
    if block.caption:
        text = TextBlock("table-caption", block.caption, "", f"{block.origin}.caption")
        caption = composer._composed_lines(text, styles["table-caption"])
    rows = [tuple(_one_line(cell) for cell in row) for row in block.rows]
    widths = column_widths(composer, rows, styles["table-cell"], style.width_pt, block.header_rows)
    edges = [style.left_pt]
    for width in widths:
        edges.append(edges[-1] + width)
    edges[-1] = style.left_pt + style.width_pt  # no rounding gap at the right edge
    table = Table()
    color = style.color("black")
    lines = list(caption)
    for r, row in enumerate(rows):
        header = r < block.header_rows
        ts = styles["table-header" if header else "table-cell"]
        cells = [
            _cell_lines(
                composer,
                text,
                ts,
                (edges[c], edges[c + 1]),
                f"{block.origin}.rows[{r + 1}][{c + 1}]",
                header,
            )
            for c, text in enumerate(row)
        ]
        height = max(1, *(len(cell) for cell in cells))
        row_lines = [GridLine(size_pt=ts.size_pt) for _ in range(height)]
        for cell in cells:
            offset = (height - len(cell)) // 2
            for k, cell_line in enumerate(cell):
                row_lines[offset + k].runs += cell_line.runs
        row_lines[0].figure = RowFigure(table, tuple(edges), height, header, color)
        for line in row_lines[1:]:
            line.break_before = False
        # the caption, the header and the first row of the body stay together
        row_lines[0].break_before = r > block.header_rows or (r == 0 and not caption)
        if header:
            table.header += row_lines
        lines += row_lines
    for line in caption[1:]:
        line.break_before = False
    # a blank grid row after the table: the next line's text starts at the top of its row
    lines.append(GridLine(cells=1, discard_at_top=True))
    return lines


def _one_line(text: str) -> str:
    """A cell's text with newlines joined, as a body paragraph's are."""
    return "".join(part.strip() for part in text.splitlines())


def _cell_lines(
    composer: Composer,
    text: str,
    ts: TextStyle,
    edges_pt: tuple[float, float],
    origin: str,
    header: bool,
) -> list[GridLine]:
    """A cell's text lines between its rules: centred, a body cell's flush left when it wraps."""
    if not text:
        return []
    style = composer.style
    unit = ts.size_pt + style.tracking_pt(ts.size_pt)  # what the composer counts indents in
    padding = CELL_PADDING_EM * ts.size_pt
    boxed = replace(
        ts,
        left_indent_chars=(edges_pt[0] + padding - style.left_pt) / unit,
        right_indent_chars=(style.left_pt + style.width_pt - edges_pt[1] + padding) / unit,
        first_indent_chars=0,
    )
    block = TextBlock("table-cell", text, "", origin)
    lines = composer._composed_lines(block, boxed)
    if len(lines) > 1 and boxed.align == "center" and not header:
        lines = composer._composed_lines(block, replace(boxed, align="left"))
    return lines


def column_widths(
    composer: Composer,
    rows: list[tuple[str, ...]],
    ts: TextStyle,
    width_pt: float,
    header_rows: int = 0,
) -> list[float]:
    """Widths of the columns: each as wide as its longest text if all fit, else shared out.

    When not all fit, each column first gets its header's width (half of it for a header over
    four characters, which then wraps once) and two characters at least; the rest is shared in
    proportion to what each column lacks of its longest text, as HTML's automatic layout does.
    """
    count = max(len(row) for row in rows)
    padding = 2 * CELL_PADDING_EM * ts.size_pt

    def widest(selected: list[tuple[str, ...]], c: int) -> float:
        found = [_text_width(composer, row[c], ts) for row in selected if c < len(row)]
        return max(found, default=0.0) + padding

    floor = padding + 2 * ts.size_pt
    natural = [max(widest(rows, c), floor) for c in range(count)]
    if sum(natural) <= width_pt:
        return [n * width_pt / sum(natural) for n in natural]
    headers = [widest(rows[:header_rows], c) - padding for c in range(count)]
    short = 4 * ts.size_pt  # a header this short is never wrapped
    least = [max((h if h <= short else h / 2) + padding, floor) for h in headers]
    if sum(least) < width_pt:
        lack = [n - m for n, m in zip(natural, least, strict=True)]
        spare = width_pt - sum(least)
        return [m + spare * d / sum(lack) for m, d in zip(least, lack, strict=True)]
    low, high = 0.0, width_pt  # the cap s with Σ min(natural, s) = width
    for _ in range(50):
        cap = (low + high) / 2
        if sum(min(n, cap) for n in natural) > width_pt:
            high = cap
        else:
            low = cap
    widths = [min(n, low) for n in natural]
    return [w * width_pt / sum(widths) for w in widths]


def _text_width(composer: Composer, text: str, ts: TextStyle) -> float:
    """The width of a text set on one line in `ts`."""
    chain = composer.chains[ts.font]
    tracking = composer.style.tracking_pt(ts.size_pt)
    return sum(
        (chain.font_for(char) or chain.primary).advance_pt(char, ts.size_pt) + tracking
        for char in text
    )
