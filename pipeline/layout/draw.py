"""Page assembly and drawing: content pages, the imprint pinned to the last page, page numbers."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pipeline.fonts.chains import FontChain
from pipeline.fonts.roles import Role
from pipeline.layout.blocks import Document
from pipeline.layout.pages import Composer, Line, LineCache, Typeset, paginate
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
) -> Typeset:
    """Lay out a document and draw it into PDF bytes (reproducible: dates from the issue)."""
    composer = Composer(style, chains, cache)
    content = paginate(composer.lines(document.blocks), style.page.lines)
    imprint = composer.lines(document.imprint)
    for line in imprint:
        line.break_before = False
    pages = assemble(content, imprint, style.page.lines, document.duplex)
    pdf = _draw(document, style, chains, pages) if not composer.missing else b""
    return Typeset(
        pdf, len(pages), list(composer.fallbacks.values()), list(composer.missing.values())
    )


def _draw(
    document: Document, style: Style, chains: dict[Role, FontChain], pages: list[Page]
) -> bytes:
    from reportlab.lib.colors import CMYKColor, Color
    from reportlab.pdfgen.canvas import Canvas

    def color(name: str) -> Color:
        spec = style.color(name)
        if spec.rgb is not None:
            return Color(*spec.rgb)
        return CMYKColor(*(spec.cmyk or (0, 0, 0, 1)))

    buffer = io.BytesIO()
    body = chains["body"].primary
    canvas = Canvas(
        buffer,
        pagesize=(style.page_width_pt, style.page_height_pt),
        invariant=1,
        pageCompression=1,
        initialFontName=body.name,
        initialFontSize=16,
    )
    canvas.setTitle(document.title)
    canvas.setAuthor(document.author)
    canvas.setSubject(document.subject)
    canvas.setCreator("bulletin-pipeline")
    day = document.date
    # Noon China time: the issue date reads the same in every time zone.
    stamp = f"D:{day.year:04d}{day.month:02d}{day.day:02d}120000+08'00'"
    canvas.setDateFormatter(lambda *_: stamp)
    pitch = style.line_pitch_pt
    grid_em = style.page.grid_size_pt
    for page in pages:
        for cell, line in page.lines:
            cell_top = style.top_pt - cell * pitch
            if line.v_align == "center":
                centre = cell_top - line.cells * pitch / 2
            else:
                centre = cell_top - (line.cells - 1) * pitch / 2 - grid_em / 2
            # Never above its cell: a 2号 title on a page's first line stays in the type area.
            em_top = min(centre + line.size_pt / 2, cell_top)
            baseline = em_top - style.baseline_em * line.size_pt
            if line.runs:
                text = canvas.beginText()
                for run in line.runs:
                    text.setFont(run.font, run.size_pt)
                    text.setFillColor(color(run.color))
                    text.setCharSpace(run.char_space_pt)
                    text.setHorizScale(run.h_scale)
                    text.setTextOrigin(run.x_pt, baseline)
                    text.textOut(run.text)
                canvas.drawText(text)
            for rule in line.rules:
                if rule.where == "below-text":
                    y = em_top - line.size_pt - rule.gap_pt
                elif rule.where == "top":
                    y = cell_top
                else:
                    y = cell_top - line.cells * pitch
                canvas.setStrokeColor(color(rule.color))
                canvas.setLineWidth(rule.thickness_pt)
                canvas.line(style.left_pt, y, style.left_pt + style.width_pt, y)
        if page.number is not None:
            _page_number(canvas, style, chains, page.number)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _page_number(canvas: object, style: Style, chains: dict[Role, FontChain], number: int) -> None:
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
    draw = canvas.beginText()  # type: ignore[attr-defined]
    x_pos = x
    for char in text:
        font = chain.font_for(char) or chain.primary
        draw.setFont(font.name, size)
        draw.setTextOrigin(x_pos, baseline)
        draw.textOut(char)
        x_pos += font.advance_pt(char, size)
    canvas.drawText(draw)  # type: ignore[attr-defined]
