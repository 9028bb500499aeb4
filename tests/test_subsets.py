"""Font subsets as embedded (fonts/subsets.py): without the tables a PDF font program does not
need, still drawn and read back by poppler, PDFium (Chromium's viewer) and pdfplumber."""

from __future__ import annotations

import pikepdf
import pypdfium2
import pytest
from conftest import Built

from pipeline.fonts import subsets
from pipeline.fonts.subsets import UNNEEDED_TABLES, without_tables

# ISO 32000-1 §9.9: what a TrueType font program of a simple font must hold (cvt, fpgm and prep
# only when the face has them).
REQUIRED = {b"head", b"hhea", b"hmtx", b"loca", b"maxp", b"glyf", b"cmap"}


def _tables(program: bytes) -> dict[bytes, bytes]:
    count = int.from_bytes(program[4:6], "big")
    found = {}
    for at in range(12, 12 + 16 * count, 16):
        offset = int.from_bytes(program[at + 8 : at + 12], "big")
        length = int.from_bytes(program[at + 12 : at + 16], "big")
        found[program[at : at + 4]] = program[offset : offset + length]
    return found


def test_embedded_subsets_hold_only_the_tables_a_pdf_needs(samples: dict[str, Built]) -> None:
    programs = 0
    with pikepdf.open(samples["2024-14"].result.pdf) as pdf:
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                tables = set(_tables(font.FontDescriptor.FontFile2.read_bytes()))
                assert tables >= REQUIRED
                assert not tables & UNNEEDED_TABLES
                programs += 1
    assert programs >= 5


def test_without_tables_keeps_every_other_table_and_a_valid_checksum() -> None:
    """The other tables keep their bytes (head's checksum adjustment redone: the whole file sums
    to 0xB1B0AFBA, as the TrueType spec asks)."""
    from reportlab.pdfbase.ttfonts import TTFontMaker

    maker = TTFontMaker()
    for tag in ("head", "name", "OS/2", "post", "glyf", "cmap"):
        maker.add(tag, tag.encode().ljust(54, b"\x01"))
    made = without_tables(bytes(maker.makeStream()))
    tables = _tables(made)
    assert set(tables) == {b"head", b"glyf", b"cmap"}
    assert tables[b"glyf"] == b"glyf".ljust(54, b"\x01")
    total = sum(
        int.from_bytes(made[i : i + 4].ljust(4, b"\0"), "big") for i in range(0, len(made), 4)
    )
    assert total % 2**32 == 0xB1B0AFBA


def test_pdfium_draws_and_reads_the_text_as_pdfplumber_does(samples: dict[str, Built]) -> None:
    """layout.md §1: what PDFium (Chromium's PDF viewer) extracts is the text pdfmeasure reads."""
    built = samples["2024-14"]
    document = pypdfium2.PdfDocument(built.result.pdf)
    for number, page in enumerate(built.pdf.pages):
        shown = document[number]
        text = shown.get_textpage().get_text_range()
        letters = "".join(char.text for line in page.lines for char in line.chars)
        assert "".join(text.split()) == "".join(letters.split())
        bitmap = shown.render(scale=0.5).to_pil().convert("L")
        assert bitmap.getextrema()[0] < 64  # dark glyphs were drawn


def test_streams_are_compressed_once_and_as_zlib_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compressed-stream memo (files.py): zlib's bytes, kept for pages as for font programs,
    the least recently used dropped beyond the bound."""
    import zlib

    from reportlab.pdfbase import pdfdoc

    subsets.remember_compression()
    encode = pdfdoc.PDFZCompress.encode
    page = "BT 1 0 0 1 0 0 Tm (page one) Tj ET\n" * 40
    program = bytes(range(256)) * 100  # 25 KB: a font program
    page_first = encode(page)
    assert page_first == zlib.compress(page.encode())
    assert encode(page) is page_first  # remembered
    program_first = encode(program)
    assert program_first == zlib.compress(program)
    assert encode(program) is program_first
    monkeypatch.setattr(subsets, "SMALL_KEPT", 2 * len(page))
    others = [f"BT ({n}) Tj ET\n" * 40 for n in range(3)]
    kept = [encode(other) for other in others]
    assert encode(others[-1]) is kept[-1]
    again = encode(page)  # dropped to stay within the bound: compressed afresh
    assert again == zlib.compress(page.encode()) and again is not page_first
