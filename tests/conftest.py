"""Shared fixtures: the samples and a long issue built once per session, small fixture series."""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from fontmaker import MadeFonts, make_fonts
from pdfmeasure import Measured, read_pdf

from pipeline.build import Builder, BuildResult
from pipeline.diagnostics import BulletinError, Diagnostic
from pipeline.fonts import parsecache
from pipeline.fonts.chains import FontLibrary
from pipeline.source.load import LoadedIssue, load_issue

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Hermetic runs: English messages, no system fonts, fresh caches (subprocesses inherit)."""
    os.environ["BULLETIN_NO_SYSTEM_FONTS"] = "1"
    os.environ["BULLETIN_LANG"] = "en"  # tests of Chinese messages set it to zh themselves
    os.environ["BULLETIN_CACHE_DIR"] = tempfile.mkdtemp(prefix="bulletin-test-cache-")


SAMPLES = {
    "2024-13": ROOT / "issues" / "work-bulletin" / "2024-13.toml",
    "2024-14": ROOT / "issues" / "work-bulletin" / "2024-14.toml",
    "2024-07": ROOT / "issues" / "brief-news" / "2024-07.toml",
}

# A series.toml for fixture series: what every issue of the series shares.
SERIES_TOML = """\
[masthead]
title = "工作简报"
editor = "测试编发单位"

[distribution]
report_to = ["上级机关甲", "上级机关乙"]
send_to = ["同级机关"]
issue_to = ["下级机关"]
printer = "测试印发单位"
copies = 30
"""


def issue_toml(
    number: int = 1,
    date: str = "2024-07-24",
    total: int | None = None,
    body: str = "第一段正文。\n\n第二段正文。",
) -> str:
    """A small valid issue that relies on SERIES_TOML for the rest."""
    total_line = f"total = {total}\n" if total is not None else ""
    return (
        f"[masthead]\nnumber = {number}\n{total_line}date = {date}\n\n"
        '[[columns]]\nname = "栏目"\n\n'
        f'[[columns.articles]]\ntitle = "标题"\nbody = """\n{body}\n"""\n'
    )


def write(path: Path, text: str) -> Path:
    """Write a fixture file (dedented), making its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def two_issue_project(root: Path) -> Path:
    """A project folder with one series (issues/s) of two good issues; returns the folder."""
    folder = root / "issues" / "s"
    write(folder / "series.toml", SERIES_TOML)
    write(folder / "2024-01.toml", issue_toml(1, "2024-01-05", 10))
    write(folder / "2024-02.toml", issue_toml(2, "2024-02-05", 11))
    return root


def five_issue_series(tmp_path: Path) -> Path:
    """A series folder of five issues of two paragraphs, the third with an unknown key."""
    folder = tmp_path / "issues" / "batch"
    write(folder / "series.toml", SERIES_TOML)
    for number in range(1, 6):
        text = issue_toml(number, total=100 + number, body=f"第{number}期的正文。\n\n第二段。")
        if number == 3:
            text = text.replace("[masthead]\n", '[masthead]\ntitel = "错字"\n')
        write(folder / f"2024-0{number}.toml", text)
    return folder


@dataclass
class Built:
    """One issue built in this session: the loaded issue, the build result, the measured PDF."""

    source: Path
    result: BuildResult

    @cached_property
    def loaded(self) -> LoadedIssue:
        return load_issue(self.source)

    @cached_property
    def pdf(self) -> Measured:
        return read_pdf(self.result.pdf)


@pytest.fixture(scope="session")
def fonts(tmp_path_factory: pytest.TempPathFactory) -> FontLibrary:
    """One font library for the session, found as a build finds it; each face parsed once."""
    return Builder(ROOT, tmp_path_factory.mktemp("unused")).fonts


@pytest.fixture
def make_builder(fonts: FontLibrary) -> Callable[[Path], Builder]:
    """A builder writing below a given folder, sharing the session's loaded fonts."""

    def make(output_root: Path, project_root: Path = ROOT) -> Builder:
        builder = Builder(project_root, output_root)
        builder.fonts = fonts
        return builder

    return make


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory, fonts: FontLibrary) -> dict[str, Built]:
    """The sample issues, each built once for the session."""
    builder = Builder(ROOT, tmp_path_factory.mktemp("samples"))
    builder.fonts = fonts
    return {name: Built(path, builder.build(path)) for name, path in SAMPLES.items()}


def _plain_paragraph(index: int) -> str:
    """A paragraph of Han characters only, 5 lines: 26 + 28 + 28 + 28 + a short last line."""
    han = "地方志工作机构编纂年鉴志书整理旧志开发利用资源服务大局存史育人资政"
    start = index * 7 % len(han)
    text = (han * 8)[start : start + 26 + 28 * 3 + 9 + index % 7]
    return text + "。"


# Marks that may neither start a line nor end one, placed at every column so that some land at a
# line's end and the composer must compress, push in or push out.
_KINSOKU_SNIPPETS = [
    "，",
    "。",
    "、",
    "“引文”",
    "（括注）",
    "《书名》",
    "……",
    "——",
    "〔2024〕",
    "2024年",
]


def _kinsoku_paragraph(index: int) -> str:
    snippet = _KINSOKU_SNIPPETS[index % len(_KINSOKU_SNIPPETS)]
    lead = "年" * (20 + index % 12)
    return (lead + snippet + "志书") * 3 + "。"


@pytest.fixture(scope="session")
def long_issue(tmp_path_factory: pytest.TempPathFactory, fonts: FontLibrary) -> Built:
    """A long issue of plain paragraphs (full pages) and punctuation at every column."""
    folder = tmp_path_factory.mktemp("long") / "issues" / "long-series"
    write(folder / "series.toml", SERIES_TOML)
    plain = "\n\n".join(_plain_paragraph(i) for i in range(24))
    marks = "\n\n".join(_kinsoku_paragraph(i) for i in range(36))
    path = folder / "2024-20.toml"
    path.write_text(
        "[masthead]\nnumber = 20\ntotal = 120\ndate = 2024-09-02\n\n"
        '[[columns]]\nname = "长文"\n\n'
        '[[columns.articles]]\ntitle = "整页正文"\nsource = "测试来源"\n'
        f'body = """\n{plain}\n"""\n\n'
        '[[columns.articles]]\ntitle = "标点禁则"\n'
        f'body = """\n{marks}\n"""\n',
        encoding="utf-8",
    )
    builder = Builder(folder.parent.parent, folder.parent.parent / "output")
    builder.fonts = fonts
    return Built(path, builder.build(path))


def problems(path: Path) -> list[Diagnostic]:
    """Every diagnostic of loading an issue that must fail to load."""
    with pytest.raises(BulletinError) as caught:
        load_issue(path)
    return caught.value.diagnostics


def only_error(path: Path) -> Diagnostic:
    """The one error of loading an issue (warnings aside)."""
    found = [d for d in problems(path) if d.is_error]
    assert len(found) == 1, [d.format() for d in found]
    return found[0]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every parse of a font file (by sfnt.py or by reportlab), not from the cache."""
    seen: list[str] = []
    original = parsecache.parse

    def spy(font_class: Any, name: str, path: Path, *args: Any) -> Any:
        seen.append(str(path))
        return original(font_class, name, path, *args)

    monkeypatch.setattr(parsecache, "parse", spy)
    return seen


@pytest.fixture
def isolated_fonts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Leave this machine's fonts alone, and give the test a cache folder of its own."""
    monkeypatch.setenv("BULLETIN_NO_SYSTEM_FONTS", "1")
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder of the test's own (BULLETIN_CACHE_DIR)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def programs_made(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The glyph counts of the font programs made (not taken from a memo or from disk)."""
    from pipeline.fonts import subsets

    counts: list[int] = []
    original = subsets.subset_program

    def counting(face: Any, outlines: dict[int, bytes]) -> bytes:
        counts.append(len(outlines))
        return original(face, outlines)

    monkeypatch.setattr(subsets, "subset_program", counting)
    return counts


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> MadeFonts:
    """Test fonts cut from the bundled ones (fontmaker.py), made once per test module."""
    return make_fonts(tmp_path_factory.getbasetemp() / "made-fonts")


@pytest.fixture
def drawn_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every build draws its document, as with nothing recorded (layout/drawingstore.py): for
    tests of what drawing reads from the caches below it."""
    from pipeline.layout import drawingstore

    monkeypatch.setattr(drawingstore, "drawn_in_place", lambda *args: None)
