"""A build of an issue whose every input is unchanged is its output file in place; any input
changed, or the output not as recorded, draws it anew, exactly as a first build does."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SERIES_TOML, issue_toml, write
from fontmaker import MadeFonts
from PIL import Image

from pipeline.build import Builder
from pipeline.layout import draw, drawingstore
from pipeline.layout.drawingstore import drawn_in_place, record_drawing
from pipeline.layout.linecache import CharReport
from pipeline.layout.pages import DrawnDocument

pytestmark = pytest.mark.usefixtures("isolated_fonts")

RARE = "堃喆犇玥"  # outside GB2312: drawn from a fallback font, and reported


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry for every document drawn."""
    seen: list[str] = []
    original = draw.draw_document

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append("drawn")
        return original(*args, **kwargs)

    monkeypatch.setattr(draw, "draw_document", spy)
    return seen


def project(root: Path, extra: str = "", body: str | None = None) -> Path:
    """One series with one issue (its own copy of the work-bulletin template); the issue."""
    shutil.copytree(ROOT / "templates" / "work-bulletin", root / "templates" / "work-bulletin")
    write(root / "issues" / "s" / "series.toml", SERIES_TOML)
    issue = root / "issues" / "s" / "2024-01.toml"
    text = issue_toml(1) if body is None else issue_toml(1, body=body)
    issue.write_text(text + extra, encoding="utf-8")
    return issue


def build_anew(root: Path, issue: Path) -> tuple[bytes, os.stat_result]:
    """The issue built by a new Builder (as a new process would), its bytes and file's stat."""
    pdf = Builder(root, root / "out").build(issue).pdf
    return pdf.read_bytes(), pdf.stat()


def test_an_unchanged_issue_is_its_output_in_place(tmp_path: Path, draws: list[str]) -> None:
    issue = project(tmp_path)
    first, stat = build_anew(tmp_path, issue)
    again = Builder(tmp_path, tmp_path / "out").build(issue)
    assert len(draws) == 1 and again.pdf.read_bytes() == first and again.pages == 1
    after = again.pdf.stat()
    assert (after.st_ino, after.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)  # not rewritten


def test_a_changed_or_missing_output_is_drawn_again(tmp_path: Path, draws: list[str]) -> None:
    issue = project(tmp_path)
    first, _ = build_anew(tmp_path, issue)
    output = tmp_path / "out" / "s" / "2024-01.pdf"
    output.write_bytes(first[:-1] + b" ")  # one byte other than recorded
    assert build_anew(tmp_path, issue)[0] == first and len(draws) == 2
    output.unlink()
    assert build_anew(tmp_path, issue)[0] == first and len(draws) == 3
    assert build_anew(tmp_path, issue)[0] == first and len(draws) == 3


def test_an_edited_issue_style_or_language_is_drawn_again(
    tmp_path: Path, draws: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = project(tmp_path)
    first, _ = build_anew(tmp_path, issue)
    issue.write_text(issue_toml(1, body="改过的正文。"), encoding="utf-8")
    edited, _ = build_anew(tmp_path, issue)
    assert edited != first and len(draws) == 2
    style = tmp_path / "templates" / "work-bulletin" / "style.toml"
    style.write_text(style.read_text("utf-8").replace("size_pt = 42", "size_pt = 40"), "utf-8")
    restyled, _ = build_anew(tmp_path, issue)
    assert restyled != edited and len(draws) == 3
    monkeypatch.setenv("BULLETIN_LANG", "zh")  # layout problems would be in Chinese
    build_anew(tmp_path, issue)
    assert len(draws) == 4


def test_a_touched_font_or_replaced_photo_is_drawn_again(
    tmp_path: Path, made: MadeFonts, draws: list[str]
) -> None:
    (tmp_path / "fonts").mkdir()
    font = tmp_path / "fonts" / "仿宋_GB2312.ttf"
    shutil.copyfile(made.fangsong_gb2312, font)
    photos = tmp_path / "issues" / "s" / "photos"
    photos.mkdir(parents=True)
    Image.new("RGB", (60, 40), (200, 30, 30)).save(photos / "a.png")
    issue = project(tmp_path, '\n[[columns.articles.photos]]\nfile = "photos/a.png"\n')
    first, _ = build_anew(tmp_path, issue)
    stat = font.stat()
    os.utime(font, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert build_anew(tmp_path, issue)[0] == first and len(draws) == 2
    Image.new("RGB", (60, 40), (30, 30, 200)).save(photos / "a.png")  # same name, other picture
    assert build_anew(tmp_path, issue)[0] != first and len(draws) == 3


def test_other_drawing_code_draws_again(
    tmp_path: Path, draws: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = project(tmp_path)
    build_anew(tmp_path, issue)
    monkeypatch.setattr(drawingstore, "_code_digest", lambda: b"other code" * 4)
    build_anew(tmp_path, issue)
    assert len(draws) == 2


def test_a_damaged_record_is_drawn_again(tmp_path: Path, draws: list[str]) -> None:
    issue = project(tmp_path)
    first, _ = build_anew(tmp_path, issue)
    (record,) = (Path(os.environ["BULLETIN_CACHE_DIR"]) / drawingstore.FOLDER).glob("*.drawn")
    data = record.read_bytes()
    record.write_bytes(data[:70])  # key and digest as they were, the rest cut off
    assert build_anew(tmp_path, issue)[0] == first and len(draws) == 2


def test_fallback_reports_come_back_from_the_record(
    tmp_path: Path, made: MadeFonts, draws: list[str]
) -> None:
    (tmp_path / "fonts").mkdir()
    shutil.copyfile(made.fangsong_gb2312, tmp_path / "fonts" / "仿宋_GB2312.ttf")
    issue = project(tmp_path, body=f"正文有{RARE}四个字。")
    drawn = Builder(tmp_path, tmp_path / "out").build(issue)
    served = Builder(tmp_path, tmp_path / "out").build(issue)
    assert len(draws) == 1
    assert [w.message for w in served.warnings] == [w.message for w in drawn.warnings]
    assert {
        c for w in served.warnings if "fallback" in w.message for c in RARE if c in w.message
    } == set(RARE)


def test_an_ofd_build_always_draws(tmp_path: Path, draws: list[str]) -> None:
    issue = project(tmp_path)
    build_anew(tmp_path, issue)
    Builder(tmp_path, tmp_path / "out", ofd=True).build(issue)  # it needs the display list
    assert len(draws) == 2 and (tmp_path / "out" / "s" / "2024-01.ofd").exists()


def test_a_record_matches_only_its_key_and_bytes(tmp_path: Path) -> None:
    issue, output = tmp_path / "a.toml", tmp_path / "a.pdf"
    output.write_bytes(b"%PDF-1.4 one")
    report = CharReport("堃", "title", "Noto Serif SC")
    record_drawing(issue, b"k" * 32, DrawnDocument(b"%PDF-1.4 one", 3, [report], []))
    found = drawn_in_place(issue, b"k" * 32, output)
    assert found is not None and found.pages == 3 and found.pdf == b"%PDF-1.4 one"
    assert found.fallbacks == [report] and found.display == [] and found.in_place
    assert drawn_in_place(issue, b"j" * 32, output) is None
    assert drawn_in_place(tmp_path / "b.toml", b"k" * 32, output) is None
    output.write_bytes(b"%PDF-1.4 two")
    assert drawn_in_place(issue, b"k" * 32, output) is None


def test_a_drawing_with_errors_is_not_recorded(tmp_path: Path) -> None:
    issue, output = tmp_path / "a.toml", tmp_path / "a.pdf"
    output.write_bytes(b"%PDF-1.4 one")
    missing = [CharReport("\ue000", "title")]
    record_drawing(issue, b"k" * 32, DrawnDocument(b"%PDF-1.4 one", 1, [], missing))
    assert drawn_in_place(issue, b"k" * 32, output) is None
