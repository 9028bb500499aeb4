"""A disk cache of what reportlab's TrueType parser extracts from a font, checked against the file.

reportlab parses the whole font each time a TTFont is made (~40–100 ms for a 14 MB CJK face).
This module keeps the result of that parse (names, metrics, table directory, cmap, widths,
horizontal metrics, glyph offsets: everything except the raw file bytes) in a marshal file, one
per font file and face index. An entry is used while the file's size, mtime and inode are those
stored with it and a digest of its table directory and head table (which hold the checksums of
every table and of the whole file) still matches; then the TTFont is rebuilt without parsing,
and the file's bytes are read only as subsetting needs them (FontFile). A missing, stale,
corrupt or unreadable entry is parsed anew and rewritten; the cache never makes a build fail.

Location: $BULLETIN_CACHE_DIR, else $XDG_CACHE_HOME/bulletin, else ~/.cache/bulletin.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import marshal
import os
import weakref
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pipeline.files import cache_dir, write_atomically
from pipeline.fonts.subsets import remember_compression, speed_up_subsetting

FORMAT = 2
_MAGIC = b"bulletin-fontcache\n"
# Large attributes stored as parallel lists (much faster to load than pickled dicts or tuples).
_DICTS = ("charToGlyph", "charWidths", "glyphToChar")
# Read only when subsetting, and then only at the glyphs used: kept as arrays, not lists.
_ARRAYS = {"hmetrics": "H", "glyphPos": "I" if array("I").itemsize == 4 else "L"}
_LAZY = ("glyphToChar",)
_SKIPPED = ("_ttf_data", "_pdfScale", "table", "_lazy_marshal", "get_table", "makeSubset")


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


def content_check(read: Callable[[int, int], bytes], head: tuple[int, int]) -> bytes:
    """A digest of the font's first 64 KiB and its head table (~0.1 ms).

    The first 64 KiB hold the sfnt (or TTC) header and the table directory with every table's
    checksum; the head table holds checkSumAdjustment, the checksum of the whole file. Font
    tools rewrite all of these when they change a font, so together with the size, mtime and
    inode this finds a changed font without reading (~5-10 ms) and hashing (~4 ms) 14 MB.
    """
    return hashlib.sha1(read(0, 65536) + read(*head)).digest()


def load_ttfont(font_class: type[Any], name: str, path: Path, index: int = 0) -> Any:
    """A `font_class` (reportlab's TTFont or a subclass) for a face, from the cache when it can.

    Raises what reportlab's TTFont raises for a file it cannot use (TTFError, OSError, ...).
    """
    path = path.resolve()  # the entry is named and checked by the real file, however reached
    entry = _entry_path(path, index)
    # A face is ~150,000 new objects and no cycles: without this the collector walks the heap
    # again and again while they are made (measured: ~25 % of the time of a cache hit).
    collecting = gc.isenabled()
    gc.disable()
    try:
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
            font = font_class(name, str(path), subfontIndex=index)
            if data is not None and key is not None and file_key(path) == key:
                _write_entry(entry, font.face, index, key)
                font.face._ttf_data = data  # the same bytes, read only when subsetting
    finally:
        if collecting:
            gc.enable()
    speed_up_subsetting(font.face, FontFile)
    remember_compression()
    return font


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
) -> tuple[dict[str, Any], bytes] | None:
    """The cached attributes (and the lazy part, still marshalled) if the entry matches the file."""
    try:
        raw = entry.read_bytes()
    except OSError:
        return None
    if not raw.startswith(_MAGIC):
        return None
    try:
        at = len(_MAGIC)
        length = int.from_bytes(raw[at : at + 4], "big")
        header, attrs = marshal.loads(raw[at + 4 : at + 4 + length])
        lazy = raw[at + 4 + length :]
        stored_format, stored_name, stored_index, stored_key, head, check = header
    except (ValueError, EOFError, TypeError):
        return None
    if (stored_format, stored_name, stored_index, stored_key) != (FORMAT, filename, index, key):
        return None
    if not isinstance(attrs, dict) or not lazy:
        return None
    try:
        if content_check(data.read, head) != check:
            return None
    except OSError:
        return None
    return attrs, lazy


def _write_entry(entry: Path, face: Any, index: int, key: tuple[int, int, int]) -> None:
    """Store what a parse extracted; any failure (read-only disk, odd attribute) is ignored."""
    try:
        attrs, lazy = _flatten(face)
        data = face._ttf_data
        head = face.get_table_pos("head")
        check = content_check(lambda at, size: data[at : at + size], head)
        header = (FORMAT, face.filename, index, key, head, check)
        main = marshal.dumps((header, attrs))
        payload = _MAGIC + len(main).to_bytes(4, "big") + main + marshal.dumps(lazy)
        write_atomically(entry, payload)
    except (OSError, ValueError, TypeError, AttributeError, KeyError, OverflowError):
        return


def _flatten(face: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The face's attributes as marshal-able plain data (ValueError if one is not)."""
    from reportlab.pdfbase.ttfonts import TTFNameBytes

    names: dict[str, tuple[bytes, str]] = {}
    plain: dict[str, Any] = {}
    lazy: dict[str, Any] = {}
    keys: dict[tuple[int, ...], list[int]] = {}
    for attr, value in vars(face).items():
        if attr in _SKIPPED:
            continue
        if isinstance(value, TTFNameBytes):
            names[attr] = (bytes(value), value.ustr)
        elif attr in _DICTS:
            # one shared key list when the dicts have the same keys (marshal then stores it once)
            key_list = keys.setdefault(tuple(value), list(value))
            (lazy if attr in _LAZY else plain)[attr] = (key_list, list(value.values()))
        elif attr == "hmetrics":
            code = _ARRAYS[attr]
            advances, bearings = (
                array(code, [a for a, _ in value]),
                array(code, [b for _, b in value]),
            )
            plain[attr] = (advances.tobytes(), bearings.tobytes())
        elif attr == "glyphPos":
            plain[attr] = array(_ARRAYS[attr], value).tobytes()
        else:
            plain[attr] = value
    marshal.dumps((plain, lazy))  # raises ValueError for anything marshal cannot store
    return {"names": names, "plain": plain}, lazy


def _unflatten(attr: str, value: Any) -> Any:
    """A stored attribute back in the form reportlab made it."""
    if attr in _DICTS:
        keys, values = value
        return dict(zip(keys, values, strict=True))
    if attr == "hmetrics":
        return Metrics(*(_array(_ARRAYS[attr], raw) for raw in value))
    if attr == "glyphPos":
        return _array(_ARRAYS[attr], value)
    return value


def _array(code: str, raw: bytes) -> array[int]:
    values = array(code)
    values.frombytes(raw)
    return values


class Metrics:
    """A face's hmetrics: (advance, left side bearing) of each glyph, kept as two arrays."""

    __slots__ = ("advances", "bearings")

    def __init__(self, advances: array[int], bearings: array[int]) -> None:
        self.advances, self.bearings = advances, bearings

    def __getitem__(self, glyph: int) -> tuple[int, int]:
        return self.advances[glyph], self.bearings[glyph]

    def __len__(self) -> int:
        return len(self.advances)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.advances, self.bearings, strict=True)

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Metrics | list) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


@functools.cache
def _cached_face_class() -> type[Any]:
    """TTFontFace whose rarely used attributes (glyphToChar) are unmarshalled on first use."""
    from reportlab.pdfbase.ttfonts import TTFontFace

    class CachedTTFontFace(TTFontFace):  # type: ignore[misc]
        """A face rebuilt from the cache; reportlab never reads glyphToChar after parsing."""

        def __getattr__(self, attr: str) -> Any:
            lazy = self.__dict__.get("_lazy_marshal")
            if attr not in _LAZY or lazy is None:
                raise AttributeError(attr)
            for name, value in marshal.loads(lazy).items():
                self.__dict__[name] = _unflatten(name, value)
            del self.__dict__["_lazy_marshal"]
            return self.__dict__[attr]

    return CachedTTFontFace


def _rebuild(
    font_class: type[Any], name: str, cached: tuple[dict[str, Any], bytes], data: FontFile
) -> Any:
    """The font that font_class(name, path, subfontIndex=index) would give; None if odd."""
    from fnmatch import fnmatch
    from weakref import WeakKeyDictionary

    from reportlab import rl_config
    from reportlab.pdfbase.ttfonts import TTEncoding, TTFNameBytes

    stored, lazy = cached
    face_class = _cached_face_class()
    face = object.__new__(face_class)
    try:
        attrs = {attr: _unflatten(attr, value) for attr, value in stored["plain"].items()}
        for attr, (raw, text) in stored["names"].items():
            named = bytes.__new__(TTFNameBytes, raw)
            named.ustr = text
            attrs[attr] = named
        attrs["table"] = {record["tag"]: record for record in attrs["tables"]}
        attrs["_ttf_data"] = data
        attrs["_lazy_marshal"] = lazy
        units = attrs["unitsPerEm"]
        if units == 1000:
            attrs["_pdfScale"] = lambda x: x
        else:
            factor = 1000 / units
            attrs["_pdfScale"] = lambda x: x * factor
    except (KeyError, TypeError, ValueError):
        return None
    face.__dict__.update(attrs)
    # The rest of TTFont.__init__ (reportlab 5.1), which only parses the face and sets these.
    font = object.__new__(font_class)
    font.fontName = name
    font.face = face
    font.encoding = TTEncoding()
    font.state = WeakKeyDictionary()
    font._asciiReadable = rl_config.ttfAsciiReadable
    font.shapable = not any(fnmatch(name, glob) for glob in rl_config.unShapedFontGlob)
    return font
