"""The display list: each page's positioned glyph runs and rules, drawn alike into PDF and OFD."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple, Protocol

from pipeline.fonts.chains import LoadedFont
from pipeline.layout.style import Color


class GlyphRun(NamedTuple):
    """Characters set from one origin on one baseline with one font, size, spacing and colour.

    Glyphs advance as a PDF viewer advances them: (width + char_space_pt) × h_scale / 100.
    A named tuple, so that comparing a page's runs with the runs it was drawn from (pdfwrite's
    memo of pages) is a comparison of tuples.
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


@dataclass(frozen=True)
class VerticalRule:
    """A vertical rule at x_pt from y0_pt up to y1_pt (a table's column lines)."""

    x_pt: float
    y0_pt: float
    y1_pt: float
    thickness_pt: float
    color: Color


class Picture(Protocol):
    """Pixels ready to embed: JPEG bytes kept as they are, or a Pillow image."""

    @property
    def jpeg(self) -> bytes | None:
        """The JPEG file's bytes, embedded without recompression; None for `image`."""

    @property
    def image(self) -> Any:
        """A Pillow image (RGB, L or CMYK) when there is no `jpeg`."""

    @property
    def orientation(self) -> int:
        """The EXIF orientation (1–8) to apply when drawing `jpeg`; 1 for an upright picture."""


@dataclass(frozen=True)
class PlacedImage:
    """A picture drawn upright into the box whose lower left corner is (x_pt, y_pt)."""

    picture: Picture
    x_pt: float
    y_pt: float
    width_pt: float
    height_pt: float


class Figure(Protocol):
    """What a line draws besides its text, such as a photo or a table row's rules."""

    def place(self, page: DisplayPage, top_pt: float, pitch_pt: float) -> None:
        """Add its drawing to the page; its first grid row's top edge is at top_pt."""


@dataclass
class DisplayPage:
    """One page as drawn: its size, its text and its rules, in PDF coordinates (points, y up)."""

    width_pt: float
    height_pt: float
    runs: list[GlyphRun] = field(default_factory=list)
    rules: list[RuleLine] = field(default_factory=list)
    vertical_rules: list[VerticalRule] = field(default_factory=list)
    images: list[PlacedImage] = field(default_factory=list)


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


# Where the raw picture's corners go for each EXIF orientation: (x, y) of a pixel, y down,
# in a w × h picture → its place in the upright picture.
_ORIENT: dict[int, Callable[[float, float, float, float], tuple[float, float]]] = {
    1: lambda x, y, w, h: (x, y),
    2: lambda x, y, w, h: (w - x, y),
    3: lambda x, y, w, h: (w - x, h - y),
    4: lambda x, y, w, h: (x, h - y),
    5: lambda x, y, w, h: (y, x),
    6: lambda x, y, w, h: (h - y, x),
    7: lambda x, y, w, h: (h - y, w - x),
    8: lambda x, y, w, h: (y, w - x),
}


def image_matrix(
    placed: PlacedImage, raw_width_px: int, raw_height_px: int, orientation: int
) -> tuple[float, float, float, float, float, float]:
    """The PDF matrix that maps the raw picture's unit square onto the upright box."""
    turn = _ORIENT.get(orientation, _ORIENT[1])
    w, h = raw_width_px, raw_height_px
    upright_w, upright_h = (h, w) if orientation >= 5 else (w, h)

    def page_point(u: float, v: float) -> tuple[float, float]:
        x, y = turn(u * w, (1 - v) * h, w, h)  # PDF's unit square has its top row at v = 1
        return (
            placed.x_pt + x / upright_w * placed.width_pt,
            placed.y_pt + (1 - y / upright_h) * placed.height_pt,
        )

    e, f = page_point(0, 0)
    a, b = (p - q for p, q in zip(page_point(1, 0), (e, f), strict=True))
    c, d = (p - q for p, q in zip(page_point(0, 1), (e, f), strict=True))
    return a, b, c, d, e, f
