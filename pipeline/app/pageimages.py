"""The pages of a built PDF as PNG images and plain text for the browser (pypdfium2)."""

from __future__ import annotations

import io
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pypdfium2

WIDTHS_PX = (1240, 2480)  # 150 and 300 dpi on A4: a 1080p screen takes the first, HiDPI the second
KEPT_IMAGES = 64  # rendered pages kept in memory: about 25 MB at 1240 px
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
            busy = self._busy.setdefault(key, threading.Lock())
        with busy:  # two requests for one page render it once
            with self._lock:
                cached = self._images.get(key)
                if cached is not None:
                    self._images.move_to_end(key)
                    return document.version, cached
            image = _render(document, index, width_px)
            with self._lock:
                self._images[key] = image
                while len(self._images) > self._kept:
                    self._images.popitem(last=False)
                self._busy.pop(key, None)
        return document.version, image


def _render(document: Document, index: int, width_px: int) -> bytes:
    with _PDFIUM:
        pdf_document = pypdfium2.PdfDocument(document.data)
        try:
            page = pdf_document[index]
            bitmap = page.render(scale=width_px / document.sizes[index].width_pt)
            picture = bitmap.to_pil().copy()  # owns its pixels once the document closes
        finally:
            pdf_document.close()
    out = io.BytesIO()
    picture.save(out, "PNG", compress_level=1)  # level 1: a third of the time of 6, 2 % larger
    return out.getvalue()
