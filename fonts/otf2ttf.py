"""Convert a CFF-outline OpenType font to TrueType outlines, once, for the bundled set.

reportlab embeds only TrueType (glyf) outlines. Usage: python fonts/otf2ttf.py IN.otf OUT.ttf
The method is fontTools' Snippets/otf2ttf.py: each glyph is drawn through Cu2QuPen (cubic to
quadratic curves, max error 1 font unit) into a TTGlyphPen; glyf/loca replace CFF.
"""

from __future__ import annotations

import sys

from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

MAX_ERROR_UNITS = 1.0


def convert(source: str, target: str) -> None:
    """Write `target`: the font at `source` with quadratic TrueType outlines."""
    font = TTFont(source, recalcTimestamp=False)  # same input, same bytes
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERROR_UNITS, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    # reportlab reads no layout or vertical table; CFF and VORG belong to the CFF outlines.
    for tag in ("CFF ", "VORG", "GPOS", "GSUB", "GDEF", "BASE", "vhea", "vmtx"):
        if tag in font:
            del font[tag]
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        glyph.recalcBounds(glyf)
        advance, _ = hmtx[name]
        hmtx[name] = (advance, getattr(glyph, "xMin", 0))
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr, value in (
        ("maxZones", 1),
        ("maxTwilightPoints", 0),
        ("maxStorage", 0),
        ("maxFunctionDefs", 0),
        ("maxInstructionDefs", 0),
        ("maxStackElements", 0),
        ("maxSizeOfInstructions", 0),
        ("maxComponentElements", 0),
    ):
        setattr(maxp, attr, value)
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"
    font.save(target)


if __name__ == "__main__":
    convert(sys.argv[1], sys.argv[2])
