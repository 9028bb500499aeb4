"""The display list: each page's positioned glyph runs and rules, drawn alike into PDF and OFD."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from pipeline.fonts.chains import LoadedFont
from pipeline.layout.style import Color


@dataclass(frozen=True)
class GlyphRun:
    """Characters set from one origin on one baseline with one font, size, spacing and colour.

    Glyphs advance as a PDF viewer advances them: (width + char_space_pt) × h_scale / 100.
    """

    font: LoadedFont
    size_pt: float
    x_pt: float
    baseline_pt: float
    text: str
    char_space_pt: float
    color: Color
    h_scale: float = 100.0

    def glyph_x_pt(self) -> list[float]:
        """The origin of each character's glyph, in points from the paper's left edge."""
        out: list[float] = []
        x = self.x_pt
        for char in self.text:
            out.append(x)
            x += (
                (self.font.advance_pt(char, self.size_pt) + self.char_space_pt) * self.h_scale / 100
            )
        return out


@dataclass(frozen=True)
class RuleLine:
    """A horizontal rule from x0_pt to x1_pt at height y_pt (points from the bottom edge)."""

    x0_pt: float
    x1_pt: float
    y_pt: float
    thickness_pt: float
    color: Color


@dataclass
class DisplayPage:
    """One page as drawn: its size, its text and its rules, in PDF coordinates (points, y up)."""

    width_pt: float
    height_pt: float
    runs: list[GlyphRun] = field(default_factory=list)
    rules: list[RuleLine] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentInfo:
    """What the document says about itself: title, author, subject and the issue's date."""

    title: str
    author: str
    subject: str
    day: date


def pdf_date(day: date) -> str:
    """The issue's day as a PDF date at noon China time (the same day in every time zone)."""
    return f"D:{day.year:04d}{day.month:02d}{day.day:02d}120000+08'00'"


def render_pdf(pages: list[DisplayPage], info: DocumentInfo, initial_font: str) -> bytes:
    """Draw the display list into PDF bytes with reportlab (reproducible: dates from the issue)."""
    from reportlab.lib.colors import CMYKColor
    from reportlab.lib.colors import Color as RLColor
    from reportlab.pdfgen.canvas import Canvas

    def color(spec: Color) -> RLColor:
        if spec.rgb is not None:
            return RLColor(*spec.rgb)
        return CMYKColor(*(spec.cmyk or (0, 0, 0, 1)))

    buffer = io.BytesIO()
    first = pages[0]
    canvas = Canvas(
        buffer,
        pagesize=(first.width_pt, first.height_pt),
        invariant=1,
        pageCompression=1,
        initialFontName=initial_font,
        initialFontSize=16,
    )
    canvas.setTitle(info.title)
    canvas.setAuthor(info.author)
    canvas.setSubject(info.subject)
    canvas.setCreator("bulletin-pipeline")
    stamp = pdf_date(info.day)
    canvas.setDateFormatter(lambda *_: stamp)
    for page in pages:
        canvas.setPageSize((page.width_pt, page.height_pt))
        for runs in _by_line(page.runs):
            text = canvas.beginText()
            for run in runs:
                text.setFont(run.font.name, run.size_pt)
                text.setFillColor(color(run.color))
                text.setCharSpace(run.char_space_pt)
                text.setHorizScale(run.h_scale)
                text.setTextOrigin(run.x_pt, run.baseline_pt)
                text.textOut(run.text)
            canvas.drawText(text)
        for rule in page.rules:
            canvas.setStrokeColor(color(rule.color))
            canvas.setLineWidth(rule.thickness_pt)
            canvas.line(rule.x0_pt, rule.y_pt, rule.x1_pt, rule.y_pt)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _by_line(runs: list[GlyphRun]) -> list[list[GlyphRun]]:
    """Consecutive runs on one baseline: one text object each."""
    groups: list[list[GlyphRun]] = []
    for run in runs:
        if groups and groups[-1][-1].baseline_pt == run.baseline_pt:
            groups[-1].append(run)
        else:
            groups.append([run])
    return groups
