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
def cache(cache_folder: Path) -> Path:
    """Every test gets its own empty cache folder."""
    return cache_folder


def entries(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.marshal"))


def test_a_hit_rebuilds_the_same_font_without_parsing(cache: Path, parses: list[str]) -> None:
    fresh = parsecache.load_ttfont(TTFont, "f", BLACK)
    assert parses == [str(BLACK)] and len(entries(cache)) == 1
    cached = parsecache.load_ttfont(TTFont, "f", BLACK)
    assert parses == [str(BLACK)]  # no second parse
    assert type(cached) is TTFont and vars(cached).keys() == vars(fresh).keys()
    assert cached.fontName == "f" and cached.shapable == fresh.shapable
    same_face(cached.face, TTFontFace(str(BLACK)))
    raw = BLACK.read_bytes()
    assert isinstance(cached.face._ttf_data, parsecache.FontFile) and len(
        cached.face._ttf_data
    ) == len(raw)
    assert cached.face.get_chunk(1000, 64) == raw[1000:1064] and cached.face.get_ushort(4) == 19
    # glyphToChar (only reportlab's shaping reads it) is made only when something asks for it
    assert "glyphToChar" not in vars(cached.face)
    assert cached.face.glyphToChar[cached.face.charToGlyph[ord("志")]] == [ord("志")]
    with pytest.raises(AttributeError):
        _ = cached.face.no_such_attribute


def test_a_hits_maps_and_metrics_are_views_of_the_entry_not_copies(cache: Path) -> None:
    fresh = parsecache.load_ttfont(TTFont, "f", REGULAR).face
    cached = parsecache.load_ttfont(TTFont, "f", REGULAR).face
    maps = cached._maps
    metrics = cached.hmetrics
    views = (maps.bmp, maps.codes, maps.glyphs, maps.widths, cached.glyphPos, metrics.advances)
    assert all(isinstance(view, memoryview) for view in (*views, metrics.bearings))
    assert maps.blobs() == fresh._maps.blobs()  # what the cache keeps, the same again
    assert [type(v) for v in (maps.widths[5], cached.glyphPos[5])] == [int, int]
    assert cached.hmetrics == fresh.hmetrics and list(cached.glyphPos) == list(fresh.glyphPos)


def same_face(mine: Any, theirs: Any) -> None:
    """Every attribute reportlab's parse sets has the same value (and type) in `mine`."""
    skipped = ("_pdfScale", "get_table", "makeSubset", "glyphToChar", "_ttf_data", "_pos")
    for attr, value in vars(theirs).items():
        if attr in skipped:
            continue
        if attr in ("charToGlyph", "charWidths"):
            found = getattr(mine, attr)
            assert all(found[c] == v and type(found[c]) is type(v) for c, v in value.items())
            codes = set(mine._maps.codes_in_order())  # what `in` answers True for
            assert codes == set(value) if attr == "charToGlyph" else codes >= set(value)
        elif attr == "hmetrics":  # only makeSubset reads them, as int(advance), int(bearing)
            assert [(int(a), int(b)) for a, b in getattr(mine, attr)] == [
                (int(a), int(b)) for a, b in value
            ]
        elif attr == "glyphPos":
            assert list(getattr(mine, attr)) == list(value)
        else:
            assert getattr(mine, attr) == value and type(getattr(mine, attr)) is type(value), attr
    assert mine.name.ustr == theirs.name.ustr
    assert mine._pdfScale(1234) == theirs._pdfScale(1234)


@pytest.mark.parametrize("name", sorted(p.name for p in BUNDLED_DIR.glob("*.ttf")))
def test_sfnt_reads_every_bundled_face_as_reportlab_does(name: str) -> None:
    path = BUNDLED_DIR / name
    data = parsecache.FontFile(path.resolve(), parsecache.file_key(path))
    read = parsecache.parse(TTFont, "f", path.resolve(), 0, data)
    assert "_maps" in vars(read.face)  # read by sfnt.py, not by reportlab
    same_face(read.face, TTFontFace(str(path.resolve())))


def test_a_face_sfnt_does_not_read_is_parsed_by_reportlab_and_cached_too(
    tmp_path: Path, cache: Path, parses: list[str]
) -> None:
    from fontTools.ttLib import TTFont as ToolsFont

    tools = ToolsFont(str(REGULAR))
    keep = {c for c in tools.getBestCmap() if c < 0x3000}
    for table in tools["cmap"].tables:  # format 6 (trimmed): one sfnt.py leaves to reportlab
        if table.format == 4:
            table.format = 6
            table.cmap = {c: g for c, g in table.cmap.items() if c in keep}
    tools["cmap"].tables = [t for t in tools["cmap"].tables if t.format == 6]
    font = tmp_path / "odd.ttf"
    tools.save(str(font))
    data = parsecache.FontFile(font, parsecache.file_key(font))
    assert parsecache._read_face(font, 0, data) is None
    parsed = parsecache.load_ttfont(TTFont, "odd", font)
    assert "_maps" not in vars(parsed.face) and len(entries(cache)) == 1
    cached = parsecache.load_ttfont(TTFont, "odd", font)
    assert parses == [str(font)]
    same_face(cached.face, TTFontFace(str(font)))


def test_widths_are_in_the_dict_before_reportlab_measures_a_string() -> None:
    """reportlab's C width function reads charWidths as a dict: textOut splits a string (each
    character looked up) before measuring it, and the space is there from the start."""
    parsecache.load_ttfont(TTFont, "f", BLACK)
    cached = parsecache.load_ttfont(TTFont, "f", BLACK)
    parsed = TTFont("plain", str(BLACK))
    widths = cached.face.charWidths
    assert set(widths) == {0x20, 0xA0}  # nothing else read yet
    text = "地方志 工作简报，（一）2024年“数字方志”\u00a0"
    cached.splitString(text, object.__new__(Doc))
    assert cached.stringWidth(text, 16) == parsed.stringWidth(text, 16)
    assert dict.__contains__(widths, ord("志"))  # looked up by splitString
    assert not dict.__contains__(widths, ord("丁"))  # never looked up
    assert widths.get(0x10FFFF, -1) == -1 and 0x10FFFF not in cached.face.charToGlyph


class Doc:
    """A stand-in for the PDF document reportlab keeps a font's subsets for."""


def test_programs_are_the_same_bytes_from_a_hit_and_a_parse() -> None:
    fresh = parsecache.load_ttfont(TTFont, "f", BLACK)
    cached = parsecache.load_ttfont(TTFont, "f", BLACK)
    parsed = TTFont("plain", str(BLACK))  # reportlab alone, no view
    text = "地方志工作简报，（一）2024年“数字方志”"
    glyphs = [parsed.face.charToGlyph[ord(char)] for char in text]
    plain = subsets.font_program(parsed.face, glyphs)
    assert [cached.face.charToGlyph[ord(char)] for char in text] == glyphs
    assert subsets.font_program(cached.face, glyphs) == plain
    assert subsets.font_program(fresh.face, glyphs) == plain
    assert subsets.font_program(cached.face, glyphs) is subsets.font_program(cached.face, glyphs)


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
        subsets.font_program(loaded.face, [loaded.face.charToGlyph[ord("志")]])
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
