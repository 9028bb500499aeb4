"""From a composed line's character boxes to glyph runs: where each glyph sits in its box."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import TypeVar

from pipeline.fonts.chains import FontChain, LoadedFont
from pipeline.layout.gridtext import ComposedLine

_T = TypeVar("_T")

# Marks set in one full grid cell even where a font draws them narrower (—— must span two
# characters; a Kai font's proportional quotes would otherwise break the grid).
DASHES = frozenset("—―")
OPENING_QUOTES = frozenset("“‘")
FULL_CELL_MARKS = DASHES | OPENING_QUOTES | frozenset("”’…")
# Set in exactly half a cell whatever the font's advance (layout.md §1), centred in it.
HALF_CELL_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


# Characters drawn with one font, size and spacing from one origin: (font name, size_pt, x_pt
# from the paper's left edge, text, char_space_pt, colour name, h_scale). A PDF viewer advances
# each glyph by (width + char_space_pt) × h_scale / 100. A plain tuple of strings and numbers:
# the garbage collector stops tracking the many kept in the line caches.
Run = tuple[str, float, float, str, float, str, float]
RUN_FIELDS = 7


# Where a character's glyph is drawn in its box: (font, x from the box's left edge, drawn
# width, horizontal scale (1.0: as the font draws it)).
Glyph = tuple[LoadedFont, float, float, float]


def layout_advance_pt(char: str, font: LoadedFont, size_pt: float, cell_pt: float) -> float:
    """The width a character's box takes on the line (tracking not included)."""
    tracking = cell_pt - size_pt
    if char in HALF_CELL_CHARS:
        return cell_pt / 2 - tracking
    natural = font.advance_pt(char, size_pt)
    return size_pt if char in FULL_CELL_MARKS and natural < size_pt else natural


class CharMemo(dict[str, _T]):
    """A dict that computes a missing character's value once."""

    def __init__(self, compute: Callable[[str], _T]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, char: str) -> _T:
        value = self[char] = self.compute(char)
        return value


class Metrics:
    """Characters at one size drawn from given fonts: box widths and glyph places, each
    computed once per character (a document draws the same few thousand over and over)."""

    def __init__(self, fonts: Mapping[str, LoadedFont], size_pt: float, cell_pt: float) -> None:
        self.fonts, self.size_pt, self.cell_pt = fonts, size_pt, cell_pt
        self.advance_pt: dict[str, float] = CharMemo(self._advance)
        self.glyph: dict[str, Glyph] = CharMemo(self._glyph)

    def _advance(self, char: str) -> float:
        return layout_advance_pt(char, self.fonts[char], self.size_pt, self.cell_pt)

    def _glyph(self, char: str) -> Glyph:
        """Where a character's glyph is drawn inside its box, and how much it is condensed."""
        font, size_pt = self.fonts[char], self.size_pt
        box_pt = self.advance_pt[char]
        natural = font.advance_pt(char, size_pt)
        x, h_scale = 0.0, 1.0
        if char in HALF_CELL_CHARS:
            half_cell = self.cell_pt / 2
            if natural > half_cell + 1e-6:  # a wide letter (M, W) is condensed into its half cell
                h_scale = half_cell / natural
            else:
                x = (half_cell - natural) / 2
        elif box_pt - natural > 0.01:  # a mark widened to its full grid cell
            if char in DASHES:
                h_scale = box_pt / natural  # stretched so —— stays joined
            elif char in OPENING_QUOTES:
                x = box_pt - natural  # the glyph sits in the cell's right half
        return (font, x, natural * h_scale, h_scale)


TEXTS_KEPT = 4096  # texts whose characters a chain remembers having looked up (a few documents)


class ChainFonts(CharMemo[LoadedFont]):
    """A font chain's font of each character (its primary where no font has one), looked up
    once; the characters a fallback font draws or no font has, which are reported; and the
    characters' metrics at each size and grid pitch."""

    def __init__(self, chain: FontChain) -> None:
        super().__init__(self._font)
        self._chain = weakref.ref(chain)
        self.reported: set[str] = set()
        self.metrics: dict[tuple[float, float], Metrics] = {}
        self._texts: dict[str, None] = {}  # looked up already, the oldest first

    def look_up(self, text: str) -> None:
        """Look up the characters of text that are not known yet."""
        if text in self._texts:  # a block of the last documents again: nothing new
            return
        for char in dict.fromkeys(text):
            if char not in self:
                self[char] = self._font(char)
        self._texts[text] = None
        if len(self._texts) > TEXTS_KEPT:
            del self._texts[next(iter(self._texts))]

    def _font(self, char: str) -> LoadedFont:
        chain = self._chain()
        assert chain is not None  # these go with their chain
        font = chain.font_for(char)  # loads the faces it tries
        if font is None or (font is not chain.primary and not char.isspace()):
            self.reported.add(char)
        return font or chain.primary


_fonts: dict[int, ChainFonts] = {}  # by the id of a live chain


def chain_fonts(chain: FontChain) -> ChainFonts:
    """The fonts of a chain's characters, kept while the chain lives: a batch's documents and
    a kept Builder's rebuilds look each character up once (a font changed gives new chains)."""
    found = _fonts.get(id(chain))
    if found is None:
        found = _fonts[id(chain)] = ChainFonts(chain)
        weakref.finalize(chain, _fonts.pop, id(chain), None)  # before the id can be reused
    return found


def chain_metrics(chain: FontChain, size_pt: float, cell_pt: float) -> Metrics:
    """The Metrics of the characters a font chain draws at a size and grid pitch, kept with
    the chain's fonts: each character is measured once."""
    fonts = chain_fonts(chain)
    found = fonts.metrics.get((size_pt, cell_pt))
    if found is None:
        found = fonts.metrics[size_pt, cell_pt] = Metrics(fonts, size_pt, cell_pt)
    return found


def glyph_runs(
    line: ComposedLine, x0_pt: float, metrics: Metrics, color: str, scale: float = 1.0
) -> tuple[Run, ...]:
    """The line's glyphs as runs of one font and one even spacing, condensed by `scale`."""
    glyph_of, size_pt = metrics.glyph, metrics.size_pt
    runs: list[Run] = []
    # The run being gathered: its font, first glyph's x, characters and spacing; the last
    # glyph's x and drawn width.
    font: LoadedFont | None = None
    first_x = spacing = last_x = last_drawn = 0.0
    h_scale = 1.0
    chars: list[str] = []
    for char, box_x in zip(line.text, line.x_pt, strict=True):
        glyph_font, dx, drawn, glyph_scale = glyph_of[char]
        x = box_x + dx if dx else box_x
        if font is not None:
            if glyph_font is font and glyph_scale == h_scale == 1.0:  # it may join the run
                gap = x - last_x - last_drawn
                if len(chars) == 1 or abs(gap - spacing) < 1e-4:
                    spacing, last_x, last_drawn = gap, x, drawn
                    chars.append(char)
                    continue
            runs.append(
                (
                    font.name,
                    size_pt,
                    x0_pt + first_x * scale,
                    "".join(chars),
                    spacing,  # the viewer scales it with the glyphs
                    color,
                    scale * h_scale * 100,
                )
            )
        font, first_x, spacing, last_x, last_drawn = glyph_font, x, 0.0, x, drawn
        h_scale, chars = glyph_scale, [char]
    if font is not None:
        runs.append(
            (font.name, size_pt, x0_pt + first_x * scale, "".join(chars), spacing, color,
             scale * h_scale * 100)
        )  # fmt: skip
    return tuple(runs)
