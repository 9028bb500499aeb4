"""A face's character map, widths and glyph metrics as compact arrays, read as reportlab's dicts.

reportlab keeps `charToGlyph` and `charWidths` as dicts of every character of a face (~31,000
for a CJK face): rebuilding them from a cache costs more than the rest of a face together. Here
they are arrays (a glyph per BMP code, sorted codes and glyphs beyond the BMP, a width per
glyph) stored as bytes, and reportlab is given two dicts that start empty and take a character
from the arrays when it is first looked up: only the few hundred characters a document uses are
ever in them. A lookup through Python (`in`, `[]`, `get`) fills both dicts at once, so the
C width function of rl_accel, which reads the dict directly, finds every character reportlab
itself has checked before measuring it (textOut splits a string, checking each character, before
it measures the string); the space and no-break space, which reportlab assigns without a
lookup, are filled at once.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator
from typing import Any, TypeAlias

ABSENT = 0xFFFFFFFF  # no glyph for the code (a glyph id is at most 0xFFFF in a TrueType face)
BMP = 0x10000
_ALWAYS = (0x20, 0xA0)  # reportlab reserves code 32 of every subset for the space, unchecked

Number = int | float
Numbers: TypeAlias = "array[Any] | memoryview"  # a view when rebuilt from the cache


class FaceMaps:
    """The arrays of one face; `bmp[code]` is the glyph of a BMP code or ABSENT."""

    def __init__(
        self,
        bmp: Numbers,
        codes: Numbers,
        glyphs: Numbers,
        widths: Numbers,
    ) -> None:
        self.bmp, self.codes, self.glyphs = bmp, codes, glyphs
        self.widths = widths  # reportlab's width of each glyph: int when unitsPerEm is 1000
        self.by_code = GlyphsByCode(self)
        self.width_by_code = WidthsByCode(self)
        for code in _ALWAYS:
            self.fill(code)

    def glyph(self, code: int) -> int | None:
        """The glyph of a code, None when the face has none."""
        if 0 <= code < BMP:
            found = self.bmp[code]
            return None if found == ABSENT else found
        at = bisect.bisect_left(self.codes, code)
        if at < len(self.codes) and self.codes[at] == code:
            return self.glyphs[at]
        return None

    def fill(self, code: int) -> bool:
        """Put the code's glyph and width into the dicts; False when the face lacks the code."""
        glyph = self.glyph(code) if isinstance(code, int) else None
        if glyph is None:
            return False
        dict.__setitem__(self.by_code, code, glyph)
        if glyph < len(self.widths):  # reportlab gives no width to a glyph beyond numGlyphs
            dict.__setitem__(self.width_by_code, code, self.widths[glyph])
        return True

    def codes_in_order(self) -> Iterator[int]:
        """Every code of the face, ascending."""
        yield from (code for code, glyph in enumerate(self.bmp) if glyph != ABSENT)
        yield from self.codes

    def glyph_to_char(self) -> dict[int, list[int]]:
        """reportlab's glyphToChar (only its shaping reads it): the codes of each glyph."""
        found: dict[int, list[int]] = {}
        for code in self.codes_in_order():
            glyph = self.glyph(code)
            if glyph is not None:
                found.setdefault(glyph, []).append(code)
        return found

    def blobs(self) -> dict[str, tuple[str, bytes]]:
        """The arrays as (typecode, bytes) for the cache."""
        named = {"bmp": self.bmp, "codes": self.codes, "glyphs": self.glyphs, "widths": self.widths}
        return {name: (typecode(values), values.tobytes()) for name, values in named.items()}

    @classmethod
    def from_blobs(cls, blobs: dict[str, tuple[str, bytes]]) -> FaceMaps:
        """The maps again from `blobs()` (ValueError, KeyError or TypeError if damaged)."""
        parts = {name: from_bytes(*blobs[name]) for name in ("bmp", "codes", "glyphs", "widths")}
        if len(parts["bmp"]) != BMP or len(parts["codes"]) != len(parts["glyphs"]):
            raise ValueError("damaged character map")
        return cls(parts["bmp"], parts["codes"], parts["glyphs"], parts["widths"])


class GlyphsByCode(dict[int, int]):
    """reportlab's charToGlyph: filled from the arrays as codes are looked up."""

    def __init__(self, maps: FaceMaps) -> None:
        super().__init__()
        self._maps = maps

    def __contains__(self, code: object) -> bool:
        return dict.__contains__(self, code) or self._maps.fill(code)  # type: ignore[arg-type]

    def __missing__(self, code: int) -> int:
        if self._maps.fill(code):
            return dict.__getitem__(self, code)
        raise KeyError(code)

    def get(self, code: int, default: Any = None) -> Any:
        """The glyph of a code, or `default`."""
        return dict.__getitem__(self, code) if code in self else default


class WidthsByCode(dict[int, Number]):
    """reportlab's charWidths (1/1000 em per code): filled from the arrays as codes are used."""

    def __init__(self, maps: FaceMaps) -> None:
        super().__init__()
        self._maps = maps

    def __contains__(self, code: object) -> bool:
        if dict.__contains__(self, code):
            return True
        return self._maps.fill(code) and dict.__contains__(self, code)  # type: ignore[arg-type]

    def __missing__(self, code: int) -> Number:
        if code in self:
            return dict.__getitem__(self, code)
        raise KeyError(code)

    def get(self, code: int, default: Any = None) -> Any:
        """The width of a code, or `default`."""
        return dict.__getitem__(self, code) if code in self else default


def from_bytes(typecode: str, raw: bytes) -> memoryview:
    """The bytes read as numbers of an array typecode, without copying them (a face's arrays
    are ~1 MB); TypeError or ValueError when they do not fit."""
    values: memoryview = memoryview(raw).cast(typecode)  # type: ignore[call-overload]
    return values


def typecode(values: Numbers) -> str:
    """The array typecode of numbers (a view's format is the typecode it was cast to)."""
    return values.typecode if isinstance(values, array) else values.format


def from_reportlab(face: Any) -> FaceMaps | None:
    """The maps of a face reportlab parsed, or None when arrays cannot say the same thing.

    Checked entry by entry: a width that is not the width of the character's glyph (a cmap whose
    ranges overlap can give one) keeps the face out of the cache.
    """
    chars: dict[int, int] = face.charToGlyph
    widths_of: dict[int, Number] = face.charWidths
    glyph_count = len(face.hmetrics)
    widths: list[Number | None] = [None] * glyph_count
    for code, glyph in chars.items():
        if not (code >= 0 and 0 <= glyph < ABSENT):
            return None
        if glyph < glyph_count and code in widths_of:
            widths[glyph] = widths_of[code]
    filled = [face.defaultWidth if width is None else width for width in widths]
    typecode = "d" if any(type(width) is float for width in filled) else "q"
    astral = sorted(code for code in chars if code >= BMP)
    bmp = array("I", [ABSENT]) * BMP
    for code, glyph in chars.items():
        if code < BMP:
            bmp[code] = glyph
    glyphs = array("I", [chars[code] for code in astral])
    maps = FaceMaps(bmp, array("I", astral), glyphs, array(typecode, filled))
    with_width = 0
    for code, glyph in chars.items():  # the same answers, code by code
        want = widths_of.get(code)
        have = maps.widths[glyph] if glyph < glyph_count else None
        if want != have or type(want) is not type(have):
            return None
        with_width += have is not None
    return maps if with_width == len(widths_of) else None


class Metrics:
    """A face's hmetrics: (advance, left side bearing) of each glyph, kept as two arrays."""

    __slots__ = ("advances", "bearings")

    def __init__(self, advances: Numbers, bearings: Numbers) -> None:
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
