"""A disk cache of what reportlab's TrueType parser extracts from a font, checked against the file.

reportlab parses the whole font each time a TTFont is made (~40–100 ms for a 14 MB CJK face).
This module keeps the result of that parse (names, metrics, table directory, and as compact
arrays the cmap, widths, horizontal metrics and glyph offsets, see facemaps.py: everything
except the raw file bytes) in a marshal file, one per font file and face index. A face not in
the cache is read by sfnt.py where it can (~10× faster than reportlab, the same values), else
by reportlab. An entry is used while the file's size, mtime and inode are those
stored with it and a digest of its table directory and head table (which hold the checksums of
every table and of the whole file) still matches; then the TTFont is rebuilt without parsing,
and the file's bytes are read only as subsetting needs them (FontFile); reading an entry is
one copy of its bytes, the arrays then views of them (~0.25 ms a face). A missing, stale,
corrupt or unreadable entry is parsed anew and rewritten; the cache never makes a build fail.

Location: $BULLETIN_CACHE_DIR, else $XDG_CACHE_HOME/bulletin, else ~/.cache/bulletin.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import mmap
import os
import weakref
from array import array
from pathlib import Path
from typing import Any

from pipeline.files import cache_dir, write_atomically
from pipeline.fonts.facemaps import FaceMaps, Metrics, from_bytes, from_reportlab, typecode
from pipeline.fonts.sfnt import content_check
from pipeline.fonts.subsets import remember_compression

FORMAT = 3
_MAGIC = b"bulletin-fontcache\n"
# Kept as arrays, or made again from them (reportlab's own parse state: not kept).
_SKIPPED = {"_ttf_data", "_pdfScale", "table", "_maps", "_pos"}
_SKIPPED |= {"charToGlyph", "charWidths", "glyphToChar", "hmetrics", "glyphPos"}


def _entry_path(path: Path, index: int) -> Path:
    """Where the entry of one face of one font file lives (one entry per file and face)."""
    import reportlab

    folder = cache_dir() / "fonts" / f"f{FORMAT}-rl{reportlab.Version}"
    key = hashlib.sha1(f"{path}#{index}".encode()).hexdigest()[:20]
    return folder / f"{key}.marshal"


def file_key(path: Path) -> tuple[int, int, int]:
    """What must not change for an entry to stay valid: size, mtime (ns) and inode."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def load_ttfont(font_class: type[Any], name: str, path: Path, index: int = 0) -> Any:
    """A `font_class` (reportlab's TTFont or a subclass) for a face, from the cache when it can.

    Raises what reportlab's TTFont raises for a file it cannot use (TTFError, OSError, ...).
    """
    path = path.resolve()  # the entry is named and checked by the real file, however reached
    entry = _entry_path(path, index)
    font = None
    try:
        key = file_key(path)
        data = FontFile(path, key)
    except OSError:
        key, data = None, None
    if data is not None and key is not None:
        cached = _read_entry(entry, str(path), index, key, data)
        if cached is not None:
            font = _rebuild(font_class, name, cached, data)
    if font is None:
        font = parse(font_class, name, path, index, data)
        if data is not None and key is not None and file_key(path) == key:
            _write_entry(entry, font.face, index, key)
    remember_compression()
    return font


def parse(font_class: type[Any], name: str, path: Path, index: int, data: FontFile | None) -> Any:
    """The font read from the file: by sfnt.py where it can, else by reportlab itself."""
    face = _read_face(path, index, data) if data is not None else None
    if face is None:
        font = font_class(name, str(path), subfontIndex=index)
        if data is not None:
            font.face._ttf_data = data  # the same bytes, read only when subsetting
        return font
    return _font_of(font_class, name, face)


def _read_face(path: Path, index: int, data: FontFile) -> Any:
    """reportlab's TTFontFace for the face, its character data read by sfnt.py; None if odd."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFontParser

    from pipeline.fonts.sfnt import char_info

    face = object.__new__(_cached_face_class())
    try:
        pdfmetrics.TypeFace.__init__(face, None)  # as TTFontFace.__init__ does
        face._ttf_data, face.filename = data, str(path)
        TTFontParser.__init__(face, str(path), validate=0, subfontIndex=index)
        face.extractInfo(0)  # names and metrics; the character data is read below
    except Exception:  # reportlab then parses the face itself and raises what it raises
        return None
    found = char_info(face)
    if found is None:
        return None
    maps, face.hmetrics, face.glyphPos, face.defaultWidth = found
    _use_maps(face, maps)
    return face


def _use_maps(face: Any, maps: FaceMaps) -> None:
    face._maps = maps
    face.charToGlyph, face.charWidths = maps.by_code, maps.width_by_code


class FontFile:
    """A font file's bytes, read on demand (reportlab slices them; subsetting reads glyphs).

    Holding the whole file costs ~5-10 ms to read and 10-20 MB per face; a document needs a
    few hundred KB of it. What was read is kept (up to a bound), so a rebuild reads nothing.
    Rewriting the file in place while it is in use is found at the next subset and reported.
    """

    KEEP_BYTES = 8 * 2**20

    def __init__(self, path: Path, key: tuple[int, int, int]) -> None:
        self.path = path
        self.key = key
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        weakref.finalize(self, os.close, self._fd)
        self._read: dict[tuple[int, int], bytes] = {}
        self._kept = 0

    def __len__(self) -> int:
        return self.key[0]

    def __getitem__(self, where: slice | int) -> Any:
        if isinstance(where, int):
            return self[where : where + 1][0] if where >= 0 else self[len(self) + where]
        start, stop, _ = where.indices(len(self))
        span = (start, max(start, stop))
        found = self._read.get(span)
        if found is None:
            found = self.read(start, span[1] - start)
            if self._kept < self.KEEP_BYTES:
                self._read[span] = found
                self._kept += len(found)
        return found

    def read(self, offset: int, length: int) -> bytes:
        """`length` bytes from `offset` (fewer at the end of the file)."""
        chunks = []
        while length > 0:
            chunk = os.pread(self._fd, length, offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
            length -= len(chunk)
        return b"".join(chunks)

    def check(self) -> None:
        """Raise BulletinError if the file was rewritten in place since it was parsed."""
        from pipeline.diagnostics import BulletinError
        from pipeline.i18n import _

        stat = os.fstat(self._fd)
        if (stat.st_size, stat.st_mtime_ns, stat.st_ino) != self.key:
            raise BulletinError.single(
                _("the font file changed while it was in use"),
                file=self.path,
                hint=_("build again; replace font files by renaming a new file into place"),
            )


def _read_entry(
    entry: Path, filename: str, index: int, key: tuple[int, int, int], data: FontFile
) -> dict[str, Any] | None:
    """The cached attributes if the entry matches the file."""
    # Mapped, not read: marshal copies what it needs out of the file's pages (~2 ms less for the
    # ~3 MB of a build's five faces than reading them into memory and slicing that).
    try:
        with (
            open(entry, "rb") as stream,
            mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as mapped,
            memoryview(mapped) as raw,
        ):
            found = _unpack_entry(raw)
    except (OSError, ValueError, EOFError, TypeError):  # missing, empty, unreadable or damaged
        return None
    if found is None:
        return None
    (stored_format, stored_name, stored_index, stored_key, head, check), attrs = found
    if (stored_format, stored_name, stored_index, stored_key) != (FORMAT, filename, index, key):
        return None
    try:
        if content_check(data.read, head) != check:
            return None
    except OSError:
        return None
    return attrs


def _unpack_entry(raw: memoryview) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
    """An entry's header and attributes; None if it is not one whole entry."""
    at = len(_MAGIC)
    if raw[:at] != _MAGIC:
        return None
    length = int.from_bytes(raw[at : at + 4], "big")
    if len(raw) != at + 4 + length:
        return None
    with raw[at + 4 :] as main:
        header, attrs = marshal.loads(main)
    if not isinstance(attrs, dict) or not isinstance(header, tuple) or len(header) != 6:
        return None
    return header, attrs


def _write_entry(entry: Path, face: Any, index: int, key: tuple[int, int, int]) -> None:
    """Store what a parse extracted; any failure (read-only disk, odd attribute) is ignored."""
    try:
        attrs = _flatten(face)
        if attrs is None:
            return  # a face arrays cannot describe: reportlab parses it each time
        data = face._ttf_data
        head = face.get_table_pos("head")
        check = content_check(lambda at, size: data[at : at + size], head)
        header = (FORMAT, face.filename, index, key, head, check)
        main = marshal.dumps((header, attrs))
        write_atomically(entry, _MAGIC + len(main).to_bytes(4, "big") + main)
    except (OSError, ValueError, TypeError, AttributeError, KeyError, OverflowError):
        return


def _flatten(face: Any) -> dict[str, Any] | None:
    """The face's attributes as marshal-able plain data (ValueError if one is not)."""
    from reportlab.pdfbase.ttfonts import TTFNameBytes

    maps = getattr(face, "_maps", None) or from_reportlab(face)
    if maps is None:
        return None
    names: dict[str, tuple[bytes, str]] = {}
    plain: dict[str, Any] = {}
    for attr, value in vars(face).items():
        if attr in _SKIPPED:
            continue
        if isinstance(value, TTFNameBytes):
            names[attr] = (bytes(value), value.ustr)
        else:
            plain[attr] = value
    metrics = face.hmetrics
    if not isinstance(metrics, Metrics):
        metrics = Metrics(
            array("I", [int(a) for a, _ in metrics]), array("I", [b for _, b in metrics])
        )
    positions = array("I", face.glyphPos)
    arrays = {
        "advances": (typecode(metrics.advances), metrics.advances.tobytes()),
        "bearings": (typecode(metrics.bearings), metrics.bearings.tobytes()),
        "glyphPos": (positions.typecode, positions.tobytes()),
    }
    return {"names": names, "plain": plain, "maps": maps.blobs(), "arrays": arrays}


@functools.cache
def _cached_face_class() -> type[Any]:
    """TTFontFace whose glyphToChar (read only by reportlab's shaping) is made on first use."""
    from reportlab.pdfbase.ttfonts import TTFontFace

    class CachedTTFontFace(TTFontFace):  # type: ignore[misc]
        """A face rebuilt from the cache, or read by sfnt.py."""

        def __getattr__(self, attr: str) -> Any:
            maps = self.__dict__.get("_maps")
            if attr != "glyphToChar" or maps is None:
                raise AttributeError(attr)
            found = self.__dict__[attr] = maps.glyph_to_char()
            return found

    return CachedTTFontFace


def _rebuild(font_class: type[Any], name: str, stored: dict[str, Any], data: FontFile) -> Any:
    """The font that font_class(name, path, subfontIndex=index) would give; None if odd."""
    from reportlab.pdfbase.ttfonts import TTFNameBytes

    face = object.__new__(_cached_face_class())
    try:
        attrs = dict(stored["plain"])
        for attr, (raw, text) in stored["names"].items():
            named = bytes.__new__(TTFNameBytes, raw)
            named.ustr = text
            attrs[attr] = named
        attrs["table"] = {record["tag"]: record for record in attrs["tables"]}
        attrs["_ttf_data"] = data
        units = attrs["unitsPerEm"]
        if units == 1000:
            attrs["_pdfScale"] = lambda x: x
        else:
            factor = 1000 / units
            attrs["_pdfScale"] = lambda x: x * factor
        arrays = {name: from_bytes(*value) for name, value in stored["arrays"].items()}
        attrs["hmetrics"] = Metrics(arrays["advances"], arrays["bearings"])
        attrs["glyphPos"] = arrays["glyphPos"]
        maps = FaceMaps.from_blobs(stored["maps"])
    except (KeyError, TypeError, ValueError):
        return None
    face.__dict__.update(attrs)
    _use_maps(face, maps)
    return _font_of(font_class, name, face)


def _font_of(font_class: type[Any], name: str, face: Any) -> Any:
    """The rest of TTFont.__init__ (reportlab 5.1), which only parses the face and sets these."""
    from fnmatch import fnmatch
    from weakref import WeakKeyDictionary

    from reportlab import rl_config
    from reportlab.pdfbase.ttfonts import TTEncoding

    font = object.__new__(font_class)
    font.fontName = name
    font.face = face
    font.encoding = TTEncoding()
    font.state = WeakKeyDictionary()
    font._asciiReadable = rl_config.ttfAsciiReadable
    font.shapable = not any(fnmatch(name, glob) for glob in rl_config.unShapedFontGlob)
    return font
