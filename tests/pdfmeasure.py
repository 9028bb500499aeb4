"""Reading a built PDF into plain numbers with pdfplumber, for tests that measure layout.md.

Positions are in points; y is measured downwards from the top of the paper (like layout.md's
"37 mm from the paper's top"). A text line is the set of characters on one baseline.

pdfminer (under pdfplumber) leaves out the character spacing (PDF operator Tc) after the last
glyph of each string it shows, though PDF 32000-1 §9.4.4 applies it after every glyph. reportlab
shows one text run as several strings when the run uses several font subsets, so without a
correction every subset change inside a run would move the rest of the run 0.21 pt to the left.
`read_pdf` corrects this while it reads (poppler's pdftotext -bbox agrees with the result).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf.pdfa
from pdfminer.pdfdevice import PDFTextDevice

PT_PER_MM = 72 / 25.4
PAGE_WIDTH = 210 * PT_PER_MM
PAGE_HEIGHT = 297 * PT_PER_MM
LEFT = 28 * PT_PER_MM  # 79.37
WIDTH = 156 * PT_PER_MM
RIGHT = LEFT + WIDTH  # 521.57
TOP = 37 * PT_PER_MM  # 104.88, from the paper's top
BOTTOM = TOP + 225 * PT_PER_MM  # 742.68, from the paper's top
PITCH = 225 * PT_PER_MM / 22  # 28.99
CELLS = 22
BODY_SIZE = 16.0
CHAR_PITCH = WIDTH / 28  # 15.79
TRACKING = CHAR_PITCH - BODY_SIZE  # -0.21 at 16 pt
BASELINE_EM = 0.88
RED = (0.0, 1.0, 1.0, 0.0)
BLACK = (0.0, 0.0, 0.0, 1.0)

# layout.md §6
LINE_START_FORBIDDEN = set("、，。；：？！”’）〕］】》〉·／…—")
LINE_END_FORBIDDEN = set("“‘（〔［【《〈")
# full-width marks whose ink fills the left half of the em (the right half may be compressed)
CLOSING_MARKS = set("，。、；：”’）〕］】》〉")
OPENING_MARKS = set("“‘（〔［【《〈")


@dataclass(frozen=True)
class Char:
    """One drawn character."""

    text: str
    font: str  # e.g. "AAAAAA+NotoSerifSC-Light"
    size: float
    x0: float
    x1: float
    baseline: float  # from the paper's top
    color: tuple[float, ...]

    @property
    def family(self) -> str:
        """The font name without its subset prefix."""
        return self.font.split("+", 1)[-1]

    @property
    def full_width(self) -> bool:
        """Whether the glyph's advance is one em."""
        return abs((self.x1 - self.x0) - self.size) < 0.05

    @property
    def ink_right(self) -> float:
        """Right edge of what the character occupies: a closing mark needs only its left half."""
        if self.text in CLOSING_MARKS and self.full_width:
            return self.x0 + self.size / 2
        return self.x1


@dataclass
class TextLine:
    """The characters on one baseline, left to right."""

    baseline: float
    chars: list[Char]

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)

    @property
    def size(self) -> float:
        return max(c.size for c in self.chars)

    @property
    def x0(self) -> float:
        return self.chars[0].x0

    @property
    def x1(self) -> float:
        return self.chars[-1].x1

    @property
    def fonts(self) -> set[str]:
        return {c.family for c in self.chars if not c.text.isspace()}

    def gaps(self) -> list[float]:
        """Distances between the left edges of neighbouring characters."""
        return [b.x0 - a.x0 for a, b in zip(self.chars, self.chars[1:], strict=False)]


@dataclass(frozen=True)
class Rule:
    """A horizontal rule (a stroked line or a thin filled rectangle)."""

    x0: float
    x1: float
    y: float  # from the paper's top
    thickness: float
    color: tuple[float, ...]


@dataclass(frozen=True)
class ImageBox:
    """A drawn picture: its box on the page (y from the paper's top) and its pixel size."""

    x0: float
    x1: float
    top: float
    bottom: float
    width_px: int
    height_px: int
    filters: tuple[str, ...] = ()

    @property
    def dpi(self) -> float:
        """Pixels per inch across (both ways agree for an undistorted picture)."""
        pixels = max(self.width_px, self.height_px)
        return pixels / (max(self.x1 - self.x0, self.bottom - self.top) / 72)


@dataclass(frozen=True)
class VerticalRule:
    """A vertical stroked line (a table's column rule), y from the paper's top."""

    x: float
    top: float
    bottom: float
    thickness: float


@dataclass
class Page:
    """One page: text lines top to bottom, rules, size."""

    number: int
    width: float
    height: float
    lines: list[TextLine]
    rules: list[Rule]
    extracted: str = ""  # pdfplumber's own text extraction of the page
    images: list[ImageBox] = field(default_factory=list)
    vertical_rules: list[VerticalRule] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def page_number_line(self) -> TextLine | None:
        """The line below the type area (the page number), if any."""
        below = [line for line in self.lines if line.baseline > BOTTOM]
        return below[-1] if below else None

    @property
    def grid_lines(self) -> list[TextLine]:
        """The text lines inside the type area."""
        return [line for line in self.lines if line.baseline <= BOTTOM]


@dataclass
class Measured:
    """A whole PDF as numbers."""

    path: Path
    pages: list[Page]
    metadata: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> Iterator[tuple[Page, TextLine]]:
        for page in self.pages:
            for line in page.grid_lines:
                yield page, line

    @property
    def content_text(self) -> str:
        """All text inside the type areas, in reading order, without line breaks or spaces."""
        return "".join(line.text for _, line in self.lines()).replace(" ", "")


@contextlib.contextmanager
def _trailing_char_space() -> Iterator[None]:
    """Make pdfminer add Tc after the last glyph of every shown string, as the PDF spec says."""
    original = PDFTextDevice.render_string_horizontal

    def render(
        self: Any,
        seq: Any,
        matrix: Any,
        pos: Any,
        font: Any,
        fontsize: Any,
        scaling: Any,
        charspace: float,
        *rest: Any,
    ) -> Any:
        x, y = original(self, seq, matrix, pos, font, fontsize, scaling, charspace, *rest)
        if any(isinstance(item, bytes) and item for item in seq):
            x += charspace
        return (x, y)

    PDFTextDevice.render_string_horizontal = render  # type: ignore[method-assign]
    try:
        yield
    finally:
        PDFTextDevice.render_string_horizontal = original  # type: ignore[method-assign]


def _color(value: Any) -> tuple[float, ...]:
    if value is None:
        return ()
    if isinstance(value, int | float):
        return (float(value),)
    return tuple(round(float(v), 4) for v in value)


def assert_pdfa(pdf: Path | bytes, flavour: str = "2b") -> None:
    """The file passes pikepdf's PDF/A check with the verdict pass (nothing "not checked")."""
    source = io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf
    report = pikepdf.pdfa.validate_written(source, flavour)
    assert report.verdict == "pass", report.summary()


def read_pdf(path: Path, flavour: str = "2b") -> Measured:
    """Check that the file is PDF/A (interfaces.md), then read every page's characters and rules."""
    assert_pdfa(path, flavour)
    pages: list[Page] = []
    with _trailing_char_space(), pdfplumber.open(path) as pdf:
        metadata = dict(pdf.metadata)
        for index, page in enumerate(pdf.pages, start=1):
            height = float(page.height)
            by_baseline: dict[float, list[Char]] = {}
            for c in page.chars:
                baseline = height - float(c["matrix"][5])
                char = Char(
                    c["text"],
                    c["fontname"],
                    round(float(c["size"]), 3),
                    float(c["x0"]),
                    float(c["x1"]),
                    baseline,
                    _color(c.get("non_stroking_color")),
                )
                by_baseline.setdefault(round(baseline, 1), []).append(char)
            lines = [
                TextLine(
                    sum(c.baseline for c in chars) / len(chars), sorted(chars, key=lambda c: c.x0)
                )
                for _, chars in sorted(by_baseline.items())
            ]
            rules = [
                Rule(
                    float(ln["x0"]),
                    float(ln["x1"]),
                    float(ln["top"]),
                    float(ln.get("linewidth") or 0),
                    _color(ln.get("stroking_color")),
                )
                for ln in page.lines
                if abs(float(ln["top"]) - float(ln["bottom"])) < 0.01
            ]
            rules += [
                Rule(
                    float(r["x0"]),
                    float(r["x1"]),
                    (float(r["top"]) + float(r["bottom"])) / 2,
                    float(r["bottom"]) - float(r["top"]),
                    _color(r.get("non_stroking_color")),
                )
                for r in page.rects
                if float(r["bottom"]) - float(r["top"]) < 3 and r.get("fill")
            ]
            pages.append(
                Page(
                    index,
                    float(page.width),
                    height,
                    lines,
                    sorted(rules, key=lambda r: r.y),
                    page.extract_text(),
                    [_image_box(image) for image in page.images],
                    [
                        VerticalRule(
                            float(ln["x0"]),
                            float(ln["top"]),
                            float(ln["bottom"]),
                            float(ln.get("linewidth") or 0),
                        )
                        for ln in page.lines
                        if abs(float(ln["x0"]) - float(ln["x1"])) < 0.01
                    ],
                )
            )
    return Measured(path, pages, metadata)


def _grid_offset(size: float) -> float:
    """Baseline below the top of its cell for a line set on the grid (layout.md §1): the em
    box is centred in the row, as Word's document grid sets it."""
    return PITCH / 2 + (BASELINE_EM - 0.5) * size


def cell_of(line: TextLine) -> float:
    """The grid cell (0-based; fractional when off the grid) a line set on the grid is in."""
    return (line.baseline - TOP - _grid_offset(line.size)) / PITCH


def grid_baseline(cell: int, size: float = BODY_SIZE) -> float:
    """Where the baseline of a line of `size` set on the grid lies in cell `cell`."""
    return TOP + cell * PITCH + _grid_offset(size)


def em_top(line: TextLine) -> float:
    """Top of the line's em box, from the paper's top."""
    return line.baseline - BASELINE_EM * line.size


def em_bottom(line: TextLine) -> float:
    """Bottom of the line's em box, from the paper's top."""
    return line.baseline + (1 - BASELINE_EM) * line.size


def _image_box(image: dict[str, Any]) -> ImageBox:
    stream = image.get("stream")
    filters = stream.get_filters() if stream is not None else []
    return ImageBox(
        float(image["x0"]),
        float(image["x1"]),
        float(image["top"]),
        float(image["bottom"]),
        int(image["srcsize"][0]),
        int(image["srcsize"][1]),
        tuple(str(name).strip("/'") for name, _ in filters),
    )
