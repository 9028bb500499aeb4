"""TrueType subsets for OFD: the glyphs of the characters used, with a Unicode cmap (fontTools).

Cutting a subset from a 7–15 MB CJK face takes about a second, so each subset is kept in the
cache folder under a digest of the face file (path, size, mtime), the face number and the
characters; a rebuild of an unchanged issue reads it back.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from pathlib import Path

from pipeline.files import cache_dir, write_atomically
from pipeline.fonts.chains import LoadedFont

CACHE_FOLDER = "ofd-fonts"
# Shaping tables: not needed, every glyph is placed one by one.
LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "DSIG")


def subset_font(font: LoadedFont, codepoints: set[int]) -> bytes:
    """A TrueType subset of the face with the characters' glyphs and a Unicode cmap."""
    cached = _cache_path(font.face.path, font.face.index, codepoints)
    try:
        return cached.read_bytes()
    except OSError:
        pass
    data = cut_subset(font.face.path, font.face.index, codepoints)
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        write_atomically(cached, data)
    return data


def cut_subset(path: Path, index: int, codepoints: set[int]) -> bytes:
    """Cut the subset with fontTools' subsetter, without the layout tables."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    # recalcBBoxes off: the glyphs are copied as they are (recomputing them quadruples the time).
    with TTFont(str(path), fontNumber=index, lazy=True, recalcBBoxes=False) as face:
        # Plain glyph names: fontTools would otherwise derive 65 000 names from the cmap (~1 s).
        face.setGlyphOrder([f"glyph{gid:05d}" for gid in range(face["maxp"].numGlyphs)])
        for tag in LAYOUT_TABLES:  # removed unread: the subsetter would parse them first
            if tag in face:
                del face[tag]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(codepoints))
        subsetter.subset(face)
        face.recalcTimestamp = False  # the head table keeps the face's own dates: reproducible
        out = io.BytesIO()
        face.save(out)
    return out.getvalue()


def _cache_path(path: Path, index: int, codepoints: set[int]) -> Path:
    from fontTools import version

    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{index}|{version}|"
    key += ",".join(map(str, sorted(codepoints)))
    return cache_dir() / CACHE_FOLDER / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.ttf"
