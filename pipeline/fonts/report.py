"""What `bulletin fonts` reports, as data: each role's font, its coverage, its fallback order.

The app formats it (pipeline/app/fonts_report.py); nothing here prints.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.diagnostics import Diagnostic
from pipeline.fonts.chains import FontChain, FontFace, FontLibrary, LoadedFont
from pipeline.fonts.find import ScanningCatalog
from pipeline.fonts.roles import ROLES, Role


@functools.cache
def gb2312_hanzi() -> frozenset[str]:
    """The 6763 hanzi of GB2312 (rows 0xB0–0xF7)."""
    found = set()
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                found.add(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(found)


@functools.cache
def gbk_hanzi() -> frozenset[str]:
    """The 20923 hanzi of GBK: unified and compatibility ideographs with a GBK code."""
    found = set()
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            try:
                char = bytes([lead, trail]).decode("gbk")
            except UnicodeDecodeError:
                continue
            if "\u4e00" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff":
                found.add(char)
    return frozenset(found)


def coverage(font: LoadedFont) -> tuple[int, int]:
    """How many GB2312 and GBK hanzi the font has."""
    return (
        sum(ord(c) in font.cmap for c in gb2312_hanzi()),
        sum(ord(c) in font.cmap for c in gbk_hanzi()),
    )


@dataclass(frozen=True)
class RoleFont:
    """What `bulletin fonts` shows for a role: its font, coverage and fallback order."""

    role: Role
    face: FontFace
    gb2312: int
    gbk: int
    chain: tuple[FontFace, ...]


def role_fonts(chains: dict[Role, FontChain]) -> list[RoleFont]:
    """The resolved font of every role with its GB2312/GBK coverage (loads every chain font)."""
    rows = []
    for role, chain in chains.items():
        primary = chain.primary
        gb2312, gbk = coverage(primary)
        rows.append(
            RoleFont(role, primary.face, gb2312, gbk, tuple(font.face for font in chain.fonts()))
        )
    return rows


@dataclass(frozen=True)
class TemplateFonts:
    """The fonts of the templates that name the same families for every role."""

    templates: tuple[str, ...]
    roles: tuple[RoleFont, ...]
    stand_ins: dict[Role, tuple[str, ...]]  # a bundled font serves it: none of these was found
    warnings: tuple[Diagnostic, ...]  # fonts found but refused (licence, outlines, unreadable)


@dataclass(frozen=True)
class UnusedFace:
    """A usable face in fonts/ that no role's chain names."""

    path: Path
    index: int
    family: str


@dataclass
class FontReport:
    """Everything `bulletin fonts` shows; `characters` maps issue files to their char reports."""

    groups: list[TemplateFonts] = field(default_factory=list)
    unused: list[UnusedFace] = field(default_factory=list)
    characters: dict[Path, list[Diagnostic]] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)  # templates or issues unreadable

    @property
    def failed(self) -> bool:
        """Whether something could not be read, or a character has no font."""
        return bool(self.problems) or any(
            d.is_error for reports in self.characters.values() for d in reports
        )


def template_fonts(
    library: FontLibrary, families_by_template: dict[str, dict[Role, list[str]]]
) -> list[TemplateFonts]:
    """The role fonts of each set of templates that ask for the same families (loads them)."""
    groups: dict[tuple[tuple[str, ...], ...], list[str]] = {}
    for name, families in families_by_template.items():
        groups.setdefault(tuple(tuple(families.get(r, [])) for r in ROLES), []).append(name)
    found = []
    for key, names in groups.items():
        wanted: dict[Role, list[str]] = {r: list(f) for r, f in zip(ROLES, key, strict=True)}
        chains = library.chains(wanted)
        rows = tuple(role_fonts(chains))
        stand_ins = {
            row.role: tuple(wanted[row.role])
            for row in rows
            if row.face.origin == "bundled" and wanted.get(row.role)
        }
        warnings = tuple(library.warnings(chains))
        found.append(TemplateFonts(tuple(names), rows, stand_ins, warnings))
    return found


def unused_faces(library: FontLibrary, groups: list[TemplateFonts]) -> list[UnusedFace]:
    """The usable faces in fonts/ that none of the groups' chains holds."""
    catalog = library.catalog
    if not isinstance(catalog, ScanningCatalog):
        return []
    used = {face.where for group in groups for row in group.roles for face in row.chain}
    return [
        UnusedFace(Path(face.path), face.index, (face.families or face.typographic or ("?",))[0])
        for face in catalog.user_faces()
        if not face.refusal and (Path(face.path), face.index) not in used
    ]
