"""From a composed line's character boxes to glyph runs: where each glyph sits in its box."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.fonts.chains import LoadedFont
from pipeline.layout.gridtext import ComposedLine

# Marks set in one full grid cell even where a font draws them narrower (—— must span two
# characters; a Kai font's proportional quotes would otherwise break the grid).
DASHES = frozenset("—―")
OPENING_QUOTES = frozenset("“‘")
FULL_CELL_MARKS = DASHES | OPENING_QUOTES | frozenset("”’…")
# Set in exactly half a cell whatever the font's advance (layout.md §1), centred in it.
HALF_CELL_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Run:
    """Characters drawn with one font, size and spacing from one origin (x from the paper's
    left edge; a PDF viewer advances each glyph by (width + char_space_pt) × h_scale / 100)."""

    font: str
    size_pt: float
    x_pt: float
    text: str
    char_space_pt: float
    color: str
    h_scale: float = 100.0


@dataclass(frozen=True)
class _Glyph:
    char: str
    font: LoadedFont
    x_pt: float  # glyph origin, line-box relative
    natural_pt: float
    h_scale: float  # 1.0: as the font draws it


def layout_advance_pt(char: str, font: LoadedFont, size_pt: float, cell_pt: float) -> float:
    """The width a character's box takes on the line (tracking not included)."""
    tracking = cell_pt - size_pt
    if char in HALF_CELL_CHARS:
        return cell_pt / 2 - tracking
    natural = font.advance_pt(char, size_pt)
    return size_pt if char in FULL_CELL_MARKS and natural < size_pt else natural


def glyph_runs(
    line: ComposedLine,
    x0_pt: float,
    fonts: dict[str, LoadedFont],
    size_pt: float,
    cell_pt: float,
    color: str,
    scale: float = 1.0,
) -> tuple[Run, ...]:
    """The line's glyphs as runs of one font and one even spacing, condensed by `scale`."""
    glyphs = [
        _glyph(placed.char, placed.x_pt, placed.advance_pt, fonts, size_pt, cell_pt)
        for placed in line.chars
    ]
    runs: list[Run] = []
    group: list[_Glyph] = []
    spacing = 0.0

    def flush() -> None:
        if group:
            first = group[0]
            runs.append(
                Run(
                    first.font.name,
                    size_pt,
                    x0_pt + first.x_pt * scale,
                    "".join(g.char for g in group),
                    spacing,  # the viewer scales it with the glyphs
                    color,
                    scale * first.h_scale * 100,
                )
            )

    for glyph in glyphs:
        if group:
            previous = group[-1]
            gap = glyph.x_pt - previous.x_pt - previous.natural_pt
            joins = glyph.font is previous.font and glyph.h_scale == previous.h_scale == 1.0
            if joins and (len(group) == 1 or abs(gap - spacing) < 1e-4):
                spacing = gap
                group.append(glyph)
                continue
            flush()
        group, spacing = [glyph], 0.0
    flush()
    return tuple(runs)


def _glyph(
    char: str,
    box_x_pt: float,
    box_pt: float,
    fonts: dict[str, LoadedFont],
    size_pt: float,
    cell_pt: float,
) -> _Glyph:
    """Where a character's glyph is drawn inside its box, and how much it is condensed."""
    font = fonts[char]
    natural = font.advance_pt(char, size_pt)
    x, h_scale = box_x_pt, 1.0
    if char in HALF_CELL_CHARS:
        half_cell = cell_pt / 2
        if natural > half_cell + 1e-6:  # a wide letter (M, W) is condensed into its half cell
            h_scale = half_cell / natural
        else:
            x += (half_cell - natural) / 2
    elif box_pt - natural > 0.01:  # a mark widened to its full grid cell
        if char in DASHES:
            h_scale = box_pt / natural  # stretched so —— stays joined
        elif char in OPENING_QUOTES:
            x += box_pt - natural  # the glyph sits in the cell's right half
    return _Glyph(char, font, x, natural * h_scale, h_scale)
