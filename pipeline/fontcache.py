"""A disk cache of what reportlab's TrueType parser extracts from a font, checked against the file.

reportlab parses the whole font each time a TTFont is made (~40–100 ms for a 14 MB CJK face).
This module keeps the result of that parse (names, metrics, table directory, cmap, widths,
horizontal metrics, glyph offsets: everything except the raw file bytes) in a marshal file, one
per font file and face index. A hit reads the font file's bytes (reportlab needs them to subset
at save time), checks them against the size and CRC-32 stored with the entry, and rebuilds the
TTFont without parsing. A missing, stale, corrupt or unreadable entry is parsed anew and
rewritten; the cache never makes a build fail.

Location: $BULLETIN_CACHE_DIR, else $XDG_CACHE_HOME/bulletin, else ~/.cache/bulletin.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import marshal
import os
import tempfile
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

FORMAT = 1
_MAGIC = b"bulletin-fontcache\n"
# Large attributes stored as parallel lists (much faster to load than pickled dicts or tuples).
_DICTS = ("charToGlyph", "charWidths", "glyphToChar")
_LIST_OF_PAIRS = "hmetrics"
_LAZY = ("glyphToChar",)
_SKIPPED = ("_ttf_data", "_pdfScale", "table", "_lazy_marshal", "get_table", "makeSubset")
SUBSETS_KEPT = 64  # per face: a document's subsets of a 14 MB face are ~20–150 KB each


def cache_dir() -> Path:
    """bulletin's cache folder: $BULLETIN_CACHE_DIR, $XDG_CACHE_HOME/bulletin or ~/.cache/..."""
    override = os.environ.get("BULLETIN_CACHE_DIR")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "bulletin"


def _entry_path(path: Path, index: int) -> Path:
    """Where the entry of one face of one font file lives (one entry per file and face)."""
    import reportlab

    folder = cache_dir() / "fonts" / f"f{FORMAT}-rl{reportlab.Version}"
    key = hashlib.sha1(f"{path.resolve()}#{index}".encode()).hexdigest()[:20]
    return folder / f"{key}.marshal"


def fingerprint(data: bytes) -> tuple[int, int]:
    """What identifies a font file's content: its size and CRC-32 (~3 ms for 14 MB)."""
    return len(data), zlib.crc32(data)


def load_ttfont(font_class: type[Any], name: str, path: Path, index: int = 0) -> Any:
    """A `font_class` (reportlab's TTFont or a subclass) for a face, from the cache when it can.

    Raises what reportlab's TTFont raises for a file it cannot use (TTFError, OSError, ...).
    """
    entry = _entry_path(path, index)
    # A face is ~150,000 new objects and no cycles: without this the collector walks the heap
    # again and again while they are made (measured: ~25 % of the time of a cache hit).
    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            data = path.read_bytes()
        except OSError:
            data = None
        font = None
        if data is not None:
            cached = _read_entry(entry, str(path), index, fingerprint(data))
            if cached is not None:
                font = _rebuild(font_class, name, cached, data)
        if font is None:
            font = font_class(name, str(path), subfontIndex=index)
            _write_entry(entry, font.face, index)
    finally:
        if collecting:
            gc.enable()
    _speed_up_subsetting(font.face)
    return font


def _read_entry(
    entry: Path, filename: str, index: int, print_: tuple[int, int]
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
    except (ValueError, EOFError, TypeError):
        return None
    if header != (FORMAT, filename, index, *print_) or not isinstance(attrs, dict) or not lazy:
        return None
    return attrs, lazy


def _write_entry(entry: Path, face: Any, index: int) -> None:
    """Store what a parse extracted; any failure (read-only disk, odd attribute) is ignored."""
    try:
        attrs, lazy = _flatten(face)
        header = (FORMAT, face.filename, index, *fingerprint(face._ttf_data))
        main = marshal.dumps((header, attrs))
        payload = _MAGIC + len(main).to_bytes(4, "big") + main + marshal.dumps(lazy)
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=entry.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(payload)
            os.replace(temporary, entry)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except (OSError, ValueError, TypeError, AttributeError):
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
        elif attr == _LIST_OF_PAIRS:
            plain[attr] = ([aw for aw, _ in value], [lsb for _, lsb in value])
        else:
            plain[attr] = value
    marshal.dumps((plain, lazy))  # raises ValueError for anything marshal cannot store
    return {"names": names, "plain": plain}, lazy


def _unflatten(attr: str, value: Any) -> Any:
    """A stored attribute back in the form reportlab made it."""
    if attr in _DICTS:
        keys, values = value
        return dict(zip(keys, values, strict=True))
    if attr == _LIST_OF_PAIRS:
        return list(zip(*value, strict=True))
    return value


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
    font_class: type[Any], name: str, cached: tuple[dict[str, Any], bytes], data: bytes
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


class _GlyphTable:
    """The glyf table of a font, sliced without first copying the whole table (~12 MB)."""

    def __init__(self, data: bytes, offset: int, length: int) -> None:
        self._view = memoryview(data)[offset : offset + length]

    def __getitem__(self, where: slice) -> bytes:
        return self._view[where].tobytes()


def _speed_up_subsetting(face: Any) -> None:
    """Make the face's makeSubset cheaper; its output stays byte for byte the same.

    reportlab's makeSubset copies the whole glyf table for every 256-glyph subset, only to slice
    glyphs out of it; the copy is replaced by slicing a view. Subsets are also remembered per
    face, so a rebuild that needs the same subset again does not make it again.
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
            found = made[key] = original_make_subset(subset)
            while len(made) > SUBSETS_KEPT:
                made.popitem(last=False)
        else:
            made.move_to_end(key)
        return found

    face.get_table = get_table
    face.makeSubset = make_subset
