"""Faster font subsets and PDF streams: the same bytes as reportlab's, made once and kept.

Two memos (see the list of caches in pipeline/files.py): the subsets made of each face, the least
recently used dropped beyond SUBSETS_KEPT; and the zlib form of large streams (the font
programs), bounded by COMPRESSED_KEPT bytes.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Any

SUBSETS_KEPT = 64  # per face: a document's subsets of a 14 MB face are ~20–150 KB each


class _GlyphTable:
    """The glyf table of a font, sliced without first copying the whole table (~12 MB)."""

    def __init__(self, data: Any, offset: int, length: int) -> None:
        self._data, self._offset, self._length = data, offset, length

    def __getitem__(self, where: slice) -> bytes:
        start, stop, _ = where.indices(self._length)
        return bytes(self._data[self._offset + start : self._offset + stop])


def speed_up_subsetting(face: Any, font_file: type[Any]) -> None:
    """Make the face's makeSubset cheaper; its output stays byte for byte the same.

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
            found = made[key] = original_make_subset(subset)
            while len(made) > SUBSETS_KEPT:
                made.popitem(last=False)
        else:
            made.move_to_end(key)
        return found

    face.get_table = get_table
    face.makeSubset = make_subset


COMPRESSED_MIN = 16 * 2**10  # only font programs are worth keeping (pages are ~5 KB)
COMPRESSED_KEPT = 4 * 2**20  # bound on the font-program bytes kept


@functools.cache
def remember_compression() -> None:
    """Compress a PDF stream's content once per process, however many PDFs it goes into.

    The font subsets (remembered above) are the same large streams on every rebuild; zlib
    gives the same bytes for the same content, so their compressed form is kept. Small
    streams (pages, ToUnicode maps) are compressed afresh, so a watcher's memory stays flat.
    """
    import zlib

    from reportlab.pdfbase import pdfdoc

    kept: OrderedDict[bytes, bytes] = OrderedDict()
    size = 0

    def encode(text: str | bytes) -> bytes:
        nonlocal size
        if isinstance(text, str):
            text = text.encode("utf8")
        if len(text) < COMPRESSED_MIN:
            return zlib.compress(text)  # page streams: cheap, and new after every edit
        found = kept.get(text)
        if found is not None:
            kept.move_to_end(text)
            return found
        found = kept[text] = zlib.compress(text)
        size += len(text)
        while size > COMPRESSED_KEPT and kept:
            size -= len(kept.popitem(last=False)[0])
        return found

    pdfdoc.PDFZCompress.encode = encode
