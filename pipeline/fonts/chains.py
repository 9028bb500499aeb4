"""Fonts by role: each role's chain of family names, faces loaded once, per-character fallback."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.diagnostics import BulletinError, Diagnostic
from pipeline.fonts.roles import ROLES, Role
from pipeline.i18n import N_, _
from pipeline.resources import BUNDLED_FONTS_DIR

BUNDLED_DIR = BUNDLED_FONTS_DIR  # fonts/bundled/ of the checkout, or the package's copy

Origin = Literal["fonts/", "system", "bundled"]
ORIGIN_RANK: dict[str, int] = {"fonts/": 0, "system": 1, "bundled": 2}

# The bundled free set: role → (family name stored in the file, file name). Each role gets a
# face of its own style (layout.md §7); the Fandol faces hold GB2312 only.
BUNDLED: dict[Role, tuple[str, str]] = {
    "title": ("Noto Serif SC Black", "NotoSerifSC_900Black.ttf"),
    "body": ("FandolFang", "FandolFang-Regular.ttf"),
    "heading": ("Noto Sans SC Medium", "NotoSansSC_500Medium.ttf"),
    "kai": ("FandolKai", "FandolKai-Regular.ttf"),
    "song": ("Noto Serif SC", "NotoSerifSC_400Regular.ttf"),
}
# Where a role's characters outside its own bundled face come from, in order: the GBK-complete
# Noto faces of the nearest style, then LXGW WenKai for the rarest (CJK Ext. A and beyond).
WENKAI = ("LXGW WenKai", "LXGWWenKai-Regular.ttf")
BUNDLED_FALLBACKS: dict[Role, tuple[tuple[str, str], ...]] = {
    "title": (BUNDLED["song"], BUNDLED["heading"], WENKAI),
    "body": (BUNDLED["song"], BUNDLED["heading"], WENKAI),
    "heading": (BUNDLED["song"], WENKAI),
    "kai": (WENKAI, BUNDLED["song"], BUNDLED["heading"]),
    "song": (BUNDLED["heading"], WENKAI),
}

# Kept untranslated in the font scan (which may be cached); translated where they are shown.
CFF_REASON = N_("reportlab cannot embed PostScript-outline (CFF) fonts")
CFF_HINT = N_("convert it to TrueType or use a .ttf version")
LICENCE_HINT = N_("use a version the vendor licenses for embedding in documents")
UNREADABLE_HINT = N_("the file is damaged or not a font; replace it or remove it from fonts/")

GB2312_TOTAL = 6763
GBK_TOTAL = 20923


def family_key(name: str) -> str:
    """A family name for comparison: case, spaces, '-' and '_' ignored."""
    return re.sub(r"[\s_\-]+", "", name).casefold()


@dataclass(frozen=True)
class FontFace:
    """A face in a font file, found for a family name."""

    family: str
    path: Path
    index: int = 0
    origin: Origin = "bundled"

    @property
    def where(self) -> tuple[Path, int]:
        """The file and face number: what identifies the face whatever name found it."""
        return (self.path, self.index)


@dataclass(frozen=True)
class FontNotice:
    """Something the resolver wants the user to know: a refused font and what was used instead."""

    role: Role | None  # None: a file in fonts/ that no role can use
    message: str
    hint: str = ""
    path: Path | None = None

    def diagnostic(self) -> Diagnostic:
        """The notice as a warning placed on the font file."""
        return Diagnostic(
            "warning", self.message, self.path, hint=_(self.hint) if self.hint else None
        )


@dataclass(frozen=True)
class Refusal:
    """A face whose name matched but which cannot be used, with the reason and what to do."""

    family: str
    path: Path
    index: int
    origin: Origin
    reason: str
    hint: str


class FontCatalog:
    """Where family names are looked up; the default knows only the bundled fonts."""

    def find(self, family: str) -> FontFace | None:
        """The face whose stored family name is `family`, or None."""
        for bundled_family, file_name in (*BUNDLED.values(), WENKAI):
            if family_key(bundled_family) == family_key(family):
                return FontFace(bundled_family, BUNDLED_DIR / file_name)
        return None

    def refused(self, family: str) -> list[Refusal]:
        """Faces named `family` that were found but cannot be used."""
        return []

    def notices(self) -> list[FontNotice]:
        """Fonts the catalog refused, with the reason."""
        return []

    def signature(self) -> tuple[object, ...]:
        """Changes when the catalog's files change (for caches)."""
        return ()

    def folders(self) -> tuple[Path, ...]:
        """Folders where a font file that comes, goes or changes may change what is found."""
        return ()


def licence_refusal(fs_type: int) -> str:
    """Why the OS/2 fsType bits forbid embedding a subset of the font; empty if they allow it."""
    if fs_type & 0x0002 and not fs_type & 0x000C:
        return N_("its licence forbids embedding (OS/2 fsType 0x0002)")
    if fs_type & 0x0200:
        return N_("its licence allows embedding bitmaps only, not outlines (OS/2 fsType 0x0200)")
    if fs_type & 0x0100:
        return N_(
            "its licence forbids embedding a subset, and PDFs embed subsets (OS/2 fsType 0x0100)"
        )
    return ""


@functools.cache
def _reportlab_font_class() -> type[Any]:
    """reportlab's TTFont with a ToUnicode map that is right for characters beyond U+FFFF."""
    from reportlab.pdfbase.ttfonts import TTFont

    class UnicodeTTFont(TTFont):  # type: ignore[misc]
        def addObjects(self, doc: Any) -> None:
            super().addObjects(doc)
            # reportlab writes <20BB7> for U+20BB7; a ToUnicode map wants UTF-16BE: <D842DFB7>.
            for name, stream in doc.idToObject.items():
                if isinstance(name, str) and name.startswith("toUnicodeCMap:"):
                    content = getattr(stream, "content", None)
                    if isinstance(content, str) and _ASTRAL.search(content):
                        stream.content = _ASTRAL.sub(_utf16_entry, content)

    return UnicodeTTFont


_ASTRAL = re.compile(r"^(<[0-9A-F]{2}> )<([0-9A-F]{5,6})>$", re.MULTILINE)


def _utf16_entry(match: re.Match[str]) -> str:
    code = chr(int(match.group(2), 16)).encode("utf-16-be").hex().upper()
    return f"{match.group(1)}<{code}>"


class LoadedFont:
    """A face registered with reportlab, with its character map and advances."""

    def __init__(self, face: FontFace) -> None:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFError

        from pipeline.fonts.parsecache import load_ttfont

        self.face = face
        digest = hashlib.sha1(f"{face.path}#{face.index}".encode()).hexdigest()[:8]
        stem = re.sub(r"[^A-Za-z0-9_-]", "", face.path.stem) or "font"
        self.name = f"{stem}-{face.index}-{digest}"
        try:
            font = load_ttfont(_reportlab_font_class(), self.name, face.path, face.index)
        except (TTFError, OSError, ValueError, IndexError) as exc:
            reason, hint = _("reportlab cannot read it ({reason})", reason=exc), UNREADABLE_HINT
            if "postscript outlines" in str(exc).casefold():
                reason, hint = CFF_REASON, CFF_HINT
            raise BulletinError.single(_(reason), file=face.path, hint=_(hint)) from None
        # reportlab keeps the first font registered under a name, and maps every later font whose
        # PostScript name is already known to that first one: a font swapped in place in fonts/,
        # or two files of the same face, would be drawn from the stale object. This one wins.
        pdfmetrics._fonts.pop(self.name, None)
        pdfmetrics._dynFaceNames.pop(font.face.name, None)
        pdfmetrics.registerFont(font)
        # Filled as characters are looked up when sfnt.py or the cache gave the face (facemaps.py)
        self._widths: dict[int, float] = font.face.charWidths
        self.cmap: dict[int, int] = font.face.charToGlyph
        self._advances: dict[str, float] = {}  # 1/1000 em, by character: one lookup each

    def has(self, char: str) -> bool:
        """Whether the face has a glyph for the character."""
        return ord(char) in self.cmap

    def advance_pt(self, char: str, size_pt: float) -> float:
        """The character's advance width at a size."""
        width = self._advances.get(char)
        if width is None:
            width = self._advances[char] = self._widths.get(ord(char), 1000.0)
        return width * size_pt / 1000.0


def describe(face: FontFace) -> str:
    """A face for messages: family and where it was found."""
    return f"{face.family} ({face.origin})"


@dataclass
class FontChain:
    """A role's fonts in order of preference; each character is drawn from the first that has it."""

    role: Role
    faces: list[FontFace]
    load: Callable[[FontFace], LoadedFont]
    notices: list[FontNotice] = field(default_factory=list)
    _by_char: dict[str, LoadedFont | None] = field(default_factory=dict)
    _failed: set[tuple[Path, int]] = field(default_factory=set)
    _primary: LoadedFont | None = None

    def fonts(self) -> Iterator[LoadedFont]:
        """The chain's fonts in order, skipping (and reporting) those that cannot be loaded."""
        for position, face in enumerate(self.faces):
            if face.where in self._failed:
                continue
            try:
                yield self.load(face)
            except BulletinError as exc:
                self._failed.add(face.where)
                self._refuse(face, position, exc.diagnostics[0])

    def _refuse(self, face: FontFace, position: int, problem: Diagnostic) -> None:
        rest = [f for f in self.faces[position + 1 :] if f.where not in self._failed]
        refused = _(
            "font {family} cannot be used: {reason}", family=face.family, reason=problem.message
        )
        if rest:
            refused += _(
                "; {role} text uses {font} instead", role=self.role, font=describe(rest[0])
            )
        self.notices.append(
            FontNotice(
                self.role,
                refused,
                problem.hint or "",
                face.path,
            )
        )

    @property
    def primary(self) -> LoadedFont:
        """The role's own font (the first in the chain that loads)."""
        if self._primary is None:
            self._primary = next(self.fonts(), None)
            if self._primary is None:
                raise BulletinError.single(
                    _("no font of the {role} role can be loaded", role=self.role),
                    hint=_(
                        "check the fonts in {folder}; reinstall the package if missing",
                        folder=BUNDLED_DIR,
                    ),
                )
        return self._primary

    def loaded(self) -> Iterator[LoadedFont]:
        """The chain's fonts loaded so far: its primary and those that drew a character."""
        return (font for font in (self._primary, *self._by_char.values()) if font is not None)

    def font_for(self, char: str) -> LoadedFont | None:
        """The first font of the chain that has the character; None if no font has it."""
        if char in self._by_char:
            return self._by_char[char]
        found = None
        if char in "\n\t ":
            found = self.primary
        else:
            found = next((font for font in self.fonts() if font.has(char)), None)
        self._by_char[char] = found
        return found


class FontLibrary:
    """Loads each face once and keeps it for later builds (a rebuild is 5× faster with them)."""

    def __init__(self, catalog: FontCatalog | None = None) -> None:
        self.catalog = catalog or FontCatalog()
        self._fonts: dict[tuple[Path, int], tuple[int, LoadedFont]] = {}  # face → (mtime, font)
        self._chains: dict[tuple[str, tuple[str, ...]], FontChain] = {}
        self._signature: tuple[object, ...] | None = None
        self._checked: set[tuple[Path, int]] = set()  # faces whose mtime this build has seen

    def load(self, face: FontFace) -> LoadedFont:
        """The loaded font of a face, parsed once until its file changes (looked at per build)."""
        known = self._fonts.get(face.where)
        if known is not None and face.where in self._checked:
            return known[1]  # a chain asks for each character it has not drawn yet
        try:
            mtime_ns = face.path.stat().st_mtime_ns
        except OSError as exc:
            raise BulletinError.single(
                _("cannot read the file ({reason})", reason=exc.strerror),
                file=face.path,
                hint=_(UNREADABLE_HINT),
            ) from None
        self._checked.add(face.where)
        if known is not None and known[0] == mtime_ns:
            return known[1]
        font = LoadedFont(face)  # a font swapped in place replaces the one loaded before
        self._fonts[face.where] = (mtime_ns, font)
        return font

    def chain(self, role: Role, families: Iterable[str]) -> FontChain:
        """The chain of a role: the named families found, then the bundled face and fallbacks."""
        names = tuple(families)
        key = (role, names)
        chain = self._chains.get(key)
        if chain is None:
            faces, notices = resolve_chain(role, names, self.catalog)
            chain = FontChain(role, faces, self.load, notices)
            self._chains[key] = chain
        return chain

    def chains(self, families_by_role: dict[Role, list[str]]) -> dict[Role, FontChain]:
        """A chain for every role (resolved again when the catalog's files change); a build
        asks for them first, so each face's file is looked at again once per build."""
        self._checked.clear()
        signature = self.catalog.signature()
        if signature != self._signature:
            self._chains.clear()
            self._signature = signature
        return {role: self.chain(role, families_by_role.get(role, [])) for role in ROLES}

    def warnings(self, chains: dict[Role, FontChain]) -> list[Diagnostic]:
        """Refused fonts of the catalog and of these chains, as warnings on the font files."""
        notices = [*self.catalog.notices(), *(n for c in chains.values() for n in c.notices)]
        return [n.diagnostic() for n in dict.fromkeys(notices)]


def resolve_chain(
    role: Role, families: Iterable[str], catalog: FontCatalog
) -> tuple[list[FontFace], list[FontNotice]]:
    """A role's faces (fonts/, then system, then the bundled set, own first) and refusals."""
    faces: list[FontFace] = []
    refusals: list[Refusal] = []
    for family in families:
        refusals += catalog.refused(family)
        face = catalog.find(family)
        if face is not None and face.where not in {f.where for f in faces}:
            faces.append(face)
    faces.sort(key=lambda face: ORIGIN_RANK[face.origin])
    for bundled_family, file_name in (BUNDLED[role], *BUNDLED_FALLBACKS[role]):
        face = FontFace(bundled_family, BUNDLED_DIR / file_name)
        if face.where not in {f.where for f in faces}:
            faces.append(face)
    notices: list[FontNotice] = []
    seen: set[tuple[Path, int]] = set()
    for refusal in refusals:
        if (refusal.path, refusal.index) in seen:
            continue  # one face found under several of the chain's names: report it once
        seen.add((refusal.path, refusal.index))
        message = _(
            "font {family} cannot be used: {reason}",
            family=refusal.family,
            reason=_(refusal.reason),
        ) + _("; {role} text uses {font} instead", role=role, font=describe(faces[0]))
        notices.append(FontNotice(role, message, refusal.hint, refusal.path))
    return faces, notices
