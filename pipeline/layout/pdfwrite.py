"""Drawing the display list into PDF bytes with reportlab: text objects written directly and
remembered per page, pictures embedded as they are; a later stage may finish the document."""

from __future__ import annotations

import functools
import io
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pipeline.fonts.chains import LoadedFont
from pipeline.layout.cidfonts import DocumentFonts, PageFace
from pipeline.layout.display import (
    DisplayPage,
    DocumentInfo,
    GlyphRun,
    PlacedImage,
    image_matrix,
    pdf_date,
)
from pipeline.layout.style import Color


class DocumentFinish(Protocol):
    """What a later stage adds to the document as reportlab writes it (formats/pdfawrite.py)."""

    def before_save(self, document: Any, info: DocumentInfo) -> None:
        """Change reportlab's PDFDocument once every page is drawn, before it is serialised."""

    def after_save(self, pdf: bytes) -> bytes:
        """The bytes written, finished (e.g. given a file identifier computed from them)."""


def render_pdf(
    pages: list[DisplayPage],
    info: DocumentInfo,
    initial_font: str,
    finish: DocumentFinish | None = None,
) -> bytes:
    """Draw the display list into PDF bytes with reportlab (reproducible: dates from the issue)."""
    from reportlab.lib.colors import CMYKColor
    from reportlab.lib.colors import Color as RLColor
    from reportlab.pdfgen.canvas import Canvas

    _ascii_encoded_as_ascii()
    _plain_names_written_plainly()

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
    texts = _TextWriter(canvas)
    for page in pages:
        canvas.setPageSize((page.width_pt, page.height_pt))
        for placed in page.images:
            _draw_image(canvas, placed)
        if page.runs:
            texts.draw_page(page.runs)
        for rule in page.rules:
            canvas.setStrokeColor(color(rule.color))
            canvas.setLineWidth(rule.thickness_pt)
            canvas.line(rule.x0_pt, rule.y_pt, rule.x1_pt, rule.y_pt)
        for vertical in page.vertical_rules:
            canvas.setStrokeColor(color(vertical.color))
            canvas.setLineWidth(vertical.thickness_pt)
            canvas.line(vertical.x_pt, vertical.y0_pt, vertical.x_pt, vertical.y1_pt)
        canvas.showPage()
    texts.fonts.add_to(canvas._doc)
    if finish is None:
        canvas.save()
        return buffer.getvalue()
    finish.before_save(canvas._doc, info)
    canvas.save()
    return finish.after_save(buffer.getvalue())


@functools.cache
def _ascii_encoded_as_ascii() -> None:
    """reportlab encodes every piece of every object it writes with a PDFDocEncoding codec
    (charmap, ~1.5 µs a call; 100,000 calls for a long issue); ASCII text, nearly all of it,
    is the same bytes encoded as ASCII. (Only U+0018–U+001F, which the codec refuses, would
    now pass: nothing writes them.)"""
    from reportlab.pdfbase import pdfdoc

    def encoded(text: Any) -> Any:
        if isinstance(text, str):
            return text.encode("ascii") if text.isascii() else text.encode("extpdfdoc")
        return text

    pdfdoc.pdfdocEnc = encoded


# A character reportlab's PDFName writes as #xx: outside ! to ~, or a PDF delimiter, or #.
_NAME_ESCAPED = re.compile(r"[^!-~]|[%()<>{}\[\]#]")


@functools.cache
def _plain_names_written_plainly() -> None:
    """reportlab's PDFName (each dictionary key and name it writes, ~300 an issue) looks at a
    name character by character; a name with nothing to escape, nearly every one, is "/" and
    the name, and the others are left to it."""
    from reportlab.pdfbase import pdfdoc

    escaping: Callable[..., str] = pdfdoc.PDFName

    def name(data: Any, *bounds: Any) -> str:
        if bounds or not isinstance(data, str) or _NAME_ESCAPED.search(data):
            return escaping(data, *bounds)
        return "/" + data

    pdfdoc.PDFName = name


PAGES_KEPT = 512  # pages whose text objects are remembered (a 186-page issue's are ~1.2 MB)


@dataclass
class _PageText:
    """A page's text objects as drawn once, and what coding its characters must give again
    for them to be the page's text in another document (cidfonts.PageFace)."""

    code: list[str]
    faces: list[PageFace]


class _PageKey:
    """A page's runs as a key of the memo, hashed once (a page has ~60 runs)."""

    __slots__ = ("_hash", "runs")

    def __init__(self, runs: list[GlyphRun]) -> None:
        self.runs = tuple(runs)
        self._hash = hash(self.runs)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _PageKey) and self.runs == other.runs


# Text objects of recently drawn pages, by their runs (see the list of caches in files.py).
_PAGE_TEXTS: OrderedDict[_PageKey, _PageText] = OrderedDict()


class _TextWriter:
    """The pages' text objects: one per run of consecutive glyph runs on one baseline, each run
    setting its colour, spacing, scale, origin and font, its glyphs coded by cidfonts.py."""

    def __init__(self, canvas: Any) -> None:
        from reportlab.lib.rl_accel import fp_str

        self.canvas, self.fp_str = canvas, fp_str
        self.fonts = DocumentFonts()
        self.fills: dict[Color, str] = {}
        self.sizes: dict[float, str] = {}
        canvas._doc.ensureMinPdfVersion("transparency")  # as setFillColor's alpha 1 did

    def fill(self, spec: Color) -> str:
        """The fill colour operator, as reportlab's PDFTextObject.setFillColor writes it."""
        found = self.fills.get(spec)
        if found is None:
            if spec.rgb is not None:
                found = f"{self.fp_str(tuple(spec.rgb))} rg"
            else:
                found = f"{self.fp_str(*(spec.cmyk or (0, 0, 0, 1)))} k"
            self.fills[spec] = found
        return found

    def size(self, size_pt: float) -> str:
        """The font size operand and operator."""
        found = self.sizes.get(size_pt)
        if found is None:
            found = self.sizes[size_pt] = f"{self.fp_str(size_pt)} Tf"
        return found

    def draw_page(self, runs: list[GlyphRun]) -> None:
        """Append the page's text objects, as drawn last time when their codes are the same."""
        key = _PageKey(runs)
        found = _PAGE_TEXTS.get(key)
        if found is not None and self.fonts.codes_as(found.faces):
            _PAGE_TEXTS.move_to_end(key)
            self.canvas._code.extend(found.code)
            return
        start = len(self.canvas._code)
        self.draw(runs)
        chars: dict[LoadedFont, list[str]] = {}
        for run in runs:
            if run.text:
                chars.setdefault(run.font, []).append(run.text)
        faces = self.fonts.page_faces({font: "".join(texts) for font, texts in chars.items()})
        _PAGE_TEXTS[key] = _PageText(self.canvas._code[start:], faces)
        while len(_PAGE_TEXTS) > PAGES_KEPT:
            _PAGE_TEXTS.popitem(last=False)

    def draw(self, runs: list[GlyphRun]) -> None:
        """Append the runs' text objects to the canvas's current page."""
        fp_str, fill, pieces = self.fp_str, self.fill, self.fonts.pieces
        fills, sizes = self.fills, self.sizes
        out = self.canvas._code.append
        code: list[str] = []
        baseline: float | None = None
        for run in runs:
            if run.baseline_pt != baseline:
                if code:
                    code.append("ET")
                    out(" ".join(code))
                code = ["BT"]
                baseline = run.baseline_pt
            size = sizes.get(run.size_pt) or self.size(run.size_pt)
            found = pieces(run.font, run.text)
            if len(found) == 1:  # nearly always: no glyph shared with another character
                shown = f"{found[0][0]} {size} <{found[0][1]}> Tj"
            else:
                shown = " ".join(f"{name} {size} <{codes}> Tj" for name, codes in found)
            code.append(
                f"{fills.get(run.color) or fill(run.color)} {fp_str(run.char_space_pt)} Tc"
                f" {fp_str(run.h_scale)} Tz 1 0 0 1 {fp_str(run.x_pt, run.baseline_pt)} Tm {shown}"
            )
        code.append("ET")
        out(" ".join(code))


def _draw_image(canvas: Any, placed: PlacedImage) -> None:
    """Embed a picture: JPEG bytes as they are (DCTDecode), others deflated, never ASCII85."""
    from reportlab import rl_config
    from reportlab.lib.utils import ImageReader

    class JpegReader(ImageReader):  # type: ignore[misc]
        """reportlab decodes an image to name it; a JPEG is named by its bytes instead."""

        def getRGBData(self) -> bytes:
            self._dataA = None  # no alpha: what reportlab's own method would have found
            return picture.jpeg or b""

    picture = placed.picture
    if picture.jpeg is not None:
        reader = JpegReader(io.BytesIO(picture.jpeg))
    else:
        reader = ImageReader(picture.image)
    raw_w, raw_h = reader.getSize()
    canvas.saveState()
    canvas.transform(*image_matrix(placed, raw_w, raw_h, picture.orientation))
    a85, rl_config.useA85 = rl_config.useA85, 0  # binary streams: a quarter smaller
    try:
        canvas.drawImage(reader, 0, 0, 1, 1)
    finally:
        rl_config.useA85 = a85
    canvas.restoreState()
