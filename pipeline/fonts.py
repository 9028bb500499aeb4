"""Fonts by role: resolve each role's chain of family names, load faces once, per-character fallback."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.diagnostics import BulletinError
from pipeline.style import ROLES, Role

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_DIR = PACKAGE_ROOT / "fonts" / "bundled"

Origin = Literal["fonts/", "system", "bundled"]

# The bundled free set: role → (family name stored in the file, file name).
BUNDLED: dict[Role, tuple[str, str]] = {
    "title": ("Noto Serif SC Black", "NotoSerifSC_900Black.ttf"),
    "body": ("Noto Serif SC Light", "NotoSerifSC_300Light.ttf"),
    "heading": ("Noto Sans SC", "NotoSansSC_400Regular.ttf"),
    "kai": ("LXGW WenKai", "LXGWWenKai-Regular.ttf"),
    "song": ("Noto Serif SC", "NotoSerifSC_400Regular.ttf"),
}


@dataclass(frozen=True)
class FontFace:
    """A face in a font file, found for a family name."""

    family: str
    path: Path
    index: int = 0
    origin: Origin = "bundled"


@dataclass(frozen=True)
class FontNotice:
    """Something the resolver wants the user to know: a refused font and what was used instead."""

    role: str
    message: str
    hint: str = ""


class FontCatalog:
    """Where family names are looked up; the default knows only the bundled fonts."""

    def find(self, family: str) -> FontFace | None:
        """The face whose stored family name is `family`, or None."""
        for bundled_family, file_name in BUNDLED.values():
            if bundled_family.casefold() == family.casefold():
                return FontFace(bundled_family, BUNDLED_DIR / file_name)
        return None

    def notices(self) -> list[FontNotice]:
        """Fonts the catalog refused, with the reason."""
        return []

    def signature(self) -> tuple[object, ...]:
        """Changes when the catalog's files change (for caches)."""
        return ()


class LoadedFont:
    """A face registered with reportlab, with its character map and advances."""

    def __init__(self, face: FontFace) -> None:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFError, TTFont

        from pipeline.fontcache import load_ttfont

        self.face = face
        digest = hashlib.sha1(f"{face.path}#{face.index}".encode()).hexdigest()[:8]
        self.name = f"{face.path.stem}-{face.index}-{digest}"
        try:
            font = load_ttfont(TTFont, self.name, face.path, face.index)
        except (TTFError, OSError, ValueError) as exc:
            raise BulletinError.single(
                f"cannot use font {face.path.name}: {exc}",
                file=face.path,
                hint="use a TrueType (.ttf/.ttc) font, or remove the file from fonts/",
            ) from None
        pdfmetrics.registerFont(font)
        self._widths: dict[int, float] = font.face.charWidths
        self.cmap: dict[int, int] = font.face.charToGlyph

    def has(self, char: str) -> bool:
        """Whether the face has a glyph for the character."""
        return ord(char) in self.cmap

    def advance_pt(self, char: str, size_pt: float) -> float:
        """The character's advance width at a size."""
        return self._widths.get(ord(char), 1000.0) * size_pt / 1000.0


@dataclass
class FontChain:
    """A role's fonts in order of preference; each character is drawn from the first that has it."""

    role: str
    faces: list[FontFace]
    load: Callable[[FontFace], LoadedFont]
    _by_char: dict[str, LoadedFont | None] = field(default_factory=dict)

    @property
    def primary(self) -> LoadedFont:
        """The role's own font (the first in the chain that loads)."""
        return self.load(self.faces[0])

    def font_for(self, char: str) -> LoadedFont | None:
        """The first font of the chain that has the character; None if no font has it."""
        if char in self._by_char:
            return self._by_char[char]
        found = None
        if char in "\n\t ":
            found = self.primary
        else:
            for face in self.faces:
                font = self.load(face)
                if font.has(char):
                    found = font
                    break
        self._by_char[char] = found
        return found


class FontLibrary:
    """Loads each face once and keeps it for later builds (a rebuild is 5× faster with them)."""

    def __init__(self, catalog: FontCatalog | None = None) -> None:
        self.catalog = catalog or FontCatalog()
        self._fonts: dict[tuple[Path, int, int], LoadedFont] = {}
        self._chains: dict[tuple[str, tuple[str, ...]], FontChain] = {}

    def load(self, face: FontFace) -> LoadedFont:
        """The loaded font of a face, parsed once until its file changes."""
        key = (face.path, face.index, face.path.stat().st_mtime_ns)
        font = self._fonts.get(key)
        if font is None:
            font = LoadedFont(face)
            self._fonts[key] = font
        return font

    def chain(self, role: Role, families: Iterable[str]) -> FontChain:
        """The chain of a role: the named families found, then every bundled font (own first)."""
        names = tuple(families)
        key = (role, names)
        chain = self._chains.get(key)
        if chain is None:
            chain = FontChain(role, resolve_faces(role, names, self.catalog), self.load)
            self._chains[key] = chain
        return chain

    def chains(self, families_by_role: dict[Role, list[str]]) -> dict[Role, FontChain]:
        """A chain for every role."""
        return {role: self.chain(role, families_by_role.get(role, [])) for role in ROLES}


def resolve_faces(role: Role, families: Iterable[str], catalog: FontCatalog) -> list[FontFace]:
    """Faces for a role in order: each family the catalog finds, then the bundled set."""
    faces: list[FontFace] = []
    for family in families:
        face = catalog.find(family)
        if face is not None and face not in faces:
            faces.append(face)
    own = BUNDLED[role]
    for bundled_family, file_name in [own, *(v for k, v in BUNDLED.items() if k != role)]:
        face = FontFace(bundled_family, BUNDLED_DIR / file_name)
        if face not in faces:
            faces.append(face)
    return faces
