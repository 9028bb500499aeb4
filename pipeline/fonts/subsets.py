"""Font programs for a PDF: the glyphs a document uses, each kept at its glyph id in the face.

A subset keeps the face's glyph numbering (the glyphs not used are empty), so a PDF code can
be the glyph id itself (a CIDFontType2 with CIDToGIDMap /Identity) and a page's text is the
same bytes in any document. The program holds what ISO 32000-1 §9.9 asks of a TrueType program
used by a CIDFont (head, hhea, hmtx, loca, maxp, glyf, and cvt, fpgm and prep when the face
has them; no cmap, names, OS/2 or glyph names).

Memos (see the list of caches in pipeline/files.py): the compressed programs made of each face,
the least recently used dropped beyond PROGRAMS_KEPT, and on disk (fonts/programstore.py) for
the next process; the zlib form of the pieces programs are compressed in, bounded by
PIECES_KEPT bytes; the zlib form of other large streams, bounded by COMPRESSED_KEPT bytes; and
each face's parts its programs are made of (_FaceParts: loca, hmtx and their checksums are made
from the glyphs held alone, not over the whole face).
"""

from __future__ import annotations

import functools
import hashlib
import struct
import sys
import weakref
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pipeline.fonts import programstore

PROGRAMS_KEPT = 4  # per face: a watcher's current glyph set and the ones just before it
_COPIED = (b"cvt ", b"fpgm", b"prep")  # the hinting tables, when the face has them
_BIG_ENDIAN = sys.byteorder == "big"


@dataclass(frozen=True)
class FontProgram:
    """A face's subset as it goes into the PDF: its tag, its size, and its zlib form."""

    tag: str  # six capitals naming the subset (ISO 32000-1 §9.6.4), from its glyph set
    length: int  # bytes before compression (FontFile2 /Length1)
    deflated: bytes


# The programs made of each face (a font file changed in place is a new face: a new memo).
_MADE: weakref.WeakKeyDictionary[Any, OrderedDict[bytes, FontProgram]] = weakref.WeakKeyDictionary()


def font_program(face: Any, glyphs: Iterable[int]) -> FontProgram:
    """The subset of reportlab's face that draws these glyph ids (with .notdef and the
    components of composite glyphs), compressed; made once for the same glyphs."""
    wanted = sorted({0, *(glyph for glyph in glyphs if 0 <= glyph < face.numGlyphs)})
    key = array("H", wanted).tobytes()
    made = _MADE.setdefault(face, OrderedDict())
    found = made.get(key)
    if found is not None:
        made.move_to_end(key)
        return found
    check = getattr(face._ttf_data, "check", None)
    if check is not None:  # a file read on demand: still the one parsed?
        check()
    where = programstore.entry(face, key)
    stored = programstore.load(where) if where is not None else None
    if stored is not None:
        found = FontProgram(*stored)
    else:
        found = _make(face, wanted)
        if where is not None:
            programstore.save(where, (found.tag, found.length, found.deflated))
    made[key] = found
    while len(made) > PROGRAMS_KEPT:
        made.popitem(last=False)
    return found


def _make(face: Any, wanted: list[int]) -> FontProgram:
    """The program of these glyphs, compressed, and its tag."""
    outlines = _outlines(face, wanted)
    pieces = subset_program(face, outlines)
    digest = hashlib.sha1(bytes(face.name) + array("H", sorted(outlines)).tobytes()).digest()
    number = int.from_bytes(digest[:8], "big")
    tag = "".join(chr(65 + (number // 26**place) % 26) for place in range(6))
    return FontProgram(tag, sum(map(len, pieces)), deflated(pieces))


PIECES_KEPT = 8 * 2**20  # bound on the bytes of program pieces whose zlib form is kept
_PIECES: OrderedDict[bytes, bytes] = OrderedDict()
_PIECES_SIZE = [0]


def deflated(pieces: list[bytes]) -> bytes:
    """The zlib stream of the pieces joined, each piece compressed on its own (a full flush
    after each: its compressed bytes depend on it alone), so a piece seen before is not
    compressed again: a program that gained a glyph compresses a tenth of itself again."""
    out = [b"\x78\x9c"]  # the zlib header of zlib.compress's default level
    check = zlib.adler32(b"")
    for piece in pieces:
        check = zlib.adler32(piece, check)
        found = _PIECES.get(piece)
        if found is None:
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            found = compressor.compress(piece) + compressor.flush(zlib.Z_FULL_FLUSH)
            _PIECES[piece] = found
            _PIECES_SIZE[0] += len(piece)
            while _PIECES_SIZE[0] > PIECES_KEPT:
                _PIECES_SIZE[0] -= len(_PIECES.popitem(last=False)[0])
        else:
            _PIECES.move_to_end(piece)
        out.append(found)
    out.append(b"\x03\x00")  # the last block: empty
    out.append(check.to_bytes(4, "big"))
    return b"".join(out)


def _outlines(face: Any, wanted: list[int]) -> dict[int, bytes]:
    """Each glyph's glyf data, with the glyphs composite glyphs are made of."""
    data, positions, count = face._ttf_data, face.glyphPos, face.numGlyphs
    start = face.table["glyf"]["offset"]
    found: dict[int, bytes] = {}
    todo = list(wanted)
    while todo:
        glyph = todo.pop()
        if glyph in found:
            continue
        low, high = positions[glyph], positions[glyph + 1]
        outline = bytes(data[start + low : start + high]) if high > low else b""
        found[glyph] = outline
        if len(outline) > 10 and outline[0] & 0x80:  # numberOfContours < 0: composite
            todo += (part for part in _components(outline) if part < count)
    return found


def _components(outline: bytes) -> Iterator[int]:
    """The glyph ids a composite glyph refers to (TrueType glyf, composite description)."""
    at = 10
    try:
        while True:
            flags, glyph = struct.unpack_from(">HH", outline, at)
            yield glyph
            at += 8 if flags & 0x0001 else 6  # ARG_1_AND_2_ARE_WORDS
            at += 2 if flags & 0x0008 else 4 if flags & 0x0040 else 8 if flags & 0x0080 else 0
            if not flags & 0x0020:  # MORE_COMPONENTS
                return
    except struct.error:  # a truncated glyph: the parts read so far
        return


PIECE_GLYPHS = 128


def _cut_after(glyph: int) -> bool:
    """Whether a piece of the glyf table ends after this glyph: one glyph in PIECE_GLYPHS on
    average, by its id alone (a multiplicative hash), so a glyph gained or lost changes the
    piece it falls in and no other."""
    return (glyph * 2654435761) & 0xFFFFFFFF < 0x100000000 // PIECE_GLYPHS


class _FaceParts:
    """What a face's programs are made of that is the same for all of them, read once: the
    tables copied or changed, glyf's place, and each glyph's padded outline's checksum."""

    def __init__(self, face: Any) -> None:
        self.tables = {tag: _table(face, tag) for tag in (b"head", b"hhea", b"maxp")}
        self.copied = {
            tag: (body, _checksum(body))
            for tag in _COPIED
            if tag.decode("latin-1") in face.table
            for body in [_table(face, tag)]
        }
        self.glyph_sums: dict[int, int] = {}  # glyph id: its padded outline's checksum


_PARTS: weakref.WeakKeyDictionary[Any, _FaceParts] = weakref.WeakKeyDictionary()


def _parts(face: Any) -> _FaceParts:
    found = _PARTS.get(face)
    if found is None:
        found = _PARTS[face] = _FaceParts(face)
    return found


def subset_program(face: Any, outlines: dict[int, bytes]) -> list[bytes]:
    """The TrueType program holding these outlines at their glyph ids, the others empty, as
    pieces that joined are the file: the directory and the tables before glyf, glyf in pieces
    (see _cut_after), the tables after it."""
    parts = _parts(face)
    count = max(outlines) + 1
    used = sorted(outlines)
    padded = [outlines[glyph] + b"\0" * (-len(outlines[glyph]) % 4) for glyph in used]
    chunks: list[bytes] = []
    start = 0
    for at, glyph in enumerate(used):
        if _cut_after(glyph) or at + 1 == len(used):
            chunks.append(b"".join(padded[start : at + 1]))
            start = at + 1
    sums = parts.glyph_sums
    glyf_sum = 0
    for glyph, outline in zip(used, padded, strict=True):
        found = sums.get(glyph)
        if found is None:
            found = sums[glyph] = _checksum(outline)
        glyf_sum += found
    short, loca, loca_sum = _loca(used, list(map(len, padded)), count)
    metrics = bytearray(4 * count)
    metrics_sum = 0
    for glyph in used:
        advance, bearing = face.hmetrics[glyph]
        advance, bearing = int(advance), int(bearing) & 0xFFFF
        struct.pack_into(">HH", metrics, 4 * glyph, advance, bearing)
        metrics_sum += advance << 16 | bearing
    head = bytearray(parts.tables[b"head"])
    head[8:12] = bytes(4)  # checkSumAdjustment, set below
    head[50:52] = (0 if short else 1).to_bytes(2, "big")  # indexToLocFormat
    hhea = bytearray(parts.tables[b"hhea"])
    hhea[34:36] = count.to_bytes(2, "big")  # numberOfHMetrics
    maxp = bytearray(parts.tables[b"maxp"])
    maxp[4:6] = count.to_bytes(2, "big")  # numGlyphs
    tables = {
        b"glyf": (b"".join(chunks), glyf_sum & 0xFFFFFFFF),
        b"loca": (loca, loca_sum),
        b"hmtx": (bytes(metrics), metrics_sum & 0xFFFFFFFF),
        **{tag: (bytes(body), _checksum(body)) for tag, body in
           ((b"head", head), (b"hhea", hhea), (b"maxp", maxp))},
        **parts.copied,
    }  # fmt: skip
    return _sfnt(tables, chunks)


def _loca(used: list[int], sizes: list[int], count: int) -> tuple[bool, bytes, int]:
    """Whether loca is short, its bytes and its checksum, made from the held glyphs (sorted,
    with their padded sizes) alone: the entry of glyph i is the size of the held glyphs before
    it, a run of one value from each held glyph to the next."""
    short = sum(sizes) < 0x20000  # offsets / 2 fit in 16 bits
    width, shift = (2, 1) if short else (4, 0)
    runs = [(0, used[0] + 1)]  # (value, entries): glyphs 0 to the first held one
    offset = 0
    for at, glyph in enumerate(used):
        offset += sizes[at]
        following = used[at + 1] if at + 1 < len(used) else count
        runs.append((offset >> shift, following - glyph))
    pieces, total, first = [], 0, 0
    for value, entries in runs:
        pieces.append(value.to_bytes(width, "big") * entries)
        if short:  # an even entry is a word's high half, an odd one its low half
            evens = (first + entries + 1) // 2 - (first + 1) // 2
            total += value * (evens << 16) + value * (entries - evens)
        else:
            total += value * entries
        first += entries
    return short, b"".join(pieces), total & 0xFFFFFFFF


def _table(face: Any, tag: bytes) -> bytes:
    record = face.table[tag.decode("latin-1")]
    return bytes(face._ttf_data[record["offset"] : record["offset"] + record["length"]])


def _checksum(data: bytes | bytearray) -> int:
    words = array("I" if array("I").itemsize == 4 else "L")
    words.frombytes(data + b"\0" * (-len(data) % 4))
    if not _BIG_ENDIAN:
        words.byteswap()
    return sum(words) & 0xFFFFFFFF


def _sfnt(tables: dict[bytes, tuple[bytes, int]], glyf: list[bytes]) -> list[bytes]:
    """The font file of these tables, each with its checksum (directory sorted by tag, head's
    adjustment) in pieces: what comes before glyf, glyf's pieces, what comes after."""
    tags = sorted(tables)
    power = 1 << (len(tags).bit_length() - 1)
    header = struct.pack(
        ">IHHHH",
        0x00010000,
        len(tags),
        16 * power,
        power.bit_length() - 1,
        16 * (len(tags) - power),
    )
    offset = 12 + 16 * len(tags)
    records, bodies, sums = [], [], []
    for tag in tags:
        body, checksum = tables[tag]
        sums.append(checksum)
        records.append(struct.pack(">4sIII", tag, sums[-1], offset, len(body)))
        bodies.append(body + b"\0" * (-len(body) % 4))
        offset += len(bodies[-1])
    directory = header + b"".join(records)
    # The file's checksum is its directory's and its tables' (each starts on a 4-byte boundary).
    adjustment = (0xB1B0AFBA - _checksum(directory) - sum(sums)) & 0xFFFFFFFF
    at = tags.index(b"head")
    head = bodies[at]
    bodies[at] = head[:8] + adjustment.to_bytes(4, "big") + head[12:]
    middle = tags.index(b"glyf")  # its pieces are whole glyphs padded to 4 bytes: no padding
    before = directory + b"".join(bodies[:middle])
    return [before, *glyf, b"".join(bodies[middle + 1 :])]


COMPRESSED_MIN = 16 * 2**10  # pictures; smaller streams are pages and ToUnicode maps
COMPRESSED_KEPT = 4 * 2**20  # bound on the large-stream bytes kept
SMALL_KEPT = 4 * 2**20  # bound on the page-stream bytes kept (a 186-page issue's are 1.2 MB)


class _Kept:
    """Compressed streams by their content, the least recently used first, and their size."""

    def __init__(self) -> None:
        self.streams: OrderedDict[bytes, bytes] = OrderedDict()
        self.size = 0


@functools.cache
def remember_compression() -> None:
    """Compress a PDF stream's content once per process, however many PDFs it goes into.

    The pages an edit did not change are the same streams on every rebuild (their text is
    coded by glyph id), and so are their ToUnicode maps; zlib gives the same bytes for the
    same content, so their compressed form is kept, the least recently used dropped beyond a
    bound for each kind (large and small streams), so a watcher's memory stays flat.
    """
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
