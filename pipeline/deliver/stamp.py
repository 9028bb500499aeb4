"""Personal copies: the built PDF stamped with a copy number (份号) and the recipient's name."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from typing import Any

from pypdf import PdfReader, PdfWriter

from pipeline.diagnostics import BulletinError
from pipeline.fonts.chains import BUNDLED_DIR
from pipeline.i18n import _
from pipeline.layout.style import PT_PER_MM, Style

STAMP_FONT = BUNDLED_DIR / "NotoSerifSC_400Regular.ttf"  # GBK complete: any name
STAMP_FONT_NAME = "BulletinStamp-NotoSerifSC-Regular"
COPY_NUMBER_PT = 16.0  # 三号
COPY_NUMBER_ABOVE_MM = 10.0  # baseline above the type area's top edge, in the top margin
NAME_PT = 9.0
NAME_BASELINE_MM = 15.0  # from the paper's bottom edge: below the page number


@dataclass(frozen=True)
class StampPlace:
    """Where the stamps go, in PDF points from the bottom-left corner of the paper."""

    number_x: float
    number_baseline: float
    name_right: float
    name_baseline: float

    @classmethod
    def for_style(cls, style: Style) -> StampPlace:
        """Copy number at the type area's left edge in the top margin; name at the right foot."""
        return cls(
            style.left_pt,
            style.top_pt + COPY_NUMBER_ABOVE_MM * PT_PER_MM,
            style.left_pt + style.width_pt,
            NAME_BASELINE_MM * PT_PER_MM,
        )


def format_copy_number(number: int) -> str:
    """份号 as six Arabic digits: 1 → 000001."""
    return f"{number:06d}"


def stamp_font_lacks(text: str) -> list[str]:
    """The characters of `text` that the stamp font cannot draw (e.g. 😀, 𪚥), sorted."""
    font = _font()
    return sorted({c for c in text if ord(c) not in font.face.charToGlyph})


def stamp_copy(pdf: bytes, copy_number: str, recipient: str, place: StampPlace) -> bytes:
    """The PDF with the copy number on page 1 and the recipient's name on the last page."""
    missing = stamp_font_lacks(copy_number + recipient)
    if missing:
        raise BulletinError.single(
            _(
                "the stamp font has no {chars} ({codes}) for '{name}'",
                chars=" ".join(missing),
                codes=", ".join(f"U+{ord(c):04X}" for c in missing),
                name=recipient,
            ),
            file=STAMP_FONT,
            hint=_("write the recipient's name with common characters"),
        )
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    pages = writer.pages
    last = len(pages) - 1
    for index in sorted({0, last}):
        box = pages[index].mediabox
        overlay = _overlay(
            float(box.width),
            float(box.height),
            copy_number if index == 0 else None,
            recipient if index == last else None,
            place,
        )
        pages[index].merge_page(overlay)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _overlay(
    width: float, height: float, number: str | None, name: str | None, place: StampPlace
) -> Any:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    # The stamp's own font from the start: reportlab's default Helvetica is not embedded (PDF/A).
    canvas = Canvas(
        buffer,
        pagesize=(width, height),
        invariant=1,
        pageCompression=1,
        initialFontName=STAMP_FONT_NAME,
    )
    canvas.setFillColorCMYK(0, 0, 0, 1)
    if number is not None:
        canvas.setFont(STAMP_FONT_NAME, COPY_NUMBER_PT)
        canvas.drawString(place.number_x, place.number_baseline, number)
    if name is not None:
        canvas.setFont(STAMP_FONT_NAME, NAME_PT)
        canvas.drawRightString(place.name_right, place.name_baseline, name)
    canvas.showPage()
    canvas.save()
    return PdfReader(io.BytesIO(buffer.getvalue())).pages[0]


@cache
def _font() -> Any:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font = TTFont(STAMP_FONT_NAME, str(STAMP_FONT))
    pdfmetrics.registerFont(font)
    return font
