"""Personal copies: copy number top-left of page 1, name at the foot of the last page, via pypdf."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pdfplumber
import pytest
from pdfmeasure import assert_pdfa
from pypdf import PdfReader

from pipeline.build import Builder
from pipeline.deliver.stamp import StampPlace, format_copy_number, stamp_copy
from pipeline.diagnostics import BulletinError
from pipeline.layout.style import PT_PER_MM
from pipeline.layout.templates import TemplateStore
from pipeline.source.load import load_issue

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "issues" / "work-bulletin" / "2024-14.toml"


@cache
def built() -> bytes:
    """The sample issue's PDF, rendered once."""
    return Builder(ROOT).render(load_issue(SAMPLE))[0]


@cache
def place() -> StampPlace:
    """Where the work-bulletin template puts the stamps."""
    return StampPlace.for_style(TemplateStore([ROOT / "templates"]).get("work-bulletin").style)


def words(pdf: bytes, page: int) -> list[dict[str, object]]:
    """Words of one page with their positions (pdfplumber: top measured from the top)."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return list(document.pages[page].extract_words())


def test_copy_numbers_are_six_digits() -> None:
    assert format_copy_number(1) == "000001"
    assert format_copy_number(123456) == "123456"


def test_copy_number_sits_in_the_top_margin_at_the_type_areas_left_edge() -> None:
    stamped = stamp_copy(built(), "000007", "省委办公厅", place())
    [number] = [w for w in words(stamped, 0) if w["text"] == "000007"]
    height = 297 * PT_PER_MM
    assert abs(float(str(number["x0"])) - 28 * PT_PER_MM) < 0.5
    bottom = height - float(str(number["bottom"]))
    type_top = height - 37 * PT_PER_MM
    assert type_top < bottom < type_top + 12 * PT_PER_MM  # above the corner mark's line
    assert float(str(number["bottom"])) - float(str(number["top"])) == pytest.approx(16, abs=1)
    assert "000007" not in PdfReader(io.BytesIO(stamped)).pages[-1].extract_text()


def test_recipient_name_sits_right_aligned_below_the_page_number() -> None:
    stamped = stamp_copy(built(), "000007", "省委办公厅", place())
    last = len(PdfReader(io.BytesIO(stamped)).pages) - 1
    found = words(stamped, last)
    [name] = [w for w in found if w["text"] == "省委办公厅"]
    page_number = [w for w in found if str(w["text"]).isdigit() and float(str(w["top"])) > 700]
    assert page_number, found[-3:]
    assert float(str(name["top"])) > max(float(str(w["bottom"])) for w in page_number) + 5
    assert abs(float(str(name["x1"])) - (28 + 156) * PT_PER_MM) < 0.5
    assert float(str(name["bottom"])) < 297 * PT_PER_MM - 10 * PT_PER_MM
    assert "省委办公厅" not in PdfReader(io.BytesIO(stamped)).pages[0].extract_text()


def test_the_original_pages_are_kept_and_the_font_is_embedded() -> None:
    original = PdfReader(io.BytesIO(built()))
    stamped = PdfReader(io.BytesIO(stamp_copy(built(), "000001", "省档案馆", place())))
    assert len(stamped.pages) == len(original.pages)
    for before, after in zip(original.pages, stamped.pages, strict=True):
        assert before.extract_text().split("\n")[:3] == after.extract_text().split("\n")[:3]
    fonts = stamped.pages[0]["/Resources"]["/Font"]
    descriptors = [
        f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        if "/DescendantFonts" in f.get_object()
        else f.get_object().get("/FontDescriptor")
        for f in fonts.values()
    ]
    assert any(d is not None and "/FontFile2" in d.get_object() for d in descriptors)


def test_stamping_is_reproducible_and_personal() -> None:
    first = stamp_copy(built(), "000003", "省财政厅", place())
    assert stamp_copy(built(), "000003", "省财政厅", place()) == first
    assert stamp_copy(built(), "000004", "省财政厅", place()) != first
    assert stamp_copy(built(), "000003", "省档案馆", place()) != first
    assert (
        PdfReader(io.BytesIO(first)).trailer["/ID"] == PdfReader(io.BytesIO(built())).trailer["/ID"]
    )


def test_a_one_page_pdf_gets_both_stamps_on_its_page() -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595.28, 841.89)
    buffer = io.BytesIO()
    writer.write(buffer)
    text = (
        PdfReader(io.BytesIO(stamp_copy(buffer.getvalue(), "000042", "甲单位", place())))
        .pages[0]
        .extract_text()
    )
    assert "000042" in text and "甲单位" in text


def test_a_name_the_stamp_font_cannot_print_is_an_error() -> None:
    with pytest.raises(BulletinError) as caught:
        stamp_copy(built(), "000001", "甲\ue000单位", place())
    assert "U+E000" in caught.value.diagnostics[0].message


def test_a_numbered_copy_stays_pdfa_2b() -> None:
    """interfaces.md "PDF/A and OFD": numbered copies stay PDF/A-2b, the stamp's font embedded."""
    assert_pdfa(stamp_copy(built(), "000001", "省委办公厅", place()))


def test_numbered_copies_carry_the_photos(tmp_path: Path) -> None:
    """A copy of an issue with a photo keeps the picture's bytes; stamping stays reproducible."""
    from conftest import SERIES_TOML, issue_toml, write
    from PIL import Image

    folder = tmp_path / "issues" / "s"
    write(folder / "series.toml", SERIES_TOML)
    (folder / "photos").mkdir()
    Image.new("RGB", (600, 400), (30, 90, 160)).save(folder / "photos" / "a.jpg")
    path = folder / "2024-01.toml"
    path.write_text(
        issue_toml() + '\n[[columns.articles.photos]]\nfile = "photos/a.jpg"\n', "utf-8"
    )
    original = Builder(ROOT, tmp_path / "out").render(load_issue(path))[0]
    copy = stamp_copy(original, "000001", "省财政厅", place())
    assert stamp_copy(original, "000001", "省财政厅", place()) == copy

    def pictures(pdf: bytes) -> list[bytes]:
        return [image.data for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]

    assert pictures(copy) == pictures(original) == [(folder / "photos" / "a.jpg").read_bytes()]
