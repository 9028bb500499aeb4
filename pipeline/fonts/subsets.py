"""Faster, smaller font subsets and PDF streams: reportlab's, without unused tables, made once.

Two memos (see the list of caches in pipeline/files.py): the subsets made of each face, the least
recently used dropped beyond SUBSETS_KEPT; and the zlib form of large streams (the font
programs), bounded by COMPRESSED_KEPT bytes.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Any

SUBSETS_KEPT = 64  # per face: a document's subsets of a 14 MB face are ~20–150 KB each
# Tables reportlab copies into every subset that a PDF's TrueType font program does not need
# (ISO 32000-1 §9.9 lists head, hhea, hmtx, loca, maxp, glyf, cvt, fpgm, prep, and cmap for a
# simple font): the font's names (1–2.6 KB each), OS/2 metrics (the FontDescriptor has them),
# PostScript glyph names. Each 256-glyph subset carried its own copy.
UNNEEDED_TABLES = frozenset({b"name", b"OS/2", b"post"})


class _GlyphTable:
    """The glyf table of a font, sliced without first copying the whole table (~12 MB)."""

    def __init__(self, data: Any, offset: int, length: int) -> None:
        self._data, self._offset, self._length = data, offset, length

    def __getitem__(self, where: slice) -> bytes:
        start, stop, _ = where.indices(self._length)
        return bytes(self._data[self._offset + start : self._offset + stop])


def without_tables(font_program: bytes, dropped: frozenset[bytes] = UNNEEDED_TABLES) -> bytes:
    """The TrueType font program without the tables named, its directory and checksums redone."""
    from reportlab.pdfbase.ttfonts import TTFontMaker

    count = int.from_bytes(font_program[4:6], "big")
    maker = TTFontMaker()
    for at in range(12, 12 + 16 * count, 16):
        tag = font_program[at : at + 4]
        if tag in dropped:
            continue
        offset = int.from_bytes(font_program[at + 8 : at + 12], "big")
        length = int.from_bytes(font_program[at + 12 : at + 16], "big")
        maker.add(tag.decode("latin-1"), font_program[offset : offset + length])
    return bytes(maker.makeStream())


def speed_up_subsetting(face: Any, font_file: type[Any]) -> None:
    """Make the face's makeSubset cheaper, and its subsets smaller (without UNNEEDED_TABLES).

    reportlab's makeSubset copies the whole glyf table for every 256-glyph subset, only to slice
    glyphs out of it; the copy is replaced by slicing the glyphs themselves. Subsets are also
    remembered per face, so a rebuild that needs the same subset again does not make it again.
    """
    original_get_table = face.get_table
    original_make_subset = face.makeSubset
    made: OrderedDict[tuple[int, ...], bytes] = OrderedDict()

    def get_table(tag: str) -> Any:
        if tag == "glyf":
            offset, length = face.get_table_pos(tag)
            return _GlyphTable(face._ttf_data, offset, length)
        return original_get_table(tag)

    def make_subset(subset: list[int]) -> bytes:
        key = tuple(subset)
        found = made.get(key)
        if found is None:
            if isinstance(face._ttf_data, font_file):  # a file read on demand: still the same?
                face._ttf_data.check()
            found = made[key] = without_tables(original_make_subset(subset))
            while len(made) > SUBSETS_KEPT:
                made.popitem(last=False)
        else:
            made.move_to_end(key)
        return found

    face.get_table = get_table
    face.makeSubset = make_subset


COMPRESSED_MIN = 16 * 2**10  # font programs; smaller streams are pages and ToUnicode maps
COMPRESSED_KEPT = 4 * 2**20  # bound on the font-program bytes kept
SMALL_KEPT = 4 * 2**20  # bound on the page-stream bytes kept (a 186-page issue's are 1.2 MB)


class _Kept:
    """Compressed streams by their content, the least recently used first, and their size."""

    def __init__(self) -> None:
        self.streams: OrderedDict[bytes, bytes] = OrderedDict()
        self.size = 0


@functools.cache
def remember_compression() -> None:
    """Compress a PDF stream's content once per process, however many PDFs it goes into.

    The font subsets (remembered above) are the same large streams on every rebuild, and so
    are the pages an edit did not change; zlib gives the same bytes for the same content, so
    their compressed form is kept, the least recently used dropped beyond a bound for each
    kind (large and small streams), so a watcher's memory stays flat.
    """
    import zlib

    from reportlab.pdfbase import pdfdoc

    large, small = _Kept(), _Kept()

    def encode(text: str | bytes) -> bytes:
        if isinstance(text, str):
            text = text.encode("utf8")
        kept, bound = (
            (small, SMALL_KEPT) if len(text) < COMPRESSED_MIN else (large, COMPRESSED_KEPT)
        )
        found = kept.streams.get(text)
        if found is not None:
            kept.streams.move_to_end(text)
            return found
        found = kept.streams[text] = zlib.compress(text)
        kept.size += len(text)
        while kept.size > bound and kept.streams:
            kept.size -= len(kept.streams.popitem(last=False)[0])
        return found

    pdfdoc.PDFZCompress.encode = encode
