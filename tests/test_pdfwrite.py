"""The display list drawn into PDF (layout/pdfwrite.py): text objects as reportlab writes them."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pikepdf
import pytest

from pipeline.fonts.chains import BUNDLED_DIR, FontFace, LoadedFont
from pipeline.layout import pdfwrite
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
    """Runs that cross reportlab's 256-code subsets, mix faces, colours and scales, and hold
    characters to escape, a no-break space, a character the face lacks and an empty run."""
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


def _reportlab_pdf(pages: list[DisplayPage]) -> bytes:
    """The same pages drawn with reportlab's own text objects (how render_pdf drew them)."""
    from reportlab.lib.colors import CMYKColor
    from reportlab.lib.colors import Color as RLColor
    from reportlab.pdfgen.canvas import Canvas

    def color(spec: Color) -> Any:
        return RLColor(*spec.rgb) if spec.rgb is not None else CMYKColor(*(spec.cmyk or ()))

    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=(595.0, 842.0),
        invariant=1,
        pageCompression=1,
        initialFontName=pages[0].runs[0].font.name,
        initialFontSize=16,
    )
    canvas.setTitle(INFO.title)
    canvas.setAuthor(INFO.author)
    canvas.setSubject(INFO.subject)
    canvas.setCreator("bulletin-pipeline")
    canvas.setDateFormatter(lambda *_: "D:20240724120000+08'00'")
    for page in pages:
        canvas.setPageSize((page.width_pt, page.height_pt))
        text = None
        for run in page.runs:
            if text is None or text._y0 != run.baseline_pt:
                if text is not None:
                    canvas.drawText(text)
                text = canvas.beginText()
            text.setFont(run.font.name, run.size_pt)
            text.setFillColor(color(run.color))
            text.setCharSpace(run.char_space_pt)
            text.setHorizScale(run.h_scale)
            text.setTextOrigin(run.x_pt, run.baseline_pt)
            text.textOut(run.text)
        if text is not None:
            canvas.drawText(text)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def test_text_objects_are_reportlabs_byte_for_byte(fonts: tuple[LoadedFont, LoadedFont]) -> None:
    """render_pdf writes its own text objects: the file is the one reportlab's would be."""
    pages = _pages(fonts)
    ours = render_pdf(pages, INFO, fonts[0].name)
    assert ours == _reportlab_pdf(pages)
    assert b"/F1+1" in ours  # the body face needed a second 256-code subset


def test_text_objects_show_the_runs(fonts: tuple[LoadedFont, LoadedFont]) -> None:
    """Each run sets its colour, spacing, scale and origin: RGB as rg, CMYK as k."""
    pdf = render_pdf(_pages(fonts), INFO, fonts[0].name)
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        page = opened.pages[0].Contents.read_bytes()
    assert b"0 .8 .8 0 k 0 Tc 98.70641 Tz 1 0 0 1 300.5 800 Tm /F1+0 16 Tf 19.2 TL (" in page
    assert b".1 .2 .7 rg .085 Tc 100 Tz 1 0 0 1 320.25 800 Tm /F2+0 14 Tf 16.8 TL (" in page


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


def test_pages_whose_codes_changed_are_drawn_again(
    fonts: tuple[LoadedFont, LoadedFont], drawn: list[int]
) -> None:
    """A new first page with characters first drawn there moves the codes of the pages after it:
    they are drawn again (what the remembered objects would show is other characters), and
    the file is the one written with nothing remembered."""
    fang = fonts[0]
    pages = _pages(fonts)
    render_pdf(pages, INFO, fang.name)
    rare = [chr(c) for c in range(0x4E00, 0xA000) if fang.has(chr(c))][-40:]
    opening = DisplayPage(595.0, 842.0)
    opening.runs.append(GlyphRun(fang, 16, 79.37, 800.0, "".join(rare), 0.0, BLACK))
    drawn.clear()
    edited = [opening, *_pages(fonts)]
    written = render_pdf(edited, INFO, fang.name)
    assert len(drawn) == len(edited)
    assert written == _uncached(edited, fang.name)
    assert written == _reportlab_pdf(edited)


def test_a_page_remembered_from_another_document_is_checked_per_page(
    fonts: tuple[LoadedFont, LoadedFont],
) -> None:
    """Pages drawn in another order (their characters coded in another order) come out as an
    uncached write makes them, whatever was remembered."""
    pages = _pages(fonts)
    render_pdf(pages, INFO, fonts[0].name)
    turned = list(reversed(_pages(fonts)))
    assert render_pdf(turned, INFO, fonts[0].name) == _uncached(turned, fonts[0].name)


def test_a_page_whose_font_is_named_otherwise_is_drawn_again(
    fonts: tuple[LoadedFont, LoadedFont], drawn: list[int]
) -> None:
    """Same codes but the faces first used in the other order (F1 and F2 swapped): drawn again."""
    fang, serif = fonts
    one, two = DisplayPage(595.0, 842.0), DisplayPage(595.0, 842.0)
    one.runs.append(GlyphRun(fang, 16, 79.37, 800.0, "地方志工作", 0.0, BLACK))
    two.runs.append(GlyphRun(serif, 16, 79.37, 800.0, "工作简报", 0.0, BLACK))
    render_pdf([one, two], INFO, fang.name)
    drawn.clear()
    swapped = render_pdf([two, one], INFO, fang.name)
    assert len(drawn) == 2
    assert swapped == _uncached([two, one], fang.name) == _reportlab_pdf([two, one])


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
