"""Page assembly and drawing: content pages, the imprint pinned to the last page, page numbers."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.fonts.chains import FontChain
from pipeline.fonts.roles import Role
from pipeline.layout.blocks import Document
from pipeline.layout.display import DisplayPage, DocumentInfo, GlyphRun, RuleLine, render_pdf
from pipeline.layout.figures import FigureLines, paginate_figures
from pipeline.layout.pages import Composer, Line, LineCache, Typeset
from pipeline.layout.photos import PhotoCache
from pipeline.layout.style import PT_PER_MM, Style

PageLines = list[tuple[int, Line]]


@dataclass
class Page:
    """One page: its lines by grid cell, and its printed number (None: not numbered)."""

    lines: PageLines
    number: int | None


def assemble(content: list[PageLines], imprint: list[Line], cells: int, duplex: bool) -> list[Page]:
    """Pin the imprint to the foot of the last page (an even page when duplex)."""
    pages = [Page(lines, None) for lines in content] or [Page([], None)]
    height = sum(line.cells for line in imprint)
    numbered_from_blank = False
    if imprint:
        last = pages[-1]
        used = max((cell + line.cells for cell, line in last.lines), default=0)
        fits = used + height <= cells
        if not fits:
            if duplex and len(pages) % 2 == 0:
                pages.append(Page([], None))  # blank page so the imprint lands on an even page
                numbered_from_blank = True
            pages.append(Page([], None))
        elif duplex and len(pages) % 2 == 1:
            pages.append(Page([], None))
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


def typeset(
    document: Document,
    style: Style,
    chains: dict[Role, FontChain],
    cache: LineCache | None = None,
    photos: PhotoCache | None = None,
) -> Typeset:
    """Lay out a document and draw it into PDF bytes (reproducible: dates from the issue)."""
    composer = Composer(style, chains, cache)
    composer.figures = FigureLines(photos if photos is not None else PhotoCache())
    content = paginate_figures(composer.lines(document.blocks), style.page.lines)
    imprint = composer.lines(document.imprint)
    for line in imprint:
        line.break_before = False
    pages = assemble(content, imprint, style.page.lines, document.duplex)
    display = _display(document, style, chains, pages) if not composer.missing else []
    info = DocumentInfo(document.title, document.author, document.subject, document.date)
    pdf = render_pdf(display, info, chains["body"].primary.name) if display else b""
    return Typeset(
        pdf,
        len(pages),
        list(composer.fallbacks.values()),
        list(composer.missing.values()),
        display,
        info,
    )


def _display(
    document: Document, style: Style, chains: dict[Role, FontChain], pages: list[Page]
) -> list[DisplayPage]:
    fonts = {font.name: font for chain in chains.values() for font in chain.fonts()}
    pitch = style.line_pitch_pt
    grid_em = style.page.grid_size_pt
    out = []
    for page in pages:
        shown = DisplayPage(style.page_width_pt, style.page_height_pt)
        for cell, line in page.lines:
            cell_top = style.top_pt - cell * pitch
            if line.v_align == "center":
                centre = cell_top - line.cells * pitch / 2
            else:
                centre = cell_top - (line.cells - 1) * pitch / 2 - grid_em / 2
            # Never above its cell: a 2号 title on a page's first line stays in the type area.
            em_top = min(centre + line.size_pt / 2, cell_top)
            baseline = em_top - style.baseline_em * line.size_pt
            shown.runs += (
                GlyphRun(
                    fonts[run.font],
                    run.size_pt,
                    run.x_pt,
                    baseline,
                    run.text,
                    run.char_space_pt,
                    style.color(run.color),
                    run.h_scale,
                )
                for run in line.runs
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
