"""Drawing the display list into PDF bytes with reportlab: text objects written directly and
remembered per page, pictures embedded as they are; a later stage may finish the document."""

from __future__ import annotations

import functools
import io
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

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


PAGES_KEPT = 512  # pages whose text objects are remembered (a 186-page issue's are ~1.2 MB)


@dataclass
class _PageText:
    """A page's text objects as drawn once, and what their bytes depend on besides its runs.

    The codes of a character are assigned by reportlab's font in the order characters are
    first drawn in the document, so the same runs may need other codes in another document:
    `coded` holds, per font, the page's characters in the order first drawn and the codes
    they had (None: never coded, as U+00A0); `named`, the font resource names of the subsets
    used, in the order first used.
    """

    code: list[str]
    coded: list[tuple[str, str, list[int | None]]]
    named: list[tuple[str, int, str]]


# Text objects of recently drawn pages, by their runs (see the list of caches in files.py).
_PAGE_TEXTS: OrderedDict[tuple[GlyphRun, ...], _PageText] = OrderedDict()


class _TextWriter:
    """The page's text objects, written as reportlab's PDFTextObject writes them, byte for byte.

    One text object per run of consecutive glyph runs on one baseline, each run setting its
    colour, spacing, scale, origin and font (reportlab's textOut per run costs ten times this:
    most of a long document's drawing). The codes are the ones reportlab's font assigns
    (splitString, called for every character it has not coded yet), so its subsets and their
    order are the ones it would have made.
    """

    def __init__(self, canvas: Any) -> None:
        from reportlab.lib.rl_accel import escapePDF, fp_str

        self.canvas, self.doc = canvas, canvas._doc
        self.fp_str, self.escape = fp_str, escapePDF
        self.fills: dict[Color, str] = {}
        self.fonts: dict[str, tuple[Any, dict[int, int]]] = {}
        self.sizes: dict[float, str] = {}
        self.names: dict[tuple[str, int], str] = {}
        self.used: dict[tuple[str, int], str] = {}  # the subsets the page drawn uses, in order
        self.doc.ensureMinPdfVersion("transparency")  # as setFillColor's alpha 1 does

    def fill(self, spec: Color) -> str:
        """The fill colour operator, as PDFTextObject.setFillColor writes it."""
        found = self.fills.get(spec)
        if found is None:
            if spec.rgb is not None:
                found = f"{self.fp_str(tuple(spec.rgb))} rg"
            else:
                found = f"{self.fp_str(*(spec.cmyk or (0, 0, 0, 1)))} k"
            self.fills[spec] = found
        return found

    def font(self, name: str) -> tuple[Any, dict[int, int]]:
        """reportlab's font of that name, and its character → code map in this document."""
        found = self.fonts.get(name)
        if found is None:
            from reportlab.pdfbase.pdfmetrics import getFont

            font = getFont(name)
            font.splitString("", self.doc)  # makes the font's state for this document
            found = self.fonts[name] = (font, font.state[self.doc].assignments)
        return found

    def subset_name(self, font: Any, subset: int) -> str:
        """The font resource name of a subset (registering the font with the document)."""
        key = (font.fontName, subset)
        found = self.names.get(key)
        if found is None:
            found = self.names[key] = font.getSubsetInternalName(subset, self.doc)
        self.used.setdefault(key, found)
        return found

    def size(self, size_pt: float) -> str:
        """The font size and leading operands, as PDFTextObject.setFont writes them."""
        found = self.sizes.get(size_pt)
        if found is None:
            fp_str = self.fp_str
            found = self.sizes[size_pt] = f"{fp_str(size_pt)} Tf {fp_str(size_pt * 1.2)} TL"
        return found

    def chunks(self, font: Any, codes: dict[int, int], text: str) -> list[tuple[int, bytes]]:
        """The run's (subset, codes) pieces, as font.splitString gives them."""
        found = list(map(codes.get, map(ord, text)))
        if found and None not in found:  # all coded already (never U+00A0, nor a missing one)
            known: list[int] = found  # type: ignore[assignment]
            subset = known[0] >> 8
            if max(known) >> 8 == subset and min(known) >> 8 == subset:
                return [(subset, bytes(known) if not subset else bytes(c & 255 for c in known))]
        return list(font.splitString(text, self.doc))

    def draw_page(self, runs: list[GlyphRun]) -> None:
        """Append the page's text objects, as drawn last time when their codes are the same."""
        key = tuple(runs)
        found = _PAGE_TEXTS.get(key)
        if found is not None and self._still_coded(found):
            _PAGE_TEXTS.move_to_end(key)
            self.canvas._code.extend(found.code)
            return
        start, self.used = len(self.canvas._code), {}
        self.draw(runs)
        first_drawn: dict[str, dict[str, None]] = {}
        for run in runs:
            first_drawn.setdefault(run.font.name, {}).update(dict.fromkeys(run.text))
        coded = []
        for name, chars in first_drawn.items():
            codes = self.font(name)[1]
            coded.append((name, "".join(chars), list(map(codes.get, map(ord, chars)))))
        named = [(name, subset, title) for (name, subset), title in self.used.items()]
        _PAGE_TEXTS[key] = _PageText(self.canvas._code[start:], coded, named)
        while len(_PAGE_TEXTS) > PAGES_KEPT:
            _PAGE_TEXTS.popitem(last=False)

    def _still_coded(self, page: _PageText) -> bool:
        """Code the page's characters as drawing it would, and, if their codes are the ones
        remembered, name its subsets in the order drawing it would: whether the names are the
        ones remembered too."""
        same = True
        for name, text, were in page.coded:
            font, codes = self.font(name)
            found = list(map(codes.get, map(ord, text)))
            if found != were and None in found:  # characters this document has not coded yet
                font.splitString(text, self.doc)
                found = list(map(codes.get, map(ord, text)))
            same = same and found == were
        if not same:  # other codes may mean other subsets: left to drawing the page to name
            return False
        titles = [self.subset_name(self.font(name)[0], subset) for name, subset, _ in page.named]
        return titles == [title for _, _, title in page.named]

    def draw(self, runs: list[GlyphRun]) -> None:
        """Append the runs' text objects to the canvas's current page."""
        fp_str, escape, fill = self.fp_str, self.escape, self.fill
        out = self.canvas._code.append
        code: list[str] = []
        baseline: float | None = None
        for run in runs:
            if run.baseline_pt != baseline:
                if code:
                    code.append("ET")
                    out(" ".join(code))
                code = ["BT 1 0 0 1 0 0 Tm"]
                baseline = run.baseline_pt
            font, codes = self.font(run.font.name)
            size = self.size(run.size_pt)
            shown = " ".join(
                f"{self.subset_name(font, subset)} {size} ({escape(chunk)}) Tj"
                for subset, chunk in self.chunks(font, codes, run.text)
            )
            code.append(
                f"{fill(run.color)} {fp_str(run.char_space_pt)} Tc {fp_str(run.h_scale)} Tz"
                f" 1 0 0 1 {fp_str(run.x_pt, run.baseline_pt)} Tm {shown}"
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
