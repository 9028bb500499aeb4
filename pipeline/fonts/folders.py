"""Where font files are: the system's font folders, and the font files below a folder."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

FONT_SUFFIXES = frozenset({".ttf", ".ttc", ".otf", ".otc"})


def font_files(folder: Path, skip: Sequence[Path] = ()) -> list[Path]:
    """Font files below a folder in sorted order, leaving out the `skip` folders and hidden ones."""
    return [path for path, _stat in font_entries(folder, skip)]


SizeAndMtime = tuple[int, int] | None  # size and mtime_ns; None if the file cannot be looked at


def font_entries(folder: Path, skip: Sequence[Path] = ()) -> list[tuple[Path, SizeAndMtime]]:
    """`font_files` with each file's size and mtime, as the folder listing gives them (on
    Windows without asking for each file again: a system font folder holds hundreds)."""
    found: list[tuple[Path, SizeAndMtime]] = []
    if not folder.is_dir():
        return found
    _walk(str(folder), {p.resolve() for p in skip}, found)
    return found


def _walk(here: str, skipped: set[Path], found: list[tuple[Path, SizeAndMtime]]) -> None:
    """One folder's font files, then its subfolders' (os.walk's order; links not followed)."""
    try:
        with os.scandir(here) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError:
        return
    folders = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_folder = entry.is_dir()
        except OSError:
            is_folder = False
        if is_folder:
            folders.append(entry)
        elif os.path.splitext(entry.name)[1].lower() in FONT_SUFFIXES:
            try:
                stat = entry.stat()
                found.append((Path(entry.path), (stat.st_size, stat.st_mtime_ns)))
            except OSError:
                found.append((Path(entry.path), None))
    for entry in folders:
        if Path(entry.path).resolve() in skipped or entry.is_symlink():
            continue
        _walk(entry.path, skipped, found)


def system_font_dirs() -> list[Path]:
    """The operating system's font folders (Windows, macOS, or Linux and other Unix)."""
    home = Path.home()
    if sys.platform == "win32":
        windir = Path(os.environ.get("WINDIR", r"C:\Windows"))
        local = os.environ.get("LOCALAPPDATA")
        return [
            windir / "Fonts",
            *([Path(local) / "Microsoft" / "Windows" / "Fonts"] if local else []),
        ]
    if sys.platform == "darwin":
        return [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library" / "Fonts"]
    data_home = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return [
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        data_home / "fonts",
        home / ".fonts",
    ]
