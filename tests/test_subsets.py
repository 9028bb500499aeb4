"""Font programs as embedded (fonts/subsets.py): the glyphs used at their ids in the face, the
tables a CIDFont's TrueType program needs, still drawn and read back by poppler, PDFium
(Chromium's viewer) and pdfplumber."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pypdfium2
import pytest
from conftest import Built
from fontTools.ttLib import TTFont

from pipeline.fonts import programstore, subsets
from pipeline.fonts.chains import BUNDLED_DIR, FontFace, LoadedFont
from pipeline.fonts.subsets import font_program

# ISO 32000-1 §9.9: what a TrueType font program used by a CIDFont must hold (cvt, fpgm and prep
# only when the face has them; a cmap only for a simple font).
REQUIRED = {b"head", b"hhea", b"hmtx", b"loca", b"maxp", b"glyf"}
UNNEEDED = {b"cmap", b"name", b"OS/2", b"post", b"GSUB", b"GPOS", b"vmtx"}


def _tables(program: bytes) -> dict[bytes, bytes]:
    count = int.from_bytes(program[4:6], "big")
    found = {}
    for at in range(12, 12 + 16 * count, 16):
        offset = int.from_bytes(program[at + 8 : at + 12], "big")
        length = int.from_bytes(program[at + 12 : at + 16], "big")
        found[program[at : at + 4]] = program[offset : offset + length]
    return found


def _face(file_name: str) -> Any:
    from reportlab.pdfbase.pdfmetrics import getFont

    return getFont(LoadedFont(FontFace("f", BUNDLED_DIR / file_name)).name).face


def test_embedded_programs_hold_only_the_tables_a_cidfont_needs(
    samples: dict[str, Built],
) -> None:
    programs = 0
    with pikepdf.open(samples["2024-14"].result.pdf) as pdf:
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                descriptor = font.DescendantFonts[0].FontDescriptor
                program = descriptor.FontFile2.read_bytes()
                assert len(program) == descriptor.FontFile2.Length1
                tables = set(_tables(program))
                assert tables >= REQUIRED
                assert not tables & UNNEEDED
                total = sum(
                    int.from_bytes(program[i : i + 4].ljust(4, b"\0"), "big")
                    for i in range(0, len(program), 4)
                )
                assert total % 2**32 == 0xB1B0AFBA  # the checksum adjustment is right
                programs += 1
    assert programs >= 5


def test_a_program_keeps_each_glyph_at_its_id_with_its_outline_and_advance() -> None:
    """Glyphs used are the face's own at the same ids; the others are empty; the glyphs a
    composite glyph is made of come with it."""
    file_name = "LXGWWenKai-Regular.ttf"  # the bundled face with composite glyphs
    original = TTFont(str(BUNDLED_DIR / file_name), lazy=True)
    order = original.getGlyphOrder()
    glyf = original["glyf"]
    composite = next(gid for gid in range(1, 3000) if glyf[order[gid]].isComposite())
    parts = {order.index(name) for name in glyf[order[composite]].getComponentNames(glyf)}
    chosen = [composite, 1000, 20000, 20001]
    program = font_program(_face(file_name), chosen)
    made = TTFont(io.BytesIO(subsets.zlib.decompress(program.deflated)))
    assert program.length == len(subsets.zlib.decompress(program.deflated))
    drawn = {0, *chosen, *parts}
    assert made["maxp"].numGlyphs == max(drawn) + 1
    made_order = made.getGlyphOrder()
    for gid in range(made["maxp"].numGlyphs):
        glyph = made["glyf"][made_order[gid]]
        if gid in drawn:
            want = glyf[order[gid]]
            assert glyph.compile(made["glyf"]) == want.compile(glyf), gid
            assert made["hmtx"][made_order[gid]] == original["hmtx"][order[gid]]
        else:
            assert glyph.numberOfContours == 0, gid


def _words_sum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    return sum(int.from_bytes(data[at : at + 4], "big") for at in range(0, len(data), 4))


@pytest.mark.parametrize("glyphs", [[5], [7, 8, 9, 2001], list(range(1, 3000, 3))])
def test_every_checksum_is_the_sum_of_its_table_and_the_file_sums_to_the_magic(
    glyphs: list[int],
) -> None:
    """loca's, hmtx's and glyf's checksums are made from the held glyphs alone: they must still
    be those of the bytes written (short and long loca, odd and even entry counts)."""
    face = _face("NotoSansSC_500Medium.ttf")
    for chosen in (glyphs, [*glyphs, glyphs[-1] + 1]):  # loca's entries: odd and even
        pieces = subsets.subset_program(face, subsets._outlines(face, sorted({0, *chosen})))
        program = b"".join(pieces)
        count = int.from_bytes(program[4:6], "big")
        for at in range(12, 12 + 16 * count, 16):
            tag, checksum, offset, length = (
                program[at : at + 4],
                *(int.from_bytes(program[at + k : at + k + 4], "big") for k in (4, 8, 12)),
            )
            body = bytearray(program[offset : offset + length])
            if tag == b"head":
                body[8:12] = bytes(4)
            assert checksum == _words_sum(bytes(body)) & 0xFFFFFFFF, tag
        assert _words_sum(program) & 0xFFFFFFFF == 0xB1B0AFBA
        assert _tables(program)[b"head"][50:52] == (b"\0\1" if len(chosen) > 900 else b"\0\0")


def test_a_face_s_programs_are_made_of_its_own_tables(tmp_path: Any) -> None:
    """The parts kept of a face are its own: another file's face (here its head changed) gets
    its own."""
    from reportlab.pdfbase.ttfonts import TTFont as ReportlabFont

    from pipeline.fonts import parsecache

    source = BUNDLED_DIR / "FandolKai-Regular.ttf"
    raw = bytearray(source.read_bytes())
    copy = tmp_path / "kai.ttf"
    first = parsecache.load_ttfont(ReportlabFont, "f", source).face
    head = first.table["head"]["offset"]
    raw[head + 4 : head + 8] = b"\x00\x09\x00\x00"  # fontRevision
    copy.write_bytes(bytes(raw))
    other = parsecache.load_ttfont(ReportlabFont, "f", copy).face
    heads = [
        _tables(b"".join(subsets.subset_program(face, subsets._outlines(face, [0, 10]))))[b"head"]
        for face in (first, other)
    ]
    assert heads[0][4:8] == bytes(source.read_bytes()[head + 4 : head + 8])
    assert heads[1][4:8] == b"\x00\x09\x00\x00"


def test_a_program_gaining_a_glyph_compresses_only_its_piece_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The program's zlib stream is made of pieces compressed on their own (the piece memo,
    files.py): one more glyph compresses the piece of glyf it falls in and the tables around
    glyf, nothing else; the stream is the program."""
    face = _face("FandolFang-Regular.ttf")
    glyphs = list(range(100, 5000, 9))  # 545 glyphs, about as many as a bulletin's body
    first = font_program(face, glyphs)
    compressed: list[int] = []
    original = subsets.zlib.compressobj

    def counting(*args: Any) -> Any:
        compressed.append(1)
        return original(*args)

    monkeypatch.setattr(subsets.zlib, "compressobj", counting)
    outlines = subsets._outlines(face, sorted({0, *glyphs, 2001}))
    pieces = subsets.subset_program(face, outlines)
    assert len(pieces) >= 5
    again = font_program(face, [*glyphs, 2001])
    assert len(compressed) == 3  # before glyf, the piece with 2001, after glyf
    assert subsets.zlib.decompress(again.deflated) == b"".join(pieces)
    assert subsets.zlib.decompress(first.deflated) != b"".join(pieces)


def test_the_tag_names_the_glyph_set() -> None:
    face = _face("FandolFang-Regular.ttf")
    one = font_program(face, [5, 6, 7])
    assert len(one.tag) == 6 and one.tag.isalpha() and one.tag.isupper()
    assert font_program(face, [7, 6, 5, 5]).tag == one.tag
    assert font_program(face, [5, 6, 8]).tag != one.tag


def test_programs_are_made_once_and_the_least_recently_used_dropped(
    monkeypatch: pytest.MonkeyPatch, programs_made: list[int]
) -> None:
    """The program memo (files.py): the same glyphs give the kept program; beyond PROGRAMS_KEPT
    the oldest is made again, to the same bytes (the disk's copy, test_programstore.py, off)."""
    monkeypatch.setattr(programstore, "entry", lambda face, glyphs: None)
    face = _face("FandolKai-Regular.ttf")
    made = programs_made
    first = font_program(face, [10, 11])
    assert font_program(face, [11, 10]) is first and len(made) == 1
    for glyph in range(12, 12 + subsets.PROGRAMS_KEPT):
        font_program(face, [10, glyph])
    again = font_program(face, [10, 11])
    assert again is not first and again == first and len(made) == 2 + subsets.PROGRAMS_KEPT
    other = _face("FandolKai-Regular.ttf")  # the file loaded again: a face of its own
    assert other is not face and font_program(other, [10, 11]) == first
    assert len(made) == 3 + subsets.PROGRAMS_KEPT


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
    """The compressed-stream memo (files.py): zlib's bytes, kept for pages as for pictures,
    the least recently used dropped beyond the bound."""
    import zlib

    from reportlab.pdfbase import pdfdoc

    subsets.remember_compression()
    encode = pdfdoc.PDFZCompress.encode
    page = "BT 1 0 0 1 0 0 Tm (page one) Tj ET\n" * 40
    program = bytes(range(256)) * 100  # 25 KB: a picture
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
