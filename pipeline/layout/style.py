"""A template's style file: page geometry, grid, fonts by role and the look of every block."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from pipeline.diagnostics import BulletinError
from pipeline.fonts.roles import Role
from pipeline.i18n import _
from pipeline.layout.stylestore import keep_style, kept_style
from pipeline.source.load import diagnostics_from_schema, parse_toml, read_toml
from pipeline.source.schema import PositiveInt, SchemaError, check, doc

PT_PER_MM = 72 / 25.4


@dataclass(frozen=True, kw_only=True)
class PageGeometry:
    """Paper, type area (版心) and the character grid."""

    width_mm: float = 210
    height_mm: float = 297
    margin_top_mm: float = 37
    margin_left_mm: float = 28
    type_width_mm: float = 156
    type_height_mm: float = 225
    lines: PositiveInt = 22
    chars_per_line: PositiveInt = 28
    grid_size_pt: float = field(
        default=16, metadata=doc("size of the text the grid is built for (三号)")
    )


@dataclass(frozen=True, kw_only=True)
class Color:
    """A colour as CMYK (0–1) or RGB (0–1)."""

    cmyk: tuple[float, float, float, float] | None = None
    rgb: tuple[float, float, float] | None = None


BLACK = Color(cmyk=(0, 0, 0, 1))  # what a colour the style does not name is drawn in


@dataclass(frozen=True, kw_only=True)
class TextStyle:
    """How one kind of block is set."""

    font: Role = "body"
    size_pt: float = 16
    color: str = "black"
    align: Literal["justify", "left", "center", "right"] = "justify"
    first_indent_chars: float = 0
    left_indent_chars: float = 0
    right_indent_chars: float = 0
    tracking_em: float | None = field(
        default=None, metadata=doc("extra space after each character")
    )
    lines: PositiveInt = field(default=1, metadata=doc("grid lines one text line takes"))
    pad_lines: int = field(
        default=0, metadata=doc("grid lines added to the block, half above and half below it")
    )
    squeeze: bool = field(
        default=True, metadata=doc("lines may absorb a forbidden line start by squeezing")
    )
    space_before_lines: int = 0
    keep_with_next_lines: int = 0
    keep_with_previous: bool = False
    fit_width: bool = field(
        default=False, metadata=doc("compress horizontally instead of wrapping")
    )
    title_breaks: bool = field(default=False, metadata=doc("balanced title line breaks"))


@dataclass(frozen=True, kw_only=True)
class RuleStyle:
    """A horizontal rule: colour, thickness and where it sits."""

    color: str = "black"
    thickness_pt: float = 1
    gap_below_text_mm: float | None = field(
        default=None, metadata=doc("distance below the previous line's text; else on the grid line")
    )
    white_below_mm: float = field(
        default=0, metadata=doc("least white between the rule and the ink of the next line")
    )


@dataclass(frozen=True, kw_only=True)
class PageNumbers:
    """Page numbers such as — 7 —."""

    font: Role = "song"
    size_pt: float = 14
    format: str = "— {n} —"
    gap_below_type_area_mm: float = 7
    indent_chars: float = 1
    odd: Literal["left", "right", "center"] = "right"
    even: Literal["left", "right", "center"] = "left"


@dataclass(frozen=True, kw_only=True)
class Style:
    """Everything about a bulletin's look that is a number, a colour or a font."""

    page: PageGeometry = field(default_factory=PageGeometry)
    colors: dict[str, Color] = field(default_factory=dict)
    fonts: dict[Role, list[str]] = field(default_factory=dict)
    text: dict[str, TextStyle] = field(default_factory=dict)
    rules: dict[str, RuleStyle] = field(default_factory=dict)
    page_numbers: PageNumbers = field(default_factory=PageNumbers)
    baseline_em: float = field(
        default=0.88, metadata=doc("baseline below the em box top (CJK em box)")
    )

    @cached_property
    def page_width_pt(self) -> float:
        """Paper width in points."""
        return self.page.width_mm * PT_PER_MM

    @cached_property
    def page_height_pt(self) -> float:
        """Paper height in points."""
        return self.page.height_mm * PT_PER_MM

    @cached_property
    def left_pt(self) -> float:
        """Left edge of the type area."""
        return self.page.margin_left_mm * PT_PER_MM

    @cached_property
    def top_pt(self) -> float:
        """Top edge of the type area, measured from the bottom of the paper."""
        return self.page_height_pt - self.page.margin_top_mm * PT_PER_MM

    @cached_property
    def width_pt(self) -> float:
        """Width of the type area."""
        return self.page.type_width_mm * PT_PER_MM

    @cached_property
    def bottom_pt(self) -> float:
        """Bottom edge of the type area, from the bottom of the paper."""
        return self.top_pt - self.page.type_height_mm * PT_PER_MM

    @cached_property
    def line_pitch_pt(self) -> float:
        """Distance between grid lines: 225 mm / 22 = 28.99 pt."""
        return self.page.type_height_mm * PT_PER_MM / self.page.lines

    @cached_property
    def char_pitch_pt(self) -> float:
        """Grid character pitch: 156 mm / 28 = 15.79 pt."""
        return self.width_pt / self.page.chars_per_line

    def tracking_pt(self, size_pt: float) -> float:
        """Tracking that puts characters of the grid size on the grid pitch."""
        return (self.char_pitch_pt - self.page.grid_size_pt) * size_pt / self.page.grid_size_pt

    def text_style(self, name: str) -> TextStyle:
        """The named text style; unknown names raise with the list of known ones."""
        try:
            return self.text[name]
        except KeyError:
            raise BulletinError.single(
                _(
                    "the template uses text style '{name}', which the style file does not define",
                    name=name,
                ),
                hint=_("known styles: {names}", names=", ".join(sorted(self.text))),
            ) from None

    def rule_style(self, name: str) -> RuleStyle:
        """The named rule style."""
        try:
            return self.rules[name]
        except KeyError:
            raise BulletinError.single(
                _(
                    "the template uses rule style '{name}', which the style file does not define",
                    name=name,
                ),
                hint=_("known rules: {names}", names=", ".join(sorted(self.rules))),
            ) from None

    def color(self, name: str) -> Color:
        """The named colour; black when the style does not name it."""
        return self.colors.get(name, BLACK)


def load_style(path: Path, raw: bytes | None = None) -> Style:
    """Read (or, given its bytes, parse) and validate a style file; every problem with its line.

    Given its bytes, a style checked from the same bytes before is taken from `stylestore`.
    """
    if raw is not None:
        kept = kept_style(raw)
        if isinstance(kept, Style):
            return kept
    source = read_toml(path) if raw is None else parse_toml(path, raw)
    try:
        style = check(source.data, Style)
    except SchemaError as exc:
        raise BulletinError(diagnostics_from_schema(exc, Style, source)) from None
    if raw is not None:
        keep_style(raw, style)
    return style
