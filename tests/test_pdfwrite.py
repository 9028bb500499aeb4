"""The display list drawn into PDF (layout/pdfwrite.py): text objects coded by glyph id, each
page's bytes its own whatever the rest of the document, remembered per page."""

from __future__ import annotations

import datetime
import io

import pikepdf
import pytest

from pipeline.fonts.chains import BUNDLED_DIR, FontFace, LoadedFont
from pipeline.layout import pdfwrite
from pipeline.layout.cidfonts import face_glyphs
from pipeline.layout.display import DisplayPage, DocumentInfo, GlyphRun
from pipeline.layout.pdfwrite import render_pdf
from pipeline.layout.style import Color

INFO = DocumentInfo("标题", "作者", "主题", datetime.date(2024, 7, 24))
BLACK = Color(cmyk=(0, 0, 0, 1))
RED = Color(cmyk=(0, 0.8, 0.8, 0))
BLUE = Color(rgb=(0.1, 0.2, 0.7))


@pytest.fixture(scope="module")
def fonts() -> tuple[LoadedFont, LoadedFont]:
    return (
        LoadedFont(FontFace("FandolFang", BUNDLED_DIR / "FandolFang-Regular.ttf")),
        LoadedFont(FontFace("Noto Serif SC", BUNDLED_DIR / "NotoSerifSC_400Regular.ttf")),
    )


def _pages(fonts: tuple[LoadedFont, LoadedFont]) -> list[DisplayPage]:
    """Runs of 300 characters, mixing faces, colours and scales, with characters a literal
    string would escape, a no-break space, a character the face lacks and an empty run."""
    fang, serif = fonts
    common = [chr(c) for c in range(0x4E00, 0xA000) if fang.has(chr(c))][:300]
    pages = []
    for number in range(3):
        page = DisplayPage(595.0, 842.0)
        y = 800.0
        for line in range(12):
            start = (number * 97 + line * 23) % 280
            text = "".join(common[start : start + 20])
            page.runs.append(GlyphRun(fang, 16, 79.37, y, text, -0.2, BLACK))
            page.runs.append(GlyphRun(fang, 16, 300.5, y, "，", 0.0, RED, 98.70641))
            page.runs.append(GlyphRun(serif, 14, 320.25, y, "(a)\\b\u00a02024", 0.085, BLUE))
            page.runs.append(GlyphRun(fang, 16, 400.0, y, "\U0001f600" + text[:3], 0.0, BLACK))
            page.runs.append(GlyphRun(serif, 14, 450.0, y, "", 0.0, BLACK))
            y -= 28.95
        pages.append(page)
    return pages


def _texts(pdf: bytes) -> list[str]:
    """Each page's characters as pdfminer reads them (through the ToUnicode maps)."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        return ["".join(char["text"] for char in page.chars) for page in opened.pages]


def _contents(pdf: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        return [page.Contents.read_bytes() for page in opened.pages]


def _hex(font: LoadedFont, text: str) -> bytes:
    return b"<" + b"".join(b"%04x" % font.cmap[ord(char)] for char in text) + b">"


def test_text_objects_show_the_runs(fonts: tuple[LoadedFont, LoadedFont]) -> None:
    """Each run sets its colour, spacing, scale and origin (RGB as rg, CMYK as k), then shows
    its characters' glyph ids in the face's font, named after the face."""
    fang, serif = fonts
    pdf = render_pdf(_pages(fonts), INFO, fang.name)
    page = _contents(pdf)[0]
    fang_name = face_glyphs(fang).resource.encode()
    serif_name = face_glyphs(serif).resource.encode()
    assert fang_name != serif_name
    shown = b"0 .8 .8 0 k 0 Tc 98.70641 Tz 1 0 0 1 300.5 800 Tm /%s 16 Tf %s Tj"
    assert shown % (fang_name, _hex(fang, "\uff0c")) in page
    shown = b".1 .2 .7 rg .085 Tc 100 Tz 1 0 0 1 320.25 800 Tm /%s 14 Tf %s Tj"
    assert shown % (serif_name, _hex(serif, "(a)\\b 2024")) in page  # U+00A0: the space


def test_the_text_reads_back_as_drawn(fonts: tuple[LoadedFont, LoadedFont]) -> None:
    """Every character of every run, U+00A0 as the space and one the face lacks as U+0000,
    as reportlab's simple fonts read; a page of it passes PDF/A-2b."""
    from pipeline.formats.pdfawrite import PDFA_2B

    pages = _pages(fonts)
    pdf = render_pdf(pages, INFO, fonts[0].name)
    expected = [
        "".join(run.text for run in page.runs).replace("\u00a0", " ").replace("\U0001f600", "\0")
        for page in pages
    ]
    assert _texts(pdf) == expected
    one = DisplayPage(595.0, 842.0)
    one.runs.append(GlyphRun(fonts[0], 16, 79.37, 800.0, "地方志工作简报", 0.0, BLACK))
    one.runs.append(GlyphRun(fonts[1], 16, 79.37, 700.0, "(a)\u00a02024", 0.0, RED))
    written = render_pdf([one], INFO, fonts[0].name, PDFA_2B)
    report = pikepdf.pdfa.validate_written(io.BytesIO(written), "2b")
    assert report.verdict == "pass", report.summary()


def test_characters_that_share_a_glyph_read_back_each_as_itself(
    fonts: tuple[LoadedFont, LoadedFont],
) -> None:
    """FandolFang draws · and • with one glyph (and ⼈ and 人): the one drawn first in the
    document has the glyph's code in the face's font, the other the same code in a second
    font of the face, whose ToUnicode map names it."""
    fang = fonts[0]
    assert fang.cmap[0xB7] == fang.cmap[0x2022] and fang.cmap[0x2F08] == fang.cmap[0x4EBA]
    one, two = DisplayPage(595.0, 842.0), DisplayPage(595.0, 842.0)
    one.runs.append(GlyphRun(fang, 16, 79.37, 800.0, "人·工作•⼈·", 0.0, BLACK))
    two.runs.append(GlyphRun(fang, 16, 79.37, 800.0, "•人⼈", 0.0, BLACK))
    pdf = render_pdf([one, two], INFO, fang.name)
    assert _texts(pdf) == ["人·工作•⼈·", "•人⼈"]
    name = face_glyphs(fang).resource.encode()
    assert b"/%s.1 16 Tf" % name in _contents(pdf)[0]
    swapped = render_pdf([two, one], INFO, fang.name)  # page one remembered, now coded otherwise
    assert _texts(swapped) == ["•人⼈", "人·工作•⼈·"]
    assert swapped == _uncached([two, one], fang.name)


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The run counts of the pages drawn anew (not from remembered text objects)."""
    counts: list[int] = []
    original = pdfwrite._TextWriter.draw

    def counting(self: pdfwrite._TextWriter, runs: list[GlyphRun]) -> None:
        counts.append(len(runs))
        original(self, runs)

    monkeypatch.setattr(pdfwrite._TextWriter, "draw", counting)
    return counts


def _uncached(pages: list[DisplayPage], initial_font: str) -> bytes:
    """The PDF with no page's text objects remembered."""
    saved = dict(pdfwrite._PAGE_TEXTS)
    pdfwrite._PAGE_TEXTS.clear()
    try:
        return render_pdf(pages, INFO, initial_font)
    finally:
        pdfwrite._PAGE_TEXTS.clear()
        pdfwrite._PAGE_TEXTS.update(saved)


def test_unchanged_pages_reuse_their_text_objects(
    fonts: tuple[LoadedFont, LoadedFont], drawn: list[int]
) -> None:
    """A rebuild draws no page again whose runs and codes are the same, to the same bytes."""
    pages = _pages(fonts)
    first = render_pdf(pages, INFO, fonts[0].name)
    drawn.clear()
    assert render_pdf(_pages(fonts), INFO, fonts[0].name) == first
    assert drawn == []


def test_pages_after_new_characters_keep_their_bytes(
    fonts: tuple[LoadedFont, LoadedFont], drawn: list[int]
) -> None:
    """A new first page with characters first drawn there leaves the codes of the pages after
    it alone: only the new page is drawn, the others' streams are the bytes they were, and
    the file is the one written with nothing remembered."""
    fang = fonts[0]
    pages = _pages(fonts)
    render_pdf(pages, INFO, fang.name)
    rare = [chr(c) for c in range(0x4E00, 0xA000) if fang.has(chr(c))][-40:]
    opening = DisplayPage(595.0, 842.0)
    opening.runs.append(GlyphRun(fang, 16, 79.37, 800.0, "".join(rare), 0.0, BLACK))
    before = _contents(render_pdf(pages, INFO, fang.name))
    drawn.clear()
    edited = [opening, *_pages(fonts)]
    written = render_pdf(edited, INFO, fang.name)
    assert drawn == [1]
    assert _contents(written)[1:] == before
    assert written == _uncached(edited, fang.name)


def test_a_page_remembered_from_another_document_is_checked_per_page(
    fonts: tuple[LoadedFont, LoadedFont],
) -> None:
    """Pages drawn in another order (their characters coded in another order) come out as an
    uncached write makes them, whatever was remembered."""
    pages = _pages(fonts)
    render_pdf(pages, INFO, fonts[0].name)
    turned = list(reversed(_pages(fonts)))
    assert render_pdf(turned, INFO, fonts[0].name) == _uncached(turned, fonts[0].name)


def test_faces_first_used_in_another_order_keep_their_names(
    fonts: tuple[LoadedFont, LoadedFont], drawn: list[int]
) -> None:
    """A face's font is named after the face, not by the order faces are first used in: pages
    swapped are not drawn again."""
    fang, serif = fonts
    one, two = DisplayPage(595.0, 842.0), DisplayPage(595.0, 842.0)
    one.runs.append(GlyphRun(fang, 16, 79.37, 800.0, "地方志工作", 0.0, BLACK))
    two.runs.append(GlyphRun(serif, 16, 79.37, 800.0, "工作简报", 0.0, BLACK))
    render_pdf([one, two], INFO, fang.name)
    drawn.clear()
    swapped = render_pdf([two, one], INFO, fang.name)
    assert drawn == []
    assert swapped == _uncached([two, one], fang.name)


def test_reportlabs_encoding_of_objects_is_unchanged(fonts: tuple[LoadedFont, LoadedFont]) -> None:
    """The ASCII shortcut for reportlab's PDFDocEncoding gives the codec's bytes, and refuses
    what it refuses (but U+0018–U+001F, which nothing writes)."""
    from reportlab.pdfbase import pdfdoc

    render_pdf(_pages(fonts), INFO, fonts[0].name)  # installs the shortcut
    assert pdfdoc.pdfdocEnc.__name__ == "encoded"
    samples = [
        "/F1+0 16 Tf",
        "1 0 0 1 79.37 800 Tm",
        "\t\n\r !~",
        "".join(map(chr, range(32, 127))),
    ]
    samples += ["工作简报", "café", "\u2022 bullet", "a\u02d8b"]
    for text in samples:
        try:
            expected = text.encode("extpdfdoc")
        except UnicodeEncodeError:  # not in PDFDocEncoding: refused as before
            with pytest.raises(UnicodeEncodeError):
                pdfdoc.pdfdocEnc(text)
            continue
        assert pdfdoc.pdfdocEnc(text) == expected
    assert pdfdoc.pdfdocEnc(b"\x93bytes") == b"\x93bytes"


def test_reportlabs_names_are_written_as_it_writes_them(
    fonts: tuple[LoadedFont, LoadedFont],
) -> None:
    """A name with nothing to escape is written as it is, the others as reportlab escapes them
    (#xx: outside ! to ~, a delimiter, #)."""
    from reportlab.pdfbase import pdfdoc

    render_pdf(_pages(fonts), INFO, fonts[0].name)  # installs the shortcut
    assert pdfdoc.PDFName.__name__ == "name"
    expected = {
        "Type": "/Type",
        "ABCDEF+NotoSerifCJKsc-Regular": "/ABCDEF+NotoSerifCJKsc-Regular",
        "F1a2b3c.1": "/F1a2b3c.1",
        "": "/",
        "A B": "/A#20B",
        "a#b": "/a#23b",
        "x(y)": "/x#28y#29",
        "[<{%}>]": "/#5b#3c#7b#25#7d#3e#5d",
        "工作": "/#5de5#4f5c",
        "\x7f~!": "/#7f~!",
    }
    assert {name: pdfdoc.PDFName(name) for name in expected} == expected
