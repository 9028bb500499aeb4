"""Reading a face's cmap, hmtx and loca tables into arrays, as reportlab reads them, but faster.

reportlab's parser reads these tables a number at a time (~90 ms for a 14 MB CJK face: 90 % of
a first build's font time on a new machine). `char_info` reads them as whole arrays and gives
what reportlab's `extractInfo` would have set, the same values: the character map and widths
(facemaps.FaceMaps), hmetrics, glyphPos and defaultWidth. It reads only the cmap formats 4 and
12 (what TrueType CJK faces use) with ranges in order; for anything else it answers None and
reportlab parses the face itself, so an odd font is read exactly as before.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Callable
from typing import Any

from pipeline.fonts.facemaps import ABSENT, BMP, FaceMaps, Metrics

_BIG_ENDIAN = sys.byteorder == "big"


class _Unsupported(Exception):
    """The face needs reportlab's own parser (or makes it raise, which it then does)."""


def _numbers(data: Any, offset: int, count: int, typecode: str) -> array[int]:
    """`count` big-endian numbers from the font's bytes (a FontFile: read, not kept)."""
    values = array(typecode)
    size = values.itemsize
    read = getattr(data, "read", None)
    raw = read(offset, count * size) if read else bytes(data[offset : offset + count * size])
    if len(raw) != count * size:
        raise _Unsupported("table beyond the end of the file")
    values.frombytes(raw)
    if not _BIG_ENDIAN:
        values.byteswap()
    return values


def _ushort(data: Any, offset: int) -> int:
    return _numbers(data, offset, 1, "H")[0]


def _short(data: Any, offset: int) -> int:
    return _numbers(data, offset, 1, "h")[0]


def _ulong(data: Any, offset: int) -> int:
    return _numbers(data, offset, 1, "L" if array("L").itemsize == 4 else "I")[0]


def char_info(face: Any) -> tuple[FaceMaps, Metrics, array[int], int | float] | None:
    """(maps, hmetrics, glyphPos, defaultWidth) of a face that reportlab's extractInfo(0) read.

    None when reportlab must parse the face itself.
    """
    try:
        return _char_info(face)
    except (_Unsupported, KeyError, IndexError, ValueError, OverflowError):
        return None


def _char_info(face: Any) -> tuple[FaceMaps, Metrics, array[int], int | float]:
    data, table = face._ttf_data, face.table
    if getattr(face, "_full_font", True):
        raise _Unsupported("a face embedded whole")
    head = table["head"]["offset"]
    index_to_loc, glyph_data_format = _short(data, head + 50), _short(data, head + 52)
    if glyph_data_format != 0 or index_to_loc not in (0, 1) or "loca" not in table:
        raise _Unsupported("reportlab reports these")
    metric_count = _ushort(data, table["hhea"]["offset"] + 34)
    glyph_count = face.numGlyphs
    if not 0 < metric_count <= glyph_count:
        raise _Unsupported("unusual hmtx")
    bmp, codes, glyphs = _cmap(data, table["cmap"]["offset"])
    metrics, widths = _hmtx(data, table["hmtx"]["offset"], metric_count, glyph_count, face)
    loca = table["loca"]["offset"]
    if index_to_loc == 0:
        positions = array("I", [n << 1 for n in _numbers(data, loca, glyph_count + 1, "H")])
    else:
        positions = array("I", _numbers(data, loca, glyph_count + 1, "I"))
    space, nbsp = bmp[0x20], bmp[0xA0]  # reportlab makes each stand for the other
    if space != ABSENT:
        if space >= glyph_count:
            raise _Unsupported("reportlab raises")
        bmp[0xA0] = space
    elif nbsp != ABSENT:
        if nbsp >= glyph_count:
            raise _Unsupported("reportlab raises")
        bmp[0x20] = nbsp
    return FaceMaps(bmp, codes, glyphs, widths), metrics, positions, widths[0]


def _cmap(data: Any, cmap: int) -> tuple[array[int], array[int], array[int]]:
    """The subtable reportlab picks (the last Unicode one it knows), as arrays."""
    version, count = _ushort(data, cmap), _ushort(data, cmap + 2)
    if count == 0 and version != 0:
        count = version
    chosen, kind = None, 0
    records = _numbers(data, cmap + 4, count * 4, "H")
    for n in range(count):
        platform, encoding = records[4 * n], records[4 * n + 1]
        offset = (records[4 * n + 2] << 16) | records[4 * n + 3]
        if platform == 3:
            kind, chosen = 1, offset
        elif platform == 1 and encoding == 0 and kind != 1:
            kind, chosen = 2, offset
        elif (platform == 1 and encoding == 1) or (platform == 0 and encoding != 5):
            kind, chosen = 1, offset
    if chosen is None:
        raise _Unsupported("reportlab raises")
    start = cmap + chosen
    bmp = array("I", [ABSENT]) * BMP
    form = _ushort(data, start)
    if form == 4:
        _format4(data, start, bmp)
        return bmp, array("I"), array("I")
    if form == 12:
        return _format12(data, start, bmp)
    raise _Unsupported("another cmap format")


def _format4(data: Any, start: int, bmp: array[int]) -> None:
    length = _ushort(data, start + 2)
    table = _Bytes(data, start, length + 1)  # the subtable, read once (and the byte after it)
    segments = int(table.numbers(6, 1, "H")[0] / 2.0)
    ends = table.numbers(14, segments, "H")
    starts = table.numbers(16 + 2 * segments, segments, "H")
    deltas = table.numbers(16 + 4 * segments, segments, "h")
    range_start = 16 + 6 * segments  # in the subtable
    offsets = table.numbers(range_start, segments, "H")
    for n in range(segments):
        first, last, delta, offset = starts[n], ends[n], deltas[n], offsets[n]
        if last < first:
            continue
        if bmp[first : last + 1].count(ABSENT) != last + 1 - first:
            raise _Unsupported("overlapping ranges")  # reportlab's widths then depend on order
        size = last + 1 - first
        if offset == 0:
            low = (first + delta) & 0xFFFF
            if low + size <= 0x10000:  # no glyph id wraps around: a plain run
                found = array("I", range(low, low + size))
            else:
                found = array("I", [(code + delta) & 0xFFFF for code in range(first, last + 1)])
        else:
            at = range_start + 2 * n + offset
            count = min(size, max(0, (length - at + 1) // 2))  # reportlab reads no id past it
            ids = table.numbers(at, count, "H") if count else array("H")
            if delta == 0:
                found = array("I", ids)
            else:
                found = array("I", [(glyph + delta) & 0xFFFF if glyph else 0 for glyph in ids])
            found.extend([0] * (size - count))  # beyond the subtable: reportlab's 0
        bmp[first : last + 1] = found


class _Bytes:
    """Part of the font file read once; numbers read from it by offset (from the file beyond)."""

    def __init__(self, data: Any, offset: int, length: int) -> None:
        self.data, self.offset = data, offset
        read = getattr(data, "read", None)
        self.raw = read(offset, length) if read else bytes(data[offset : offset + length])

    def numbers(self, at: int, count: int, typecode: str) -> array[int]:
        values = array(typecode)
        end = at + count * values.itemsize
        if at < 0 or end > len(self.raw):
            return _numbers(self.data, self.offset + at, count, typecode)
        values.frombytes(self.raw[at:end])
        if not _BIG_ENDIAN:
            values.byteswap()
        return values


def _format12(data: Any, start: int, bmp: array[int]) -> tuple[array[int], array[int], array[int]]:
    groups = _ulong(data, start + 12)
    numbers = _numbers(data, start + 16, groups * 3, "I")
    codes, glyphs = array("I"), array("I")
    previous = -1
    for n in range(groups):
        first, last, glyph = numbers[3 * n], numbers[3 * n + 1], numbers[3 * n + 2]
        if first <= previous or last < first or glyph + (last - first) >= ABSENT:
            raise _Unsupported("ranges out of order")
        previous = last
        if last < BMP:
            bmp[first : last + 1] = array("I", range(glyph, glyph + last + 1 - first))
        elif first >= BMP:
            codes.extend(range(first, last + 1))
            glyphs.extend(range(glyph, glyph + last + 1 - first))
        else:
            raise _Unsupported("a range across the end of the BMP")
    return bmp, codes, glyphs


def _hmtx(
    data: Any, hmtx: int, metric_count: int, glyph_count: int, face: Any
) -> tuple[Metrics, array[Any]]:
    """hmetrics (reportlab's: the advance of the glyphs after the last full metric is the last
    advance as scaled to 1/1000 em) and each glyph's width in 1/1000 em."""
    pairs = _numbers(data, hmtx, 2 * metric_count, "H")
    advances, bearings = pairs[0::2], pairs[1::2]
    bearings.extend(_numbers(data, hmtx + 4 * metric_count, glyph_count - metric_count, "H"))
    units = face.unitsPerEm
    if units == 1000:
        widths = array("q", advances)
    else:
        factor = 1000 / units
        widths = array("d", [advance * factor for advance in advances])
    last = widths[-1]
    widths.extend([last] * (glyph_count - metric_count))
    extra = [int(last)] * (glyph_count - metric_count)
    advances = array("I", advances)
    advances.extend(extra)
    return Metrics(advances, bearings), widths


def content_check(read: Callable[[int, int], bytes], head: tuple[int, int]) -> bytes:
    """A digest of the font's first 64 KiB and its head table (~0.1 ms).

    The first 64 KiB hold the sfnt (or TTC) header and the table directory with every table's
    checksum; the head table holds checkSumAdjustment, the checksum of the whole file. Font
    tools rewrite all of these when they change a font, so together with the size, mtime and
    inode this finds a changed font without reading (~5-10 ms) and hashing (~4 ms) 14 MB.
    """
    return hashlib.sha1(read(0, 65536) + read(*head)).digest()
