"""Compressed font programs on disk (fonts/programstore.py): the same bytes as a program made
afresh, never one of another face, file or glyph set; a damaged entry ignored; bounded."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from reportlab.pdfbase.ttfonts import TTFont

from pipeline.fonts import parsecache, programstore, subsets
from pipeline.fonts.chains import BUNDLED_DIR

KAI = BUNDLED_DIR / "FandolKai-Regular.ttf"


@pytest.fixture(autouse=True)
def cache(cache_folder: Path) -> Path:
    """Every test gets its own empty cache folder."""
    return cache_folder


@pytest.fixture
def made(programs_made: list[int]) -> list[int]:
    """The glyph counts of the programs made (not read from disk)."""
    return programs_made


def _face(path: Path) -> Any:
    """A face as a build loads it (its bytes a font file read on demand), its memo empty."""
    return parsecache.load_ttfont(TTFont, "f", path).face


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / programstore.FOLDER).glob("*.program"))


def test_a_program_from_disk_is_the_one_made(cache: Path, made: list[int]) -> None:
    first = subsets.font_program(_face(KAI), [10, 11, 12])
    assert len(made) == 1 and len(_entries(cache)) == 1
    again = subsets.font_program(_face(KAI), [12, 11, 10])  # another process: memo empty
    assert again == first and again is not first and len(made) == 1
    other = subsets.font_program(_face(KAI), [10, 11, 13])  # other glyphs: made
    assert other.tag != first.tag and len(made) == 2 and len(_entries(cache)) == 2


def test_a_program_is_never_taken_for_another_file_or_changed_bytes(
    tmp_path: Path, cache: Path, made: list[int]
) -> None:
    copy = tmp_path / "kai.ttf"
    shutil.copyfile(KAI, copy)
    subsets.font_program(_face(KAI), [10, 11])
    subsets.font_program(_face(copy), [10, 11])  # the same bytes elsewhere: its own entry
    assert len(made) == 2
    stat = copy.stat()
    raw = bytearray(copy.read_bytes())
    name = raw.index(b"name")  # the name table's checksum: the same size and glyphs
    raw[name + 4] ^= 0xFF
    copy.write_bytes(bytes(raw))
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, mtime and inode
    assert (copy.stat().st_size, copy.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    subsets.font_program(_face(copy), [10, 11])
    assert len(made) == 3


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "other-format"])
def test_a_damaged_entry_is_ignored_and_written_again(
    cache: Path, made: list[int], damage: str
) -> None:
    first = subsets.font_program(_face(KAI), [10, 11])
    (entry,) = _entries(cache)
    raw = entry.read_bytes()
    entry.write_bytes(
        {
            "garbage": b"\x00\xffnot an entry" * 100,
            "truncated": raw[: len(raw) - 10],
            "empty": b"",
            "other-format": raw.replace(b"program-2", b"program-X", 1),
        }[damage]
    )
    assert subsets.font_program(_face(KAI), [10, 11]) == first and len(made) == 2
    assert entry.read_bytes() == raw
    assert subsets.font_program(_face(KAI), [10, 11]) == first and len(made) == 2


def test_a_long_run_of_saves_never_keeps_more_than_the_bound_and_the_saves_since_a_trim(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(programstore, "FILES_KEPT", 3)
    monkeypatch.setattr(programstore, "_SAVES", [0])  # a new process
    face = _face(KAI)
    counts = []
    for glyph in range(20, 60):
        subsets.font_program(face, [glyph])
        counts.append(len(_entries(cache)))
    assert max(counts) == 3 + programstore.TRIM_EVERY - 1
    assert counts[programstore.TRIM_EVERY] == 3  # trimmed again after TRIM_EVERY saves
    newest = programstore.entry(face, subsets.array("H", [0, 59]).tobytes())
    assert newest is not None and newest[0] in _entries(cache)


def test_the_first_save_of_a_process_trims_the_folder(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    face = _face(KAI)
    for glyph in range(20, 32):  # left by earlier processes
        monkeypatch.setattr(programstore, "_SAVES", [1])  # no save here trims
        subsets.font_program(face, [glyph])
    assert len(_entries(cache)) == 12
    monkeypatch.setattr(programstore, "FILES_KEPT", 3)
    monkeypatch.setattr(programstore, "_SAVES", [0])  # a new process
    subsets.font_program(face, [40])
    kept = _entries(cache)
    newest = programstore.entry(face, subsets.array("H", [0, 40]).tobytes())
    assert len(kept) == 3 and newest is not None and newest[0] in kept


def test_a_cache_folder_that_cannot_be_written_costs_only_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made: list[int]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(blocker / "cache"))
    first = subsets.font_program(_face(KAI), [10, 11])
    assert subsets.font_program(_face(KAI), [10, 11]) == first and len(made) == 2
