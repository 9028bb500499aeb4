"""Drawing a document: a page made again from the same lines at the same place is the display
page drawn before, and the PDF is the one a first drawing gives."""

from __future__ import annotations

import datetime
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT
from PIL import Image

from pipeline.fonts.chains import FontChain, FontLibrary
from pipeline.fonts.roles import Role
from pipeline.layout.blocks import Block, Document, PageBreak, PhotoBlock, TextBlock
from pipeline.layout.draw import draw_document
from pipeline.layout.linecache import LineCache
from pipeline.layout.pages import DrawnDocument
from pipeline.layout.style import Style
from pipeline.layout.templates import TemplateStore

HAN = "地方志工作机构编纂年鉴志书整理旧志开发利用资源服务大局存史育人资政"


@pytest.fixture(scope="module")
def setting(fonts: FontLibrary) -> tuple[Style, dict[Role, FontChain]]:
    style = TemplateStore([ROOT / "templates"]).get("work-bulletin").style
    return style, fonts.chains(style.fonts)


def document(first: str, *, before: tuple[Block, ...] = ()) -> Document:
    """Four pages or so of body text, its first paragraph given."""
    paragraphs = [first] + [(HAN * 6)[i : i + 150] + "。" for i in range(20)]
    blocks = (*before, *(TextBlock("body", text) for text in paragraphs))
    return Document("标题", "单位", datetime.date(2024, 7, 24), blocks)


def drawn(
    doc: Document, setting: tuple[Style, dict[Role, FontChain]], cache: LineCache | None
) -> DrawnDocument:
    style, chains = setting
    return draw_document(doc, style, chains, cache)


def same_pages(one: DrawnDocument, two: DrawnDocument) -> list[bool]:
    return [a is b for a, b in zip(one.display, two.display, strict=True)]


def test_pages_of_unchanged_lines_are_drawn_once(
    setting: tuple[Style, dict[Role, FontChain]],
) -> None:
    cache = LineCache()
    first = drawn(document("第一段。" * 10), setting, cache)
    assert first.pages >= 3
    again = drawn(document("第一段。" * 10), setting, cache)
    assert all(same_pages(first, again)) and again.pdf == first.pdf
    edited = drawn(document("第二段。" * 10), setting, cache)  # the same lines, other text
    assert same_pages(again, edited) == [False] + [True] * (first.pages - 1)
    assert edited.pdf == drawn(document("第二段。" * 10), setting, None).pdf
    assert edited.pdf != first.pdf


def test_pages_that_moved_or_were_numbered_otherwise_are_drawn_anew(
    setting: tuple[Style, dict[Role, FontChain]],
) -> None:
    cache = LineCache()
    first = drawn(document("第一段。"), setting, cache)
    broken = document("第一段。", before=(TextBlock("body", "前言。"), PageBreak()))
    moved = drawn(broken, setting, cache)  # every page one later, each number one more
    assert not any(same_pages(first, replace(moved, display=moved.display[1:])))
    assert moved.pdf == drawn(broken, setting, None).pdf


def test_another_style_draws_every_page_anew(
    setting: tuple[Style, dict[Role, FontChain]],
) -> None:
    style, chains = setting
    cache = LineCache()
    first = draw_document(document("第一段。"), style, chains, cache)
    other = replace(style)  # equal values, another object: its colours may differ
    again = draw_document(document("第一段。"), other, chains, cache)
    assert not any(same_pages(first, again)) and again.pdf == first.pdf


def test_a_page_with_a_photo_is_drawn_anew(
    setting: tuple[Style, dict[Role, FontChain]], tmp_path: Path
) -> None:
    picture = tmp_path / "a.png"
    Image.new("RGB", (60, 40), (200, 30, 30)).save(picture)
    doc = document("第一段。", before=(PhotoBlock(picture, caption="图片说明"),))
    cache = LineCache()
    first = drawn(doc, setting, cache)
    again = drawn(doc, setting, cache)
    assert same_pages(first, again)[0] is False and all(same_pages(first, again)[1:])
    assert again.pdf == first.pdf


def test_other_font_chains_draw_every_page_anew(
    setting: tuple[Style, dict[Role, FontChain]],
) -> None:
    """Faces of the same names loaded anew (a font file replaced in place): their glyphs may
    differ, so no page drawn with the old faces is used."""
    style, chains = setting
    cache = LineCache()
    first = draw_document(document("第一段。"), style, chains, cache)
    reloaded = FontLibrary().chains(style.fonts)
    again = draw_document(document("第一段。"), style, reloaded, cache)
    assert not any(same_pages(first, again)) and again.pdf == first.pdf
