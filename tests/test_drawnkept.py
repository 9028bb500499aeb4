"""A kept Builder draws an unchanged issue once; any input of the drawing changed draws it anew."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SERIES_TOML, issue_toml, write
from fontmaker import MadeFonts
from PIL import Image

from pipeline.build import Builder
from pipeline.layout import draw, drawnkept, templates
from pipeline.layout.blocks import Document
from pipeline.layout.drawnkept import KeptDrawings, drawing_key
from pipeline.layout.pages import DrawnDocument
from pipeline.source.load import load_issue

pytestmark = pytest.mark.usefixtures("isolated_fonts")


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every document a Builder draws (the photo or first block file, else a marker)."""
    seen: list[Path] = []
    original = draw.draw_document

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(Path("drawn"))
        return original(*args, **kwargs)

    monkeypatch.setattr(draw, "draw_document", spy)
    return seen


def project(root: Path, extra: str = "") -> Path:
    """One series with one issue (its own copy of the work-bulletin template); the issue."""
    shutil.copytree(ROOT / "templates" / "work-bulletin", root / "templates" / "work-bulletin")
    write(root / "issues" / "s" / "series.toml", SERIES_TOML)
    issue = root / "issues" / "s" / "2024-01.toml"
    issue.write_text(issue_toml(1) + extra, encoding="utf-8")
    return issue


def fresh(root: Path, issue: Path, name: str) -> bytes:
    """The issue built by a new Builder: what a kept drawing must equal."""
    return Builder(root, root / name).build(issue).pdf.read_bytes()


def test_an_unchanged_issue_is_drawn_and_rendered_once(
    tmp_path: Path, draws: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = project(tmp_path)
    contexts: list[str] = []
    original = templates._context
    monkeypatch.setattr(templates, "_context", lambda *a: contexts.append("c") or original(*a))
    builder = Builder(tmp_path, tmp_path / "out")
    first = builder.build(issue).pdf.read_bytes()  # by jinja2, which keeps the template's code
    assert builder.build(issue).pdf.read_bytes() == first and len(contexts) == 2  # kept on disk
    assert builder.build(issue).pdf.read_bytes() == first and len(contexts) == 2  # in memory
    assert len(draws) == 1
    issue.write_text(issue_toml(1, body="改过的正文。"), encoding="utf-8")  # an edit draws anew
    assert builder.build(issue).pdf.read_bytes() != first and len(draws) == 2


def test_a_touched_font_file_gives_a_fresh_drawing(tmp_path: Path) -> None:
    font = write(tmp_path / "face.ttf", "not really a font")
    face = type("Face", (), {"path": font})()
    chains: Any = {"body": type("Chain", (), {"faces": [face]})()}
    document = Document("标题", "单位", datetime.date(2024, 7, 24), ())
    style: Any = object()
    key = drawing_key(document, style, chains, "PDF/A-2b")
    assert drawing_key(document, style, chains, "PDF/A-2b") == key
    stat = font.stat()
    os.utime(font, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert drawing_key(document, style, chains, "PDF/A-2b") != key


def test_a_replaced_picture_gives_a_fresh_drawing(tmp_path: Path, draws: list[Path]) -> None:
    photos = tmp_path / "issues" / "s" / "photos"
    photos.mkdir(parents=True)
    Image.new("RGB", (60, 40), (200, 30, 30)).save(photos / "a.png")
    issue = project(tmp_path, '\n[[columns.articles.photos]]\nfile = "photos/a.png"\n')
    builder = Builder(tmp_path, tmp_path / "out")
    first = builder.build(issue).pdf.read_bytes()
    Image.new("RGB", (60, 40), (30, 30, 200)).save(photos / "a.png")  # same name, other picture
    replaced = builder.build(issue).pdf.read_bytes()
    assert len(draws) == 2 and replaced != first
    assert replaced == fresh(tmp_path, issue, "fresh")


def test_a_switched_language_gives_a_fresh_drawing(
    tmp_path: Path, draws: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = project(tmp_path)
    builder = Builder(tmp_path, tmp_path / "out")
    builder.build(issue)
    monkeypatch.setenv("BULLETIN_LANG", "zh")  # its layout problems would be in Chinese
    builder.build(issue)
    assert len(draws) == 2
    builder.build(issue)
    assert len(draws) == 2


def test_an_edited_style_or_template_gives_a_fresh_drawing(
    tmp_path: Path, draws: list[Path]
) -> None:
    issue = project(tmp_path)
    folder = tmp_path / "templates" / "work-bulletin"
    builder = Builder(tmp_path, tmp_path / "out")
    first = builder.build(issue).pdf.read_bytes()
    style = folder / "style.toml"
    style.write_text(style.read_text("utf-8").replace("size_pt = 42", "size_pt = 40"), "utf-8")
    restyled = builder.build(issue).pdf.read_bytes()
    assert restyled != first and restyled == fresh(tmp_path, issue, "fresh1")
    markup = folder / "bulletin.xml.j2"
    markup.write_text(markup.read_text("utf-8").replace("印发</right>", "印制</right>"), "utf-8")
    edited = builder.build(issue).pdf.read_bytes()
    assert edited != restyled and edited == fresh(tmp_path, issue, "fresh2")
    assert len(draws) == 5  # three by the kept Builder, one by each fresh one


def test_another_print_run_renders_the_document_again(tmp_path: Path) -> None:
    issue = project(tmp_path)
    builder = Builder(tmp_path, tmp_path / "out")
    loaded = load_issue(issue, builder.sources)
    template = builder.templates.get(loaded.issue.template)
    templates.render_document(loaded, template, 30)  # jinja2 keeps the template's code
    thirty = templates.render_document(loaded, template, 30)
    assert templates.render_document(loaded, template, 30) is thirty
    assert templates.render_document(loaded, template, 31) != thirty


def test_kept_drawings_are_bounded_and_keyed_exactly(tmp_path: Path) -> None:
    kept = KeptDrawings()
    drawn = DrawnDocument(b"%PDF", 1, [], [], [], None, [])
    key: Any = "key"
    for n in range(drawnkept.DRAWINGS_KEPT + 3):
        kept.put(tmp_path / f"{n}.toml", key, (), drawn)
    assert kept.get(tmp_path / "0.toml", key) is None  # the oldest dropped
    last = tmp_path / f"{drawnkept.DRAWINGS_KEPT + 2}.toml"
    assert kept.get(last, key) is drawn and kept.get(last, "other") is None  # type: ignore[arg-type]


def test_a_font_added_to_fonts_gives_a_fresh_drawing(
    tmp_path: Path, made: MadeFonts, draws: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No font file the drawing used changed, but the body role's chain did (its first family
    is now in fonts/): the warm rebuild is drawn anew, as a new Builder draws it."""
    issue = project(tmp_path)
    builder = Builder(tmp_path, tmp_path / "out")
    first = builder.build(issue).pdf.read_bytes()
    (tmp_path / "fonts").mkdir()
    shutil.copyfile(made.fangsong_gb2312, tmp_path / "fonts" / "仿宋_GB2312.ttf")
    rebuilt = builder.build(issue).pdf.read_bytes()
    assert len(draws) == 2 and rebuilt != first
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "fresh-cache"))
    assert rebuilt == fresh(tmp_path, issue, "fresh")
