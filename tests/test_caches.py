"""The caches listed in pipeline/files.py: each is invalidated when what it depends on changes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SERIES_TOML, issue_toml, write
from fontmaker import BODY, MadeFonts, rename, subset_font
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace

from pipeline.build import KEPT_CACHES, Builder
from pipeline.fonts import parsecache, subsets
from pipeline.fonts.chains import BUNDLED_DIR
from pipeline.layout import draw
from pipeline.layout.pages import LineCache
from pipeline.source.load import load_issue

RARE = "堃喆犇玥"  # outside GB2312: a GB2312-only 仿宋 needs a fallback font for them


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BULLETIN_NO_SYSTEM_FONTS", "1")


def fallbacks(warnings: list[Any]) -> set[str]:
    return {c for w in warnings if "fallback" in w.message for c in RARE if c in w.message}


def test_a_font_swapped_in_place_in_fonts_is_used_by_the_next_warm_rebuild(
    tmp_path: Path, made: MadeFonts
) -> None:
    (tmp_path / "fonts").mkdir()
    font = tmp_path / "fonts" / "仿宋_GB2312.ttf"
    shutil.copyfile(made.fangsong_gb2312, font)
    write(tmp_path / "issues" / "s" / "series.toml", SERIES_TOML)
    issue = write(tmp_path / "issues" / "s" / "2024-01.toml", issue_toml(1, body=BODY))
    builder = Builder(tmp_path)
    assert fallbacks(builder.build(issue).warnings) == set(RARE)

    # The same family name, now with every character: rewritten in place, same path and inode.
    fuller = rename(
        subset_font("NotoSerifSC_400Regular.ttf", BODY), "仿宋_GB2312", "FangSong_GB2312"
    )
    swapped = tmp_path / "fuller.ttf"
    fuller.save(swapped)
    inode = font.stat().st_ino
    font.write_bytes(swapped.read_bytes())
    assert font.stat().st_ino == inode
    assert fallbacks(builder.build(issue).warnings) == set()  # the same Builder, warm


def test_the_line_cache_of_a_long_running_builder_stays_bounded_over_1000_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(draw, "render_pdf", lambda *args, **kwargs: b"")  # composing is the test
    write(tmp_path / "issues" / "s" / "series.toml", SERIES_TOML)
    issue = tmp_path / "issues" / "s" / "2024-01.toml"
    builder = Builder(tmp_path)
    cache = builder.line_caches[issue.resolve()] = LineCache()
    sizes = []
    for edit in range(1000):
        issue.write_text(issue_toml(1, body=f"第{edit}次修改的段落。\n\n不变的段落。"), "utf-8")
        builder.char_reports(load_issue(issue))  # composes every block, as a rebuild does
        kept = vars(cache)  # what it holds between builds, and what the last build used
        sizes.append(len(kept["_entries"].keys() | kept["_used"].keys()))
    assert max(sizes) == sizes[0] == sizes[-1]  # one document's blocks, however many edits


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records every parse of a font file (by sfnt.py or by reportlab), not from the cache."""
    seen: list[str] = []
    original = parsecache.parse

    def spy(font_class: Any, name: str, path: Path, *args: Any) -> Any:
        seen.append(str(path))
        return original(font_class, name, path, *args)

    monkeypatch.setattr(parsecache, "parse", spy)
    yield seen


def test_the_font_parse_cache_entry_is_found_again_through_a_symlink(
    tmp_path: Path, parses: list[str]
) -> None:
    real = BUNDLED_DIR / "NotoSerifSC_900Black.ttf"
    one, two = tmp_path / "one.ttf", tmp_path / "install-2" / "two.ttf"
    two.parent.mkdir()
    one.symlink_to(real)
    two.symlink_to(real)
    for path in (one, two, real, one):
        assert parsecache.load_ttfont(TTFont, "f", path).face.familyName.ustr
    assert len(parses) == 1  # parsed once, then found by the real file however it is reached
    assert len(list((tmp_path / "cache").rglob("*.marshal"))) == 1


def test_the_subset_memo_keeps_only_the_most_recently_used_subsets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[tuple[int, ...]] = []
    original = TTFontFace.makeSubset

    def counting(self: Any, subset: list[int]) -> bytes:
        made.append(tuple(subset))
        return original(self, subset)  # type: ignore[no-any-return]

    monkeypatch.setattr(TTFontFace, "makeSubset", counting)
    face = parsecache.load_ttfont(TTFont, "f", BUNDLED_DIR / "NotoSerifSC_900Black.ttf").face
    first = [0, 1, 2]
    face.makeSubset(first)
    face.makeSubset(first)
    assert made == [tuple(first)]  # remembered
    for glyph in range(3, 3 + subsets.SUBSETS_KEPT):
        face.makeSubset([0, glyph])
    face.makeSubset(first)
    assert made.count(tuple(first)) == 2  # pushed out by SUBSETS_KEPT newer ones: made again


def test_a_batch_keeps_the_line_caches_of_its_last_issues_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(draw, "render_pdf", lambda *args, **kwargs: b"")  # composing is the test
    write(tmp_path / "issues" / "s" / "series.toml", SERIES_TOML)
    builder = Builder(tmp_path)
    issues = []
    for number in range(1, KEPT_CACHES + 4):
        issue = tmp_path / "issues" / "s" / f"2024-{number:02}.toml"
        issue.write_text(issue_toml(number, body=f"第{number}期的段落。"), "utf-8")
        issues.append(issue.resolve())
        builder.char_reports(load_issue(issue))
    assert list(builder.line_caches) == issues[-KEPT_CACHES:]  # bounded, the latest kept
    kept = builder.line_caches[issues[-KEPT_CACHES]]
    builder.char_reports(load_issue(issues[-KEPT_CACHES]))  # built again: its cache reused
    assert builder.line_caches[issues[-KEPT_CACHES]] is kept
    assert list(builder.line_caches)[-1] == issues[-KEPT_CACHES]
