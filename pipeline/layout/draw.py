"""Drawing a document: pages filled with grid lines, the imprint pinned to the last page, page
numbers, then the display list and its PDF."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from pipeline.fonts.chains import FontChain, LoadedFont
from pipeline.fonts.roles import Role
from pipeline.i18n import _
from pipeline.layout.blocks import Document
from pipeline.layout.display import DisplayPage, DocumentInfo, GlyphRun, RuleLine
from pipeline.layout.figures import FigureLines, paginate_figures
from pipeline.layout.linecache import LayoutProblem, LineCache
from pipeline.layout.pages import Composer, DrawnDocument, GridLine
from pipeline.layout.pdfwrite import DocumentFinish, render_pdf
from pipeline.layout.photos import PhotoCache
from pipeline.layout.style import PT_PER_MM, Style

PageLines = list[tuple[int, GridLine]]


@dataclass
class FilledPage:
    """One page filled with grid lines by their first row, and its printed number (None: not
    numbered)."""

    lines: PageLines
    number: int | None


def assemble(
    content: list[PageLines], imprint: list[GridLine], cells: int, duplex: bool
) -> list[FilledPage]:
    """Pin the imprint to the foot of the last page (an even page when duplex)."""
    pages = [FilledPage(lines, None) for lines in content] or [FilledPage([], None)]
    height = sum(line.cells for line in imprint)
    numbered_from_blank = False
    if imprint:
        last = pages[-1]
        used = max((cell + line.cells for cell, line in last.lines), default=0)
        fits = used + height <= cells
        if not fits:
            if duplex and len(pages) % 2 == 0:
                pages.append(
                    FilledPage([], None)
                )  # blank page so the imprint lands on an even page
                numbered_from_blank = True
            pages.append(FilledPage([], None))
        elif duplex and len(pages) % 2 == 1:
            pages.append(FilledPage([], None))
        target = pages[-1]
        cell = cells - height
        for line in imprint:
            target.lines.append((cell, line))
            cell += line.cells
    for index, page in enumerate(pages, start=1):
        page.number = index
    if numbered_from_blank:
        pages[-1].number = pages[-2].number = None
    return pages


def draw_document(
    document: Document,
    style: Style,
    chains: dict[Role, FontChain],
    cache: LineCache | None = None,
    photos: PhotoCache | None = None,
    finish: DocumentFinish | None = None,
) -> DrawnDocument:
    """Lay out a document and draw it into PDF bytes (reproducible: dates from the issue)."""
    composer = Composer(style, chains, cache)
    composer.figures = FigureLines(photos if photos is not None else PhotoCache())
    content = paginate_figures(composer.lines(document.blocks), style.page.lines)
    imprint = composer.lines(document.imprint)
    for line in imprint:
        line.break_before = False
    problems = list(composer.problems.values()) + _imprint_too_tall(imprint, style.page.lines)
    pages = assemble(content, imprint, style.page.lines, document.duplex)
    failed = composer.missing or problems
    memo = _PageMemo.of(cache, style, chains) if cache is not None else _PageMemo()
    display = _display(style, chains, pages, memo) if not failed else []
    info = DocumentInfo(document.title, document.author, document.subject, document.date)
    pdf = render_pdf(display, info, chains["body"].primary.name, finish) if display else b""
    return DrawnDocument(
        pdf,
        len(pages),
        list(composer.fallbacks.values()),
        list(composer.missing.values()),
        display,
        info,
        problems,
    )


def _imprint_too_tall(imprint: list[GridLine], cells: int) -> list[LayoutProblem]:
    """§4: the whole imprint fits on one page; else its longest list is an error."""
    height = sum(line.cells for line in imprint)
    if height <= cells:
        return []
    rows: dict[str, int] = {}
    for line in imprint:
        if line.origin.startswith("distribution."):
            rows[line.origin] = rows.get(line.origin, 0) + line.cells
    if not rows:
        return []
    longest = max(rows, key=lambda origin: rows[origin])
    fit = rows[longest] - (height - cells)
    return [
        LayoutProblem(
            longest,
            _(
                "the imprint does not fit on one page: this list takes {rows} rows"
                " and only {fit} fit",
                rows=rows[longest],
                fit=max(fit, 0),
            ),
            _("name a group instead of every recipient, e.g. 各市（州）地方志办公室"),
        )
    ]


PageKey = tuple[object, ...]  # what a page's display was made from, the style and fonts aside


class _PageMemo:
    """The display pages of an issue's last drawing, by their place in it, each with its key:
    a page made again from the same lines (the same composed runs, as the line cache gives
    them) at the same place, with the same number, is the same display page."""

    def __init__(self, style: Style | None = None, chains: dict[Role, FontChain] | None = None):
        self.style, self.chains = style, dict(chains or {})  # held: compared by identity
        self.pages: list[tuple[PageKey | None, DisplayPage]] = []

    @classmethod
    def of(cls, cache: LineCache, style: Style, chains: dict[Role, FontChain]) -> _PageMemo:
        """The memo of the cache's issue, emptied when the style or a chain is another object."""
        memo = _MEMOS.get(cache)
        if memo is None or not memo._made_with(style, chains):
            memo = _MEMOS[cache] = cls(style, chains)
        return memo

    def _made_with(self, style: Style, chains: dict[Role, FontChain]) -> bool:
        same_chains = all(self.chains.get(role) is chain for role, chain in chains.items())
        return self.style is style and same_chains and len(self.chains) == len(chains)


# One per line cache (one per issue file in a Builder), as long as the cache lives.
_MEMOS: weakref.WeakKeyDictionary[LineCache, _PageMemo] = weakref.WeakKeyDictionary()


def _page_key(page: FilledPage) -> PageKey | None:
    """The key of a page's display; None for a page with a figure (drawn anew each time)."""
    key: list[object] = [page.number]
    for cell, line in page.lines:
        if line.figure is not None:
            return None
        key.append((cell, line.runs, line.size_pt, line.cells, line.centre_rows, line.rules))
    return tuple(key)


def _display(
    style: Style, chains: dict[Role, FontChain], pages: list[FilledPage], memo: _PageMemo
) -> list[DisplayPage]:
    # Only the faces that drew text: a fallback that no character needed stays unloaded.
    fonts = {font.name: font for chain in chains.values() for font in chain.loaded()}

    def font_named(name: str) -> LoadedFont:
        if name not in fonts:  # lines composed with a face no chain has looked up (not expected)
            fonts.update((font.name, font) for chain in chains.values() for font in chain.fonts())
        return fonts[name]

    pitch, top, baseline_em = style.line_pitch_pt, style.top_pt, style.baseline_em
    color = style.color
    out = []
    before, memo.pages = memo.pages, []
    for index, page in enumerate(pages):
        key = _page_key(page)
        if key is not None and index < len(before) and before[index][0] == key:
            out.append(before[index][1])
            memo.pages.append(before[index])
            continue
        shown = DisplayPage(style.page_width_pt, style.page_height_pt)
        runs = shown.runs
        for cell, line in page.lines:
            cell_top = top - cell * pitch
            # §1: the em box is centred in its rows, as Word's document grid sets it.
            em_top = cell_top - line.centre_rows * pitch + line.size_pt / 2
            baseline = em_top - baseline_em * line.size_pt
            for font, size_pt, x_pt, text, char_space_pt, color_name, h_scale in line.runs:
                runs.append(
                    GlyphRun(
                        fonts[font] if font in fonts else font_named(font),
                        size_pt,
                        x_pt,
                        baseline,
                        text,
                        char_space_pt,
                        color(color_name),
                        h_scale,
                    )
                )
            if line.figure is not None:
                line.figure.place(shown, cell_top, pitch)
            for rule in line.rules:
                if rule.where == "below-text":
                    y = em_top - line.size_pt - rule.gap_pt
                elif rule.where == "top":
                    y = cell_top
                else:
                    y = cell_top - line.cells * pitch
                shown.rules.append(
                    RuleLine(
                        style.left_pt,
                        style.left_pt + style.width_pt,
                        y,
                        rule.thickness_pt,
                        style.color(rule.color),
                    )
                )
        if page.number is not None:
            shown.runs += _page_number(style, chains, page.number)
        out.append(shown)
        memo.pages.append((key, shown))
    return out


def _page_number(style: Style, chains: dict[Role, FontChain], number: int) -> list[GlyphRun]:
    spec = style.page_numbers
    text = spec.format.format(n=number)
    chain = chains[spec.font]
    size = spec.size_pt
    width = sum((chain.font_for(c) or chain.primary).advance_pt(c, size) for c in text)
    em_top = style.bottom_pt - spec.gap_below_type_area_mm * PT_PER_MM
    baseline = em_top - style.baseline_em * size
    indent = spec.indent_chars * size
    side = spec.odd if number % 2 else spec.even
    if side == "right":
        x = style.left_pt + style.width_pt - indent - width
    elif side == "left":
        x = style.left_pt + indent
    else:
        x = style.left_pt + (style.width_pt - width) / 2
    runs = []
    black = style.color("black")
    for char in text:
        font = chain.font_for(char) or chain.primary
        runs.append(GlyphRun(font, size, x, baseline, char, 0.0, black))
        x += font.advance_pt(char, size)
    return runs
