"""Font discovery: family names stored inside the font files of fonts/ and the system's folders."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline.files import cache_dir, write_atomically
from pipeline.fonts.chains import (
    BUNDLED_DIR,
    CFF_HINT,
    CFF_REASON,
    LICENCE_HINT,
    UNREADABLE_HINT,
    FontCatalog,
    FontFace,
    FontNotice,
    Origin,
    Refusal,
    family_key,
    licence_refusal,
)
from pipeline.fonts.folders import SizeAndMtime, font_entries, system_font_dirs
from pipeline.i18n import N_, _

NO_SYSTEM_FONTS = "BULLETIN_NO_SYSTEM_FONTS"
CACHE_VERSION = 1
FAMILY_IDS = (1, 16)  # family, typographic family
OTHER_IDS = (4, 6)  # full name, PostScript name


@dataclass(frozen=True)
class ScannedFace:
    """One face of a font file: its names, style, and why it cannot be used ("" if it can)."""

    path: str
    index: int
    families: tuple[str, ...] = ()  # name ID 1, every platform and language
    typographic: tuple[str, ...] = ()  # name ID 16
    other_names: tuple[str, ...] = ()  # name IDs 4 and 6
    weight: int = 400
    italic: bool = False
    refusal: str = ""
    hint: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScannedFace:
        """Rebuild a face from its cached JSON form."""
        for key in ("families", "typographic", "other_names"):
            data[key] = tuple(data.get(key, ()))
        return cls(**data)

    def names(self) -> Iterator[tuple[int, str]]:
        """Every name the face can be found by, with its level: family, typographic, other."""
        for level, names in enumerate((self.families, self.typographic, self.other_names)):
            for name in names:
                yield level, name

    def rank(self, level: int) -> tuple[int, bool, int, str, int]:
        """Sort key among faces matching a name: closest to a regular upright face first."""
        return (level, self.italic, abs(self.weight - 400), self.path, self.index)


def scan_file(path: Path) -> list[ScannedFace]:
    """Every face of a font file (TTC collections face by face): read by namescan.py, or by
    fontTools (lazily) when the file needs it."""
    from pipeline.fonts.namescan import read_faces

    def describe(
        index: int, names: dict[int, list[str]], os2: tuple[int, int, int] | None, tags: set[str]
    ) -> ScannedFace:
        return _scanned(path, index, names, os2, tags.__contains__)

    try:
        with path.open("rb") as stream:

            def read(offset: int, length: int) -> bytes:
                stream.seek(offset)
                return stream.read(length)

            found = read_faces(read, (*FAMILY_IDS, *OTHER_IDS), describe)
    except OSError:
        found = None
    return found if found is not None else _scan_with_fonttools(path)


def _scan_with_fonttools(path: Path) -> list[ScannedFace]:
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.ttCollection import TTCollection

    try:
        with path.open("rb") as stream:
            is_collection = stream.read(4) == b"ttcf"
        if is_collection:
            with TTCollection(str(path), lazy=True) as collection:
                return [_describe(path, i, font) for i, font in enumerate(collection.fonts)]
        with TTFont(str(path), lazy=True) as font:
            return [_describe(path, 0, font)]
    except Exception as exc:  # fontTools raises many kinds of error for damaged files
        return [
            ScannedFace(
                str(path), 0, refusal=f"cannot read the font file ({exc})", hint=UNREADABLE_HINT
            )
        ]


def _describe(path: Path, index: int, font: Any) -> ScannedFace:
    """Names, style and refusal of one face opened by fontTools."""
    try:
        names: dict[int, list[str]] = {i: [] for i in (*FAMILY_IDS, *OTHER_IDS)}
        for record in font["name"].names:
            if record.nameID in names:
                text = record.toUnicode(errors="replace").strip().strip("\x00")
                if text and text not in names[record.nameID]:
                    names[record.nameID].append(text)
        table = font.get("OS/2")
        os2 = None if table is None else (table.usWeightClass, table.fsSelection, table.fsType)
        return _scanned(path, index, names, os2, font.__contains__)
    except Exception as exc:  # a damaged table
        return ScannedFace(
            str(path), index, refusal=f"cannot read the font file ({exc})", hint=UNREADABLE_HINT
        )


def _scanned(
    path: Path,
    index: int,
    names: dict[int, list[str]],
    os2: tuple[int, int, int] | None,
    has: Callable[[str], bool],
) -> ScannedFace:
    """A face from its names, its OS/2 (usWeightClass, fsSelection, fsType) and its tables."""
    weight = int(os2[0]) if os2 is not None else 400
    italic = bool(os2[1] & 0x01) if os2 is not None else False
    if os2 is not None and os2[1] & 0x20:
        weight = max(weight, 700)
    licence = licence_refusal(int(os2[2])) if os2 is not None else ""
    refusal, hint = "", ""
    if has("CFF ") or has("CFF2"):
        refusal, hint = CFF_REASON, CFF_HINT
    elif licence:
        refusal, hint = licence, LICENCE_HINT
    elif not has("glyf"):
        refusal, hint = N_("it has no TrueType outlines (glyf table)"), CFF_HINT
    return ScannedFace(
        str(path),
        index,
        tuple(names[1]),
        tuple(names[16]),
        tuple(dict.fromkeys(names[4] + names[6])),
        weight,
        italic,
        refusal,
        hint,
    )


def default_cache_file() -> Path:
    """Where scan results are kept: fontscan.json in bulletin's cache folder."""
    return cache_dir() / "fontscan.json"


def system_fonts_disabled() -> bool:
    """Whether BULLETIN_NO_SYSTEM_FONTS asks to leave the system's font folders alone."""
    return os.environ.get(NO_SYSTEM_FONTS, "").strip() not in ("", "0")


class ScanCache:
    """Scan results by file, reused while the file's size and mtime stay the same."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, dict[str, Any]] = self._read()
        self._dirty = False

    def _read(self) -> dict[str, dict[str, Any]]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        ok = isinstance(data, dict) and data.get("version") == CACHE_VERSION
        files = data.get("files") if ok else None
        return files if isinstance(files, dict) else {}

    def faces(self, file: Path, stat: SizeAndMtime | bool = True) -> list[ScannedFace]:
        """The faces of a file, from the cache when the file is unchanged (its size and mtime
        as given, or looked at now)."""
        if stat is True:
            try:
                found = file.stat()
            except OSError:
                return []
            stat = found.st_size, found.st_mtime_ns
        if not stat:
            return []
        size, mtime_ns = stat
        key = str(file)
        entry = self._entries.get(key)
        same = entry and (entry.get("size"), entry.get("mtime_ns")) == (size, mtime_ns)
        if entry and same:
            try:
                return [ScannedFace.from_json(dict(f)) for f in entry["faces"]]
            except (TypeError, KeyError):
                pass
        faces = scan_file(file)
        self._entries[key] = {
            "size": size,
            "mtime_ns": mtime_ns,
            "faces": [asdict(f) for f in faces],
        }
        self._dirty = True
        return faces

    def save(self) -> None:
        """Write the cache if it changed, dropping files that are gone; never fails a build."""
        if not self._dirty or self.path is None:
            return
        self._entries = {k: v for k, v in self._entries.items() if os.path.exists(k)}
        data = {"version": CACHE_VERSION, "files": self._entries}
        try:
            write_atomically(self.path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
            self._dirty = False
        except OSError:
            pass


class ScanningCatalog(FontCatalog):
    """Finds a family in <project>/fonts/, then in the system's font folders, then bundled."""

    def __init__(
        self,
        project_root: Path,
        *,
        system_dirs: Sequence[Path] | None = None,
        cache_file: Path | None = None,
        use_cache: bool = True,
    ) -> None:
        self.user_dir = project_root / "fonts"
        self.skip = (BUNDLED_DIR, self.user_dir / "bundled")
        if system_dirs is None:
            system_dirs = [] if system_fonts_disabled() else system_font_dirs()
        self.system_dirs = list(system_dirs)
        self.cache = ScanCache((cache_file or default_cache_file()) if use_cache else None)
        self._listing: tuple[object, ...] | None = None
        self._user: list[ScannedFace] | None = None
        self._system: list[ScannedFace] | None = None
        self._indexes: dict[Origin, dict[str, list[tuple[int, ScannedFace, str]]]] = {}
        self._found: dict[str, tuple[FontFace | None, list[Refusal]]] = {}

    def user_faces(self) -> list[ScannedFace]:
        """Every face in fonts/ (not fonts/bundled/)."""
        if self._user is None:
            self._user = self._scan([self.user_dir])
        return self._user

    def system_faces(self) -> list[ScannedFace]:
        """Every face in the system's font folders, scanned once (and cached on disk)."""
        if self._system is None:
            self._system = self._scan(self.system_dirs)
        return self._system

    def _scan(self, folders: Sequence[Path]) -> list[ScannedFace]:
        faces = [
            face
            for folder in folders
            for file, stat in font_entries(folder, self.skip)
            for face in self.cache.faces(file, stat)
        ]
        self.cache.save()
        return faces

    def _index(self, origin: Origin) -> dict[str, list[tuple[int, ScannedFace, str]]]:
        """Faces of a tier by family key, each with how well the name matches and the name."""
        index = self._indexes.get(origin)
        if index is None:
            index = {}
            faces = self.user_faces() if origin == "fonts/" else self.system_faces()
            for face in faces:
                for level, name in face.names():
                    entries = index.setdefault(family_key(name), [])
                    if all(entry[1] is not face for entry in entries):
                        entries.append((level, face, name))
            self._indexes[origin] = index
        return index

    def _lookup(self, family: str) -> tuple[FontFace | None, list[Refusal]]:
        """The best usable face for a name, tier by tier, and the refused faces seen on the way."""
        key = family_key(family)
        if key in self._found:
            return self._found[key]
        refusals: list[Refusal] = []
        found: FontFace | None = None
        tiers: list[Origin] = ["fonts/", "system"] if self.system_dirs else ["fonts/"]
        for origin in tiers:
            matches = self._index(origin).get(key, [])
            refusals += [
                Refusal(name, Path(face.path), face.index, origin, face.refusal, face.hint)
                for _, face, name in matches
                if face.refusal
            ]
            usable = [
                (face.rank(level), face, name) for level, face, name in matches if not face.refusal
            ]
            if usable:
                _, best, name = min(usable, key=lambda item: item[0])
                found = FontFace(name, Path(best.path), best.index, origin)
                break
        self._found[key] = (found, refusals)
        return found, refusals

    def find(self, family: str) -> FontFace | None:
        """The face named `family`: fonts/ first, then the system's folders, then bundled."""
        return self._lookup(family)[0] or super().find(family)

    def refused(self, family: str) -> list[Refusal]:
        """Faces named `family` in fonts/ or the system folders that cannot be used."""
        return self._lookup(family)[1]

    def notices(self) -> list[FontNotice]:
        """Files in fonts/ that cannot be read at all (their names are unknown)."""
        return [
            FontNotice(
                None,
                _("font file cannot be used: {reason}", reason=_(face.refusal)),
                face.hint,
                Path(face.path),
            )
            for face in self.user_faces()
            if face.refusal and not (face.families or face.typographic)
        ]

    def folders(self) -> tuple[Path, ...]:
        """fonts/ of the project (the system's folders are scanned once, not watched)."""
        return (self.user_dir,)

    def signature(self) -> tuple[object, ...]:
        """The files in fonts/ with their sizes and mtimes; a change rescans fonts/."""
        listing: list[object] = []
        for file, stat in font_entries(self.user_dir, self.skip):
            if stat is not None:
                listing.append((str(file), *stat))
        signature = tuple(listing)
        if signature != self._listing:
            self._listing = signature
            self._user = None
            self._indexes.pop("fonts/", None)
            self._found.clear()
        return signature
