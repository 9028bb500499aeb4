"""The caches listed in pipeline/files.py: each is invalidated when what it depends on changes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import ROOT, SERIES_TOML, issue_toml, write
from fontmaker import BODY, MadeFonts, rename, subset_font
from reportlab.pdfbase.ttfonts import TTFont

from pipeline.build import KEPT_CACHES, Builder
from pipeline.diagnostics import BulletinError
from pipeline.fonts import parsecache
from pipeline.fonts.chains import BUNDLED_DIR
from pipeline.layout import draw
from pipeline.layout.pages import LineCache
from pipeline.source.load import load_issue

RARE = "堃喆犇玥"  # outside GB2312: a GB2312-only 仿宋 needs a fallback font for them


pytestmark = pytest.mark.usefixtures("isolated_fonts")  # no system fonts; an own cache folder


def fallbacks(warnings: list[Any]) -> set[str]:
    return {c for w in warnings if "fallback" in w.message for c in RARE if c in w.message}


def test_a_font_swapped_in_place_in_fonts_is_used_by_the_next_warm_rebuild(
    tmp_path: Path, made: MadeFonts, monkeypatch: pytest.MonkeyPatch
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
    rebuilt = builder.build(issue)  # the same Builder, warm
    assert fallbacks(rebuilt.warnings) == set()
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "fresh-cache"))
    fresh = Builder(tmp_path, tmp_path / "fresh").build(issue)  # nothing kept from before
    assert rebuilt.pdf.read_bytes() == fresh.pdf.read_bytes()
    # drawn with the new face's glyph ids, not the ones remembered for the old face
    order = fuller.getGlyphOrder()
    wanted = {order.index(fuller.getBestCmap()[ord(char)]) for char in RARE}
    shown: set[int] = set()
    with pikepdf.open(rebuilt.pdf) as pdf:
        for page in pdf.pages:
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "Tj":
                    codes = bytes(operands[0])
                    shown |= {
                        int.from_bytes(codes[i : i + 2], "big") for i in range(0, len(codes), 2)
                    }
    assert wanted <= shown


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


@pytest.mark.usefixtures("drawn_anew")  # each build composes, as a batch of new issues does
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


def rewrite_keeping_time(path: Path, old: str, new: str) -> None:
    """Change a file in place as an editor may: same size and mtime, other bytes."""
    import os

    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text and len(old.encode()) == len(new.encode())
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Records every issue file parsed and checked (not taken from a Builder's kept sources)."""
    from pipeline.source import load

    seen: list[Path] = []
    original = load.check_sources

    def spy(path: Path, *args: Any) -> Any:
        seen.append(path)
        return original(path, *args)

    monkeypatch.setattr(load, "check_sources", spy)
    return seen


def test_an_unchanged_issue_is_not_parsed_again_and_any_edit_is_picked_up(
    tmp_path: Path, checks: list[Path]
) -> None:
    series = tmp_path / "issues" / "s"
    write(series / "series.toml", SERIES_TOML)
    issue = write(series / "2024-01.toml", issue_toml(body="第一段正文。"))
    builder = Builder(tmp_path, tmp_path / "out")
    first = builder.build(issue).pdf.read_bytes()
    assert builder.build(issue).pdf.read_bytes() == first and checks == [issue]
    rewrite_keeping_time(issue, "第一段正文。", "第二段正文。")  # the issue itself
    edited = builder.build(issue).pdf.read_bytes()
    assert edited != first and len(checks) == 2
    assert edited == Builder(tmp_path, tmp_path / "fresh").build(issue).pdf.read_bytes()
    rewrite_keeping_time(series / "series.toml", "测试编发单位", "测试编写单位")  # its series
    loaded = load_issue(issue, builder.sources)
    assert loaded.issue.masthead.editor == "测试编写单位" and len(checks) == 4  # 3: the fresh one
    (series / "series.toml").unlink()  # a series file gone is a change too
    with pytest.raises(BulletinError):
        builder.build(issue)  # the title and editor came from it


def test_the_kept_issue_still_looks_at_its_photos_and_siblings_and_warnings_stay_fresh(
    tmp_path: Path, checks: list[Path]
) -> None:
    series = tmp_path / "issues" / "s"
    write(series / "series.toml", SERIES_TOML)
    issue = write(series / "2024-01.toml", issue_toml(number=1))
    builder = Builder(tmp_path, tmp_path / "out")
    assert builder.build(issue).warnings == []
    write(series / "2024-02.toml", issue_toml(number=1))  # a sibling with the same number
    with pytest.raises(BulletinError) as caught:
        builder.build(issue)
    assert any("number" in (d.key or "") for d in caught.value.diagnostics)
    assert checks == [issue]  # the issue's own files did not change


def test_an_address_book_is_read_again_when_its_bytes_change(tmp_path: Path) -> None:
    series = tmp_path / "issues" / "s"
    write(series / "series.toml", SERIES_TOML.replace("copies = 30", 'copies = "auto"'))
    issue = write(series / "2024-01.toml", issue_toml())
    book = write(
        series / "recipients.toml",
        "".join(
            f'[[recipient]]\nname = "{name}"\nfolder = "f{n}"\ncopies = 2\n\n'
            for n, name in enumerate(["上级机关甲", "上级机关乙", "同级机关", "下级机关"])
        ),
    )
    builder = Builder(tmp_path, tmp_path / "out")
    assert builder.print_run(load_issue(issue)) == 8
    rewrite_keeping_time(
        book,
        'copies = 2\n\n[[recipient]]\nname = "上级机关乙"',
        'copies = 5\n\n[[recipient]]\nname = "上级机关乙"',
    )
    assert builder.print_run(load_issue(issue)) == 11
    rewrite_keeping_time(book, 'name = "同级机关"', 'name = "同级机构"')  # now unknown: an error
    with pytest.raises(BulletinError) as caught:
        builder.print_run(load_issue(issue))
    assert "同级机关" in caught.value.diagnostics[0].message
    with pytest.raises(BulletinError):  # and again from the kept result, as a new error
        builder.print_run(load_issue(issue))


def test_a_style_file_changed_without_a_new_mtime_is_read_again(tmp_path: Path) -> None:
    from pipeline.layout.templates import TemplateStore

    folder = tmp_path / "templates" / "kind"
    shutil.copytree(ROOT / "templates" / "work-bulletin", folder)
    store = TemplateStore([tmp_path / "templates"])
    first = store.get("kind")
    assert store.get("kind") is first  # unchanged: the same parsed template
    rewrite_keeping_time(folder / "style.toml", "size_pt = 42", "size_pt = 40")
    assert store.get("kind").style.text["name"].size_pt == 40
