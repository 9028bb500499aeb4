"""Reading Word documents made with python-docx: title, paragraphs, source, pictures, tables."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.shared import Inches
from PIL import Image

from pipeline.diagnostics import BulletinError
from pipeline.source.docxread import chinese_number, read_docx

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def picture(path: Path, mode: str = "RGB", kind: str = "JPEG") -> Path:
    Image.new(mode, (400, 300), (20, 120, 200)).save(path, kind)
    return path


def article_docx(tmp_path: Path) -> Path:
    """A city office's article: title, a paragraph with a manual break, a picture with its
    caption, a table, a last paragraph and the source line."""
    document = docx.Document()
    document.add_paragraph("内江全覆盖建设乡镇（街道）史志阅览室", style="Title")
    first = document.add_paragraph("为深入贯彻落实，")
    first.add_run().add_break()
    first.add_run("内江市全面推进史志阅览室建设。")
    document.add_paragraph("截至6月底，已建成阅览室120个。")
    document.add_picture(str(picture(tmp_path / "p.jpg")), width=Inches(3))
    document.add_paragraph("阅览室外景", style="Caption")
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([["县（市、区）", "乡镇数", "已建成"], ["市中区", "10", "6"]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.add_paragraph("下一步，将持续推进。")
    document.add_paragraph("（内江市委党史地方志研究室）")
    path = tmp_path / "article.docx"
    document.save(str(path))
    return path


def test_an_article_is_read_whole(tmp_path: Path) -> None:
    article = read_docx(article_docx(tmp_path))
    assert article.title == "内江全覆盖建设乡镇（街道）史志阅览室"
    assert article.paragraphs == [
        "为深入贯彻落实，内江市全面推进史志阅览室建设。",  # the manual line break joined
        "截至6月底，已建成阅览室120个。",
        "下一步，将持续推进。",
    ]
    assert article.source == "内江市委党史地方志研究室"
    (photo,) = article.pictures
    assert photo.suffix == ".jpg" and photo.after == 2 and photo.caption == "阅览室外景"
    assert photo.data == (tmp_path / "p.jpg").read_bytes()
    (table,) = article.tables
    assert table.after == 2
    assert table.rows == [["县（市、区）", "乡镇数", "已建成"], ["市中区", "10", "6"]]


def test_the_title_is_the_first_heading_else_the_first_paragraph(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("导语。")
    document.add_heading("标题在这里", level=1)
    document.add_paragraph("正文。")
    document.save(str(tmp_path / "h.docx"))
    article = read_docx(tmp_path / "h.docx")
    assert (article.title, article.paragraphs) == ("标题在这里", ["导语。", "正文。"])

    plain = docx.Document()
    plain.add_paragraph("第一段当标题")
    plain.add_paragraph("正文。")
    plain.save(str(tmp_path / "p.docx"))
    article = read_docx(tmp_path / "p.docx")
    assert (article.title, article.paragraphs, article.source) == ("第一段当标题", ["正文。"], None)


def test_word_list_numbering_becomes_text(tmp_path: Path) -> None:
    """一、 and （一） that Word draws for a numbered list are written out."""
    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.append(
        parse_xml(
            f'<w:abstractNum {W} w:abstractNumId="90">'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
            '<w:lvlText w:val="%1、"/></w:lvl>'
            '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
            '<w:lvlText w:val="（%2）"/></w:lvl></w:abstractNum>'
        )
    )
    numbering.append(parse_xml(f'<w:num {W} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    document.add_paragraph("标题", style="Title")
    texts = [("总体情况", 0), ("建设进度", 1), ("经费保障", 1), ("下步打算", 0), ("完善制度", 1)]
    for text, level in texts:
        paragraph = document.add_paragraph(text)
        paragraph._p.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {W}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>')
        )
    document.save(str(tmp_path / "n.docx"))
    assert read_docx(tmp_path / "n.docx").paragraphs == [
        "一、总体情况",
        "（一）建设进度",
        "（二）经费保障",
        "二、下步打算",
        "（一）完善制度",
    ]


def test_chinese_numbers_count_as_word_does() -> None:
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 21, 99, 100, 105, 120)] == [
        "一", "九", "十", "十一", "二十", "二十一", "九十九", "一百", "一百零五", "一百二十",
    ]  # fmt: skip


def test_a_gif_picture_is_kept_as_png(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("标题", style="Title")
    document.add_paragraph("正文。")
    document.add_picture(str(picture(tmp_path / "g.gif", "P", "GIF")))
    document.save(str(tmp_path / "g.docx"))
    (photo,) = read_docx(tmp_path / "g.docx").pictures
    assert photo.suffix == ".png" and Image.open(io.BytesIO(photo.data)).format == "PNG"


def _ole(tmp_path: Path, name: str, extra: bytes = b"") -> Path:
    path = tmp_path / name
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504 + extra)
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda t: _ole(t, "old.doc"), "old binary Word"),
        (lambda t: _ole(t, "old.wps"), "WPS"),
        (lambda t: _ole(t, "locked.docx", "EncryptedPackage".encode("utf-16-le")), "password"),
        (lambda t: _damaged(t), "damaged"),
        (lambda t: _write(t / "text.docx", b"just some text"), "not a Word .docx"),
    ],
)
def test_files_that_are_not_docx_say_to_save_as_docx(
    tmp_path: Path, make: object, words: str
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(BulletinError) as caught:
        read_docx(path)
    (error,) = caught.value.diagnostics
    assert words in error.message and error.file == path
    assert error.hint and ".docx" in error.hint


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _damaged(tmp_path: Path) -> Path:
    path = tmp_path / "damaged.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types>not closed")
    return path


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BulletinError) as caught:
        read_docx(tmp_path / "nope.docx")
    assert "not found" in caught.value.diagnostics[0].message
