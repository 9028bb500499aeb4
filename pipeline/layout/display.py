"""The display list: each page's positioned glyph runs and rules, drawn alike into PDF and OFD."""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

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
        found = [codes.get(char) for char in map(ord, text)]
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
            coded.append((name, "".join(chars), [codes.get(ord(char)) for char in chars]))
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
            found = [codes.get(char) for char in map(ord, text)]
            if found != were and None in found:  # characters this document has not coded yet
                font.splitString(text, self.doc)
                found = [codes.get(char) for char in map(ord, text)]
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
