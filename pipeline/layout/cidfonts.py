"""Each face drawn into a PDF as one composite font (Type0, Identity-H, CIDFontType2).

A character's code is its glyph id in the face (CIDToGIDMap /Identity, fonts/subsets.py keeps
the numbering), so a page's text is the same bytes in any document that draws the page, and
a rebuild can reuse an unchanged page's text objects and compressed stream. Each face's font
has a /W array of its glyphs, a ToUnicode map and a FontDescriptor naming the subset by a tag
made from its glyph set; nothing else PDF/A-2b asks of it (ISO 19005-2 needs no CIDSet).

Text is read back as drawn, character by character, as with reportlab's simple fonts (which
gave every character its own code; U+00A0 is the space): where two characters of a face share
a glyph (a Kangxi radical and its ideograph), the first one drawn in the document has the
glyph's code in the face's font, and each other one the same code in a further font of the
face (its resource name ends in .1, .2, ...) whose ToUnicode map names it.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import weakref
from array import array
from dataclasses import dataclass, field
from typing import Any

from pipeline.fonts.chains import LoadedFont
from pipeline.fonts.subsets import FontProgram, font_program

_BIG_ENDIAN = sys.byteorder == "big"
DEFAULT_WIDTH = 1000  # /DW: most glyphs of a Chinese face are one em wide, and need no /W entry


class FaceGlyphs:
    """A face's glyph id of each character drawn, whatever the document (kept with the face)."""

    def __init__(self, font: LoadedFont) -> None:
        from reportlab.pdfbase.pdfmetrics import getFont

        self.font = font
        self.face = getFont(font.name).face  # reportlab's: tables, metrics, the file's bytes
        self.ps_name = (bytes(self.face.name) + bytes(self.face.subfontNameX)).decode("latin-1")
        self.resource = "F" + hashlib.sha1(self.ps_name.encode()).hexdigest()[:6]
        self._glyph: dict[str, int] = {}
        self._first: dict[int, str] = {}  # the character each glyph was first seen to show
        self.shared: set[int] = set()  # glyphs seen to show more than one character

    def glyphs(self, text: str) -> list[int]:
        """The glyph id of each character (a character the face lacks: 0, .notdef)."""
        glyph = self._glyph
        try:
            return list(map(glyph.__getitem__, text))
        except KeyError:
            cmap = self.font.cmap
            for char in text:
                if char not in glyph:  # reportlab drew U+00A0 as the space
                    found = glyph[char] = cmap.get(0x20 if char == "\xa0" else ord(char), 0)
                    if self._first.setdefault(found, _shown(found, char)) != _shown(found, char):
                        self.shared.add(found)
            return list(map(glyph.__getitem__, text))


_FACES: weakref.WeakKeyDictionary[LoadedFont, FaceGlyphs] = weakref.WeakKeyDictionary()


def face_glyphs(font: LoadedFont) -> FaceGlyphs:
    """The face's FaceGlyphs, made once per loaded face."""
    found = _FACES.get(font)
    if found is None:
        found = _FACES[font] = FaceGlyphs(font)
    return found


def _shown(glyph: int, char: str) -> str:
    """The character a glyph reads back as: .notdef as U+0000, U+00A0 as the space."""
    return "\0" if glyph == 0 else " " if char == "\xa0" else char


def hex_codes(glyphs: list[int]) -> str:
    """The codes of these glyphs as a PDF hexadecimal string's digits (two bytes each)."""
    codes = array("H", glyphs)
    if not _BIG_ENDIAN:
        codes.byteswap()
    return codes.tobytes().hex()


@dataclass
class DrawnFace:
    """A face in one document: its resource name, and the characters its glyphs show."""

    glyphs: FaceGlyphs
    name: str
    owners: dict[int, str] = field(default_factory=dict)  # glyph → first character (or alike)
    others: dict[int, list[str]] = field(default_factory=dict)  # further characters, in order
    own_font: str = ""  # font_name(0)

    def __post_init__(self) -> None:
        self.own_font = self.font_name(0)

    def level(self, glyph: int, char: str) -> int:
        """Which of the face's fonts shows the character (0: the face's own)."""
        first = self.owners.setdefault(glyph, char)
        if first == char:
            return 0
        shown = _shown(glyph, char)
        if shown == _shown(glyph, first):
            return 0
        others = self.others.setdefault(glyph, [])
        if shown not in others:
            others.append(shown)
        return others.index(shown) + 1

    def font_name(self, level: int) -> str:
        """The resource name of the face's font of that level."""
        return f"/{self.name}" if level == 0 else f"/{self.name}.{level}"


@dataclass(frozen=True)
class PageFace:
    """A face's part of a drawn page: what coding it again must give for the page to be reused.

    `chars` are the page's characters of the face in the order first drawn, `glyphs` theirs,
    `levels` the font of the face each was shown with (empty: all the face's own), `shows`
    each glyph's character.
    """

    font: LoadedFont
    name: str
    glyphs: list[int]
    chars: str
    levels: tuple[int, ...]
    shows: dict[int, str]


class DocumentFonts:
    """The faces a document draws, each character's code, and the font objects at the end."""

    def __init__(self) -> None:
        self.faces: dict[LoadedFont, DrawnFace] = {}
        self._taken: set[str] = set()

    def drawn(self, font: LoadedFont) -> DrawnFace:
        """The face's state in this document (named on first use)."""
        found = self.faces.get(font)
        if found is None:
            glyphs = face_glyphs(font)
            name, number = glyphs.resource, 1
            while name in self._taken:  # two faces with one PostScript name: rare
                number += 1
                name = f"{glyphs.resource}-{number}"
            self._taken.add(name)
            found = self.faces[font] = DrawnFace(glyphs, name)
        return found

    def pieces(self, font: LoadedFont, text: str) -> list[tuple[str, str]]:
        """The run's (font resource name, hexadecimal codes) pieces: one but where a character
        shares its glyph with another one drawn before it."""
        if not text:
            return []
        drawn = self.faces.get(font) or self.drawn(font)
        glyphs = drawn.glyphs.glyphs(text)
        if "".join(map(drawn.owners.setdefault, glyphs, text)) == text:
            return [(drawn.own_font, hex_codes(glyphs))]
        levels = list(map(drawn.level, glyphs, text))
        out: list[tuple[str, str]] = []
        start = 0
        for end in range(1, len(text) + 1):
            if end == len(text) or levels[end] != levels[start]:
                out.append((drawn.font_name(levels[start]), hex_codes(glyphs[start:end])))
                start = end
        return out

    def page_faces(self, chars_by_font: dict[LoadedFont, str]) -> list[PageFace]:
        """What a page drawn with these characters (each face's, in the order first drawn)
        needs of the document to be drawn the same again."""
        found = []
        for font, text in chars_by_font.items():
            drawn = self.drawn(font)
            chars = "".join(dict.fromkeys(text))
            glyphs = drawn.glyphs.glyphs(chars)
            # Drawing the page gave every glyph its owner: where each is its own character's,
            # every level is 0 (level() would say so one by one).
            try:
                own = "".join(map(drawn.owners.__getitem__, glyphs)) == chars
            except KeyError:  # a glyph not drawn yet
                own = False
            levels = () if own else tuple(map(drawn.level, glyphs, chars))
            shows = dict(zip(glyphs, chars, strict=True))
            found.append(
                PageFace(font, drawn.name, glyphs, chars, levels if any(levels) else (), shows)
            )
        return found

    def codes_as(self, page: list[PageFace]) -> bool:
        """Code the page's characters as drawing it would: whether the codes and font names
        are the ones it was drawn with."""
        for part in page:
            drawn = self.drawn(part.font)
            if drawn.name != part.name:
                return False
            if not part.levels and drawn.glyphs.shared.isdisjoint(part.shows):
                # no glyph of the page has shown another character: its own font's, as before
                drawn.owners.update(part.shows)
                continue
            levels = tuple(map(drawn.level, part.glyphs, part.chars))
            if levels != (part.levels or (0,) * len(levels)):
                return False
        return True

    def add_to(self, document: Any) -> None:
        """Put every face's fonts into reportlab's document (its shared font resources)."""
        from reportlab.pdfbase import pdfdoc

        resources = document.idToObject["BasicFonts"].dict
        for drawn in sorted(self.faces.values(), key=lambda drawn: drawn.name):
            if not drawn.owners:
                continue
            program = font_program(drawn.glyphs.face, drawn.owners)
            descriptor = _descriptor(document, drawn, program)
            base_font = pdfdoc.PDFName(f"{program.tag}+{drawn.glyphs.ps_name}")
            levels = max(map(len, drawn.others.values()), default=0)
            for level in range(levels + 1):
                if level == 0:
                    shown = {g: _shown(g, char) for g, char in drawn.owners.items()}
                else:
                    shown = {
                        g: chars[level - 1]
                        for g, chars in drawn.others.items()
                        if len(chars) >= level
                    }
                name = drawn.font_name(level)[1:]
                resources[name] = _type0(document, drawn, name, base_font, descriptor, shown)


@functools.cache
def _classes() -> dict[str, type[Any]]:
    """The reportlab object classes written (defined on first use: reportlab is lazy)."""
    from reportlab.pdfbase import pdfdoc

    class Stream(pdfdoc.PDFObject):  # type: ignore[misc]
        """A stream whose bytes are final (already deflated, or metadata left plain)."""

        __RefOnly__ = 1

        def __init__(self, entries: dict[str, Any], data: bytes) -> None:
            self.entries, self.data = entries, data

        def format(self, document: Any) -> bytes:
            entries = pdfdoc.PDFDictionary({**self.entries, "Length": len(self.data)})
            head = bytes(pdfdoc.format(entries, document))
            return head + b"\nstream\n" + self.data + b"endstream\n"

    class Raw(pdfdoc.PDFObject):  # type: ignore[misc]
        """An object already written out (an array of numbers)."""

        def __init__(self, text: str) -> None:
            self.text = text

        def format(self, document: Any) -> bytes:
            return self.text.encode("ascii")

    return {"Stream": Stream, "Raw": Raw}


def final_stream(entries: dict[str, Any], data: bytes) -> Any:
    """A reportlab stream object of these entries whose bytes are written as they are."""
    return _classes()["Stream"](entries, data)


def _descriptor(document: Any, drawn: DrawnFace, program: FontProgram) -> Any:
    """The FontDescriptor of the face's subset and its program (FontFile2), as references."""
    from reportlab.pdfbase import pdfdoc

    face = drawn.glyphs.face
    entries = {"Length1": program.length, "Filter": pdfdoc.PDFName("FlateDecode")}
    file = document.Reference(final_stream(entries, program.deflated), f"cid:{drawn.name}:file")
    descriptor = pdfdoc.PDFDictionary(
        {
            "Type": pdfdoc.PDFName("FontDescriptor"),
            "FontName": pdfdoc.PDFName(f"{program.tag}+{drawn.glyphs.ps_name}"),
            "Flags": (face.flags & ~(1 << 5)) | (1 << 2),  # symbolic, as reportlab's were
            "FontBBox": pdfdoc.PDFArray(face.bbox),
            "ItalicAngle": face.italicAngle,
            "Ascent": face.ascent,
            "Descent": face.descent,
            "CapHeight": face.capHeight,
            "StemV": face.stemV,
            "FontFile2": file,
        }
    )
    return document.Reference(descriptor, f"cid:{drawn.name}:descriptor")


def _type0(
    document: Any,
    drawn: DrawnFace,
    name: str,
    base_font: Any,
    descriptor: Any,
    shown: dict[int, str],
) -> Any:
    """The Type0 font of one of the face's levels (its CIDFont, /W and ToUnicode map)."""
    from reportlab.pdfbase import pdfdoc

    raw = _classes()["Raw"]
    font = drawn.glyphs.font
    widths = {glyph: font.advance_pt(char, 1000.0) for glyph, char in shown.items()}
    if 0 in drawn.owners:  # the width the layout gave a character the face lacks
        widths[0] = font.advance_pt(drawn.owners[0], 1000.0)
    cid_font = pdfdoc.PDFDictionary(
        {
            "Type": pdfdoc.PDFName("Font"),
            "Subtype": pdfdoc.PDFName("CIDFontType2"),
            "BaseFont": base_font,
            "CIDSystemInfo": raw("<< /Ordering (Identity) /Registry (Adobe) /Supplement 0 >>"),
            "FontDescriptor": descriptor,
            "DW": DEFAULT_WIDTH,
            "W": raw(width_array(widths)),
            "CIDToGIDMap": pdfdoc.PDFName("Identity"),
        }
    )
    cmap = pdfdoc.PDFStream()
    cmap.content = to_unicode(shown)
    cmap.filters = [pdfdoc.PDFZCompress]
    type0 = pdfdoc.PDFDictionary(
        {
            "Type": pdfdoc.PDFName("Font"),
            "Subtype": pdfdoc.PDFName("Type0"),
            "BaseFont": base_font,
            "Encoding": pdfdoc.PDFName("Identity-H"),
            "DescendantFonts": pdfdoc.PDFArray(
                [document.Reference(cid_font, f"cid:{name}:cidfont")]
            ),
            "ToUnicode": document.Reference(cmap, f"cid:{name}:tounicode"),
        }
    )
    return document.Reference(type0, f"cid:{name}")


def width_array(widths: dict[int, float]) -> str:
    """A CIDFont's /W: runs of consecutive glyphs whose width is not /DW, each `first [w …]`."""
    from reportlab.lib.rl_accel import fp_str

    parts: list[str] = []
    run: list[str] = []
    previous = -2
    for glyph in sorted(widths):
        width = widths[glyph]
        if width == DEFAULT_WIDTH:
            continue
        if glyph != previous + 1:
            if run:
                parts.append(f"[{' '.join(run)}]")
            parts.append(str(glyph))
            run = []
        run.append(fp_str(width))
        previous = glyph
    if run:
        parts.append(f"[{' '.join(run)}]")
    return f"[{' '.join(parts)}]"


def to_unicode(shown: dict[int, str]) -> str:
    """The ToUnicode CMap of a font: each glyph's code to the character it shows (UTF-16BE)."""
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    entries = [
        f"<{glyph:04X}> <{shown[glyph].encode('utf-16-be').hex().upper()}>"
        for glyph in sorted(shown)
    ]
    for start in range(0, len(entries), 100):  # at most 100 a block (PostScript's limit)
        block = entries[start : start + 100]
        lines += [f"{len(block)} beginbfchar", *block, "endbfchar"]
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines)
