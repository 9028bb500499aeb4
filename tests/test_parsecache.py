"""The font parse cache: hits give the same fonts and PDF bytes; changed fonts and bad entries."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SERIES_TOML, issue_toml, write
from reportlab.pdfbase.ttfonts import TTFError, TTFont, TTFontFace

from pipeline.build import Builder
from pipeline.diagnostics import BulletinError
from pipeline.fonts import parsecache, subsets
from pipeline.fonts.chains import BUNDLED_DIR

BLACK = BUNDLED_DIR / "NotoSerifSC_900Black.ttf"
REGULAR = BUNDLED_DIR / "NotoSerifSC_400Regular.ttf"


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty cache folder."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every full parse of a font file by reportlab."""
    seen: list[str] = []
    original = TTFontFace.__init__

    def spy(self: Any, filename: str, *args: Any, **kwargs: Any) -> None:
        seen.append(filename)
        original(self, filename, *args, **kwargs)

    monkeypatch.setattr(TTFontFace, "__init__", spy)
    return seen


def entries(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.marshal"))


def test_a_hit_rebuilds_the_same_font_without_parsing(cache: Path, parses: list[str]) -> None:
    fresh = parsecache.load_ttfont(TTFont, "f", BLACK)
    assert parses == [str(BLACK)] and len(entries(cache)) == 1
    cached = parsecache.load_ttfont(TTFont, "f", BLACK)
    assert parses == [str(BLACK)]  # no second parse
    assert type(cached) is TTFont and vars(cached).keys() == vars(fresh).keys()
    assert cached.fontName == "f" and cached.shapable == fresh.shapable
    mine, theirs = vars(cached.face), vars(fresh.face)
    for attr, value in theirs.items():
        if attr in ("_pdfScale", "get_table", "makeSubset", "glyphToChar", "_ttf_data"):
            continue
        if attr in ("hmetrics", "glyphPos"):  # arrays, read only at the glyphs a subset uses
            assert list(mine[attr]) == list(value), attr
            continue
        assert mine[attr] == value and type(mine[attr]) is type(value), attr
    for attr in ("charToGlyph", "charWidths"):
        assert list(mine[attr].items()) == list(theirs[attr].items())
    assert cached.face.name.ustr == fresh.face.name.ustr
    assert cached.face._pdfScale(1234) == fresh.face._pdfScale(1234)
    raw = BLACK.read_bytes()
    assert isinstance(cached.face._ttf_data, parsecache.FontFile) and len(
        cached.face._ttf_data
    ) == len(raw)
    assert cached.face.get_chunk(1000, 64) == raw[1000:1064] and cached.face.get_ushort(4) == 19
    # glyphToChar is read from the entry only when something asks for it
    assert "glyphToChar" not in vars(cached.face)
    assert cached.face.glyphToChar == fresh.face.glyphToChar
    with pytest.raises(AttributeError):
        _ = cached.face.no_such_attribute


def test_subsets_are_the_same_bytes_from_a_hit_and_a_parse() -> None:
    fresh = parsecache.load_ttfont(TTFont, "f", BLACK)
    cached = parsecache.load_ttfont(TTFont, "f", BLACK)
    parsed = TTFont("plain", str(BLACK))  # reportlab alone, no view and no memo
    subset = [0, 32, *map(ord, "地方志工作简报，（一）2024年“数字方志”")]
    plain = subsets.without_tables(parsed.face.makeSubset(subset))  # what the memo keeps
    assert cached.face.makeSubset(subset) == plain
    assert fresh.face.makeSubset(subset) == plain
    assert cached.face.makeSubset(subset) is cached.face.makeSubset(subset)  # remembered


def build_series(folder: Path, output: Path) -> list[bytes]:
    write(folder / "issues" / "s" / "series.toml", SERIES_TOML)
    paths = [
        write(folder / "issues" / "s" / f"2024-0{n}.toml", issue_toml(n, total=10 + n))
        for n in (1, 2)
    ]
    builder = Builder(ROOT, output)
    return [builder.build(path).pdf.read_bytes() for path in paths]


def test_pdfs_are_byte_identical_with_and_without_the_cache(
    tmp_path: Path, cache: Path, parses: list[str]
) -> None:
    cold = build_series(tmp_path / "a", tmp_path / "out-a")
    parsed = len(parses)
    assert parsed >= 1 and entries(cache)
    warm = build_series(tmp_path / "b", tmp_path / "out-b")
    assert len(parses) == parsed  # every font came from the cache
    assert warm == cold


def test_a_changed_font_file_is_parsed_again(
    tmp_path: Path, cache: Path, parses: list[str]
) -> None:
    font = tmp_path / "x.ttf"
    shutil.copyfile(BLACK, font)
    assert parsecache.load_ttfont(TTFont, "x", font).face.familyName.ustr == "Noto Serif SC Black"
    shutil.copyfile(REGULAR, font)
    assert parsecache.load_ttfont(TTFont, "x", font).face.familyName.ustr == "Noto Serif SC"
    assert parses == [str(font), str(font)]
    assert len(entries(cache)) == 1  # the stale entry was replaced


def test_a_changed_table_checksum_is_a_change_even_with_the_same_size_and_time(
    tmp_path: Path, parses: list[str]
) -> None:
    font = tmp_path / "x.ttf"
    shutil.copyfile(BLACK, font)
    parsecache.load_ttfont(TTFont, "x", font)
    stat = font.stat()
    data = bytearray(font.read_bytes())
    data[12 + 4] ^= 0xFF  # the first table's checksum in the directory, as a font tool rewrites it
    with font.open("r+b") as stream:  # in place: same inode
        stream.write(data)
    os.utime(font, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert parsecache.file_key(font) == (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    parsecache.load_ttfont(TTFont, "x", font)
    assert parses == [str(font), str(font)]


def test_a_font_rewritten_in_place_while_in_use_is_reported(tmp_path: Path) -> None:
    font = tmp_path / "x.ttf"
    shutil.copyfile(BLACK, font)
    loaded = parsecache.load_ttfont(TTFont, "x", font)
    with font.open("ab") as stream:
        stream.write(b"\0" * 4)
    with pytest.raises(BulletinError) as caught:
        loaded.face.makeSubset([0, 32, ord("志")])
    assert caught.value.diagnostics[0].file == font


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "other-format"])
def test_a_corrupt_entry_is_ignored_and_rewritten(
    cache: Path, parses: list[str], damage: str
) -> None:
    parsecache.load_ttfont(TTFont, "f", BLACK)
    (entry,) = entries(cache)
    raw = entry.read_bytes()
    entry.write_bytes(
        {
            "garbage": b"\x00\xffnot a cache entry" * 100,
            "truncated": raw[: len(raw) // 2],
            "empty": b"",
            "other-format": raw.replace(b"bulletin-fontcache", b"bulletin-fontcachX", 1),
        }[damage]
    )
    font = parsecache.load_ttfont(TTFont, "f", BLACK)
    assert font.face.charToGlyph[ord("志")] > 0
    assert len(parses) == 2
    parsecache.load_ttfont(TTFont, "f", BLACK)
    assert len(parses) == 2  # the rewritten entry is good again


def test_an_unwritable_cache_folder_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(blocker / "cache"))
    font = parsecache.load_ttfont(TTFont, "f", BLACK)
    assert font.face.charToGlyph[ord("志")] > 0


def test_a_missing_font_file_raises_what_reportlab_raises(tmp_path: Path) -> None:
    with pytest.raises(TTFError, match="open"):
        parsecache.load_ttfont(TTFont, "f", tmp_path / "missing.ttf")
