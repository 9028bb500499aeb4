"""The pages of a built PDF as PNG images and plain text for the browser (pypdfium2)."""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
from PIL import Image, ImageChops

# The page is shown 900 CSS px wide at 1366 × 768 and 1920 × 1080: drawn at exactly that size it
# is as sharp as pdf.js drawing the PDF itself; screens scaled 125 % to 200 % take the second.
WIDTHS_PX = (900, 1800)
KEPT_IMAGES = 64  # rendered pages kept in memory: about 20 MB
GREY_TOLERANCE = 24  # channel difference still counted as grey
_PDFIUM = threading.Lock()  # pdfium is not thread-safe; PNG encoding runs outside this lock


@dataclass(frozen=True)
class PageSize:
    """One page's size in points."""

    width_pt: float
    height_pt: float

    def height_px(self, width_px: int) -> int:
        """The image height for a given image width."""
        return round(width_px * self.height_pt / self.width_pt)


@dataclass(frozen=True)
class Document:
    """A PDF read at one moment: its version token, page sizes and each page's text."""

    version: str
    sizes: tuple[PageSize, ...]
    texts: tuple[str, ...]
    data: bytes


class PageImages:
    """Reads the last good PDFs and renders their pages, keeping recent results in memory."""

    def __init__(self, kept_images: int = KEPT_IMAGES) -> None:
        self._documents: dict[Path, Document] = {}
        self._images: OrderedDict[tuple[Path, str, int, int], bytes] = OrderedDict()
        self._kept = kept_images
        self._lock = threading.Lock()
        self._busy: dict[tuple[Path, str, int, int], threading.Lock] = {}
        self._viewed: dict[Path, tuple[int, int]] = {}  # the page last asked for, and its width

    def document(self, pdf: Path) -> Document:
        """The PDF as it is now (read once per version); OSError if it cannot be read."""
        with open(pdf, "rb") as stream:  # one open file: its stat and its bytes agree
            stat = os.fstat(stream.fileno())
            version = f"{stat.st_mtime_ns:x}-{stat.st_size:x}-{stat.st_ino:x}"
            with self._lock:
                known = self._documents.get(pdf)
            if known is not None and known.version == version:
                return known
            data = stream.read()
        with _PDFIUM:
            pdf_document = pypdfium2.PdfDocument(data)
            try:
                sizes, texts = [], []
                for page in pdf_document:
                    width_pt, height_pt = page.get_size()
                    sizes.append(PageSize(width_pt, height_pt))
                    texts.append(page.get_textpage().get_text_bounded())
            finally:
                pdf_document.close()
        document = Document(version, tuple(sizes), tuple(texts), data)
        with self._lock:
            self._documents[pdf] = document
        return document

    def page_count(self, pdf: Path) -> int:
        """How many pages the PDF has; 0 if it cannot be read."""
        try:
            return len(self.document(pdf).sizes)
        except (OSError, pypdfium2.PdfiumError):
            return 0

    def png(self, pdf: Path, index: int, width_px: int) -> tuple[str, bytes] | None:
        """Page `index` (from 0) as a PNG `width_px` wide, with the PDF's version; None if none."""
        document = self.document(pdf)
        if not 0 <= index < len(document.sizes):
            return None
        key = (pdf, document.version, index, width_px)
        with self._lock:
            self._viewed[pdf] = (index, width_px)
            busy = self._busy.setdefault(key, threading.Lock())
        with busy:  # two requests for one page render it once
            with self._lock:
                image = self._images.get(key)
                if image is not None:
                    self._images.move_to_end(key)
            if image is None:
                image = _render(document, index, width_px)
                with self._lock:
                    self._images[key] = image
                    while len(self._images) > self._kept:
                        self._images.popitem(last=False)
        with self._lock:
            self._busy.pop(key, None)
        return document.version, image

    def cached(self) -> list[tuple[str, int, int]]:
        """(version, page index, width) of every page image kept."""
        with self._lock:
            return [(version, index, width) for _pdf, version, index, width in self._images]

    def warm(self, pdf: Path) -> None:
        """Render the new PDF's pages a browser was looking at, before it asks for them again."""
        with self._lock:
            viewed = self._viewed.get(pdf)
        if viewed is None:
            return
        index, width_px = viewed
        for near in (index, index + 1, index - 1):
            with contextlib.suppress(OSError, pypdfium2.PdfiumError):
                self.png(pdf, near, width_px)
        with self._lock:
            self._viewed[pdf] = viewed  # what a browser views, not what this warmed


def _render(document: Document, index: int, width_px: int) -> bytes:
    with _PDFIUM:
        pdf_document = pypdfium2.PdfDocument(document.data)
        try:
            page = pdf_document[index]
            bitmap = page.render(scale=width_px / document.sizes[index].width_pt)
            picture = bitmap.to_pil().copy()  # owns its pixels once the document closes
        finally:
            pdf_document.close()
    red, green, blue = picture.split()
    if not any(_differ(red, other) for other in (green, blue)):
        picture = picture.convert("L")  # a page in black and grey only: encodes in half the time
    out = io.BytesIO()
    picture.save(out, "PNG", compress_level=1)  # level 1: a third of the time of 6, 2 % larger
    return out.getvalue()


def _differ(one: Image.Image, other: Image.Image) -> bool:
    """Whether two channels differ anywhere by more than CMYK black's tint in RGB (35, 31, 32)."""
    return ImageChops.difference(one, other).point(_COLOUR_LUT).getbbox() is not None


_COLOUR_LUT = [0] * (GREY_TOLERANCE + 1) + [255] * (255 - GREY_TOLERANCE)
