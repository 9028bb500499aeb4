"""The composed lines kept on disk (pipeline/files.py): a new process reads back the blocks that
did not change, gives the same bytes as a build without them, and composes again whatever an
edit of the text, the style or a font file touched."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SERIES_TOML, issue_toml, write
from fontmaker import BODY, MadeFonts, rename, subset_font

from pipeline.build import Builder
from pipeline.diagnostics import BulletinError
from pipeline.layout import linestore
from pipeline.layout.pages import Composer

ROOT = Path(__file__).resolve().parent.parent
PARAGRAPHS = [
    "全省地方志系统认真贯彻落实工作部署，扎实推进各项重点任务。" * 3,
    "各市（州）地方志办公室加强统筹协调，按照时间节点推进志书编纂。" * 2,
    "下一步，将进一步健全工作机制，推动地方志事业高质量发展。",
]


# No system fonts; an own cache folder; every build draws (no recorded drawing is its output).
pytestmark = pytest.mark.usefixtures("isolated_fonts", "drawn_anew")


@pytest.fixture
def composed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The texts of the blocks composed (not read from a cache), in order."""
    seen: list[str] = []
    original = Composer._block_lines

    def spy(self: Composer, block: Any, ts: Any) -> Any:
        seen.append(getattr(block, "text", "") or getattr(block, "left", ""))
        return original(self, block, ts)

    monkeypatch.setattr(Composer, "_block_lines", spy)
    yield seen


def _issue(tmp_path: Path, paragraphs: list[str] = PARAGRAPHS, number: int = 1) -> Path:
    write(tmp_path / "issues" / "s" / "series.toml", SERIES_TOML)
    path = tmp_path / "issues" / "s" / f"2024-{number:02}.toml"
    path.write_text(issue_toml(number, body="\n\n".join(paragraphs)), "utf-8")
    return path


def _build(tmp_path: Path, issue: Path) -> bytes:
    """A build as a new process makes it: a new Builder, nothing composed in memory."""
    return Builder(tmp_path, tmp_path / "out").build(issue).pdf.read_bytes()


def _rare_fallbacks(warnings: list[Any]) -> set[str]:
    """Which of 堃喆犇玥 (outside GB2312) the warnings say a fallback font drew."""
    return {c for w in warnings if "fallback" in w.message for c in "堃喆犇玥" if c in w.message}


def _uncached(tmp_path: Path, issue: Path) -> bytes:
    shutil.rmtree(tmp_path / "cache" / linestore.FOLDER, ignore_errors=True)
    return _build(tmp_path, issue)


def test_a_new_process_reads_every_unchanged_block_and_gives_the_same_bytes(
    tmp_path: Path, composed: list[str]
) -> None:
    issue = _issue(tmp_path)
    first = _build(tmp_path, issue)
    assert PARAGRAPHS[0] in composed
    composed.clear()
    assert _build(tmp_path, issue) == first
    assert composed == []
    assert len(list((tmp_path / "cache" / linestore.FOLDER).iterdir())) == 1


def test_an_edited_paragraph_alone_is_composed_again(tmp_path: Path, composed: list[str]) -> None:
    issue = _issue(tmp_path)
    _build(tmp_path, issue)
    edited = [PARAGRAPHS[0], PARAGRAPHS[1].replace("统筹协调", "统筹"), PARAGRAPHS[2]]
    _issue(tmp_path, edited)
    composed.clear()
    cached = _build(tmp_path, issue)
    assert composed == [edited[1]]
    assert cached == _uncached(tmp_path, issue)


def test_a_style_edit_composes_every_block_again(tmp_path: Path, composed: list[str]) -> None:
    folder = tmp_path / "templates" / "work-bulletin"  # the project's own copy wins
    shutil.copytree(ROOT / "templates" / "work-bulletin", folder)
    issue = _issue(tmp_path)
    before = _build(tmp_path, issue)
    style = folder / "style.toml"
    text = style.read_text("utf-8")
    # The page's grid, not any text style: the blocks and their styles are as they were.
    assert "chars_per_line = 28" in text
    style.write_text(text.replace("chars_per_line = 28", "chars_per_line = 26"), "utf-8")
    composed.clear()
    after = _build(tmp_path, issue)
    assert PARAGRAPHS[0] in composed and PARAGRAPHS[2] in composed
    assert after != before
    assert after == _uncached(tmp_path, issue)


def test_a_font_file_changed_in_place_composes_every_block_again(
    tmp_path: Path, made: MadeFonts, composed: list[str]
) -> None:
    (tmp_path / "fonts").mkdir()
    font = tmp_path / "fonts" / "仿宋_GB2312.ttf"
    shutil.copyfile(made.fangsong_gb2312, font)  # GB2312 only: 堃喆犇玥 from a fallback
    issue = _issue(tmp_path, [BODY, *PARAGRAPHS])
    builder = Builder(tmp_path, tmp_path / "out")
    assert _rare_fallbacks(builder.build(issue).warnings)
    fuller = rename(
        subset_font("NotoSerifSC_400Regular.ttf", BODY + "".join(PARAGRAPHS)),
        "仿宋_GB2312",
        "FangSong_GB2312",
    )
    swapped = tmp_path / "fuller.ttf"
    fuller.save(swapped)
    font.write_bytes(swapped.read_bytes())
    composed.clear()
    result = Builder(tmp_path, tmp_path / "out").build(issue)
    assert BODY in composed and PARAGRAPHS[0] in composed
    assert not _rare_fallbacks(result.warnings)
    assert result.pdf.read_bytes() == _uncached(tmp_path, issue)


def test_a_damaged_store_file_is_composed_again(tmp_path: Path, composed: list[str]) -> None:
    issue = _issue(tmp_path)
    first = _build(tmp_path, issue)
    (store,) = (tmp_path / "cache" / linestore.FOLDER).iterdir()
    store.write_bytes(b"not a store")
    composed.clear()
    assert _build(tmp_path, issue) == first
    assert PARAGRAPHS[0] in composed


def test_a_block_with_a_layout_problem_is_never_kept(tmp_path: Path, composed: list[str]) -> None:
    issue = _issue(tmp_path)
    series = tmp_path / "issues" / "s" / "series.toml"
    series.write_text(SERIES_TOML.replace("测试印发单位", "测试印发单位" * 8), "utf-8")
    for _ in range(2):
        composed.clear()
        with pytest.raises(BulletinError, match="too long for its line"):
            _build(tmp_path, issue)
        assert any("测试印发单位测试" in text for text in composed)  # the message comes anew


def test_the_store_keeps_the_most_recently_built_issues_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linestore, "FILES_KEPT", 3)
    issues = [_issue(tmp_path, PARAGRAPHS[:1], number) for number in range(1, 6)]
    for issue in issues:
        _build(tmp_path, issue)
    kept = {path.name for path in (tmp_path / "cache" / linestore.FOLDER).iterdir()}
    assert kept == {linestore.store_path(issue.resolve()).name for issue in issues[-3:]}


def test_a_build_from_the_store_looks_up_the_fonts_composing_looks_up(
    tmp_path: Path, made: MadeFonts, composed: list[str]
) -> None:
    """The same faces loaded (a face that cannot be read is reported when it is tried) and the
    same warnings, in the same order, as when every block is composed."""
    (tmp_path / "fonts").mkdir()
    shutil.copyfile(made.fangsong_gb2312, tmp_path / "fonts" / "仿宋_GB2312.ttf")
    issue = _issue(tmp_path, [BODY, *PARAGRAPHS])
    builders = [Builder(tmp_path, tmp_path / "out") for _ in range(2)]
    results = [builder.build(issue) for builder in builders]
    assert BODY in composed and composed.count(BODY) == 1  # the second read it from disk
    assert [w.message for w in results[1].warnings] == [w.message for w in results[0].warnings]
    assert _rare_fallbacks(results[1].warnings) == set("堃喆犇玥")
    loaded = [{path.name for path, _ in builder.fonts._fonts} for builder in builders]
    assert loaded[1] == loaded[0]


def test_a_kept_builder_keeps_each_rebuild_on_disk_for_the_next_process(
    tmp_path: Path, composed: list[str]
) -> None:
    issue = _issue(tmp_path)
    builder = Builder(tmp_path, tmp_path / "out")
    builder.build(issue)
    edited = [PARAGRAPHS[0] + "补充了有关情况。", *PARAGRAPHS[1:]]
    _issue(tmp_path, edited)
    rebuilt = builder.build(issue).pdf.read_bytes()  # written beside the build, not awaited
    builder.line_caches[issue.resolve()].flush()
    composed.clear()
    assert _build(tmp_path, issue) == rebuilt
    assert composed == []
