"""Reading one article from a Word .docx (python-docx): title, paragraphs, source, pictures, tables.

The title is the first paragraph in the Title style, else the first heading, else the first
paragraph. A last paragraph that is wholly in parentheses, such as （内江市委党史地方志研究室）,
is the source. Manual line breaks inside a paragraph are joined; numbering that Word generates
for a list (一、 （一） 1.) is written out as text. Pictures and tables are kept with the number
of the body paragraph they follow.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.diagnostics import BulletinError
from pipeline.i18n import _

OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # .doc, .wps, and encrypted .docx files
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_SOURCE = re.compile(r"^[（(](.+)[）)]$")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_R_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_CHINESE_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Picture:
    """A picture of the document: its bytes, its file suffix, the paragraph it follows."""

    data: bytes
    suffix: str  # ".jpg" or ".png"
    after: int  # 1-based body paragraph; 0 when it comes before every paragraph
    caption: str = ""


@dataclass(frozen=True)
class WordTable:
    """A table of the document: its rows of cell texts and the paragraph it follows."""

    rows: list[list[str]]
    after: int


@dataclass
class WordArticle:
    """What one Word document holds, as an article of an issue."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    source: str | None = None
    pictures: list[Picture] = field(default_factory=list)
    tables: list[WordTable] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # pictures that could not be kept, why


def read_docx(path: Path) -> WordArticle:
    """The article in a .docx file; BulletinError for a file that is not a readable .docx."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    _check_container(path)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _not_docx(path, _("the file is damaged ({reason})", reason=exc)) from None
    except Exception as exc:  # lxml's XMLSyntaxError and kin: a damaged part inside the zip
        if type(exc).__module__.startswith(("lxml", "docx")):
            raise _not_docx(path, _("the file is damaged ({reason})", reason=exc)) from None
        raise
    return _article(document, path)


def _check_container(path: Path) -> None:
    try:
        with path.open("rb") as stream:
            head = stream.read(8)
            data = head + stream.read() if head == OLE2_MAGIC else head
    except FileNotFoundError:
        raise BulletinError.single(
            _("file not found"), file=path, hint=_("check the path and the file name")
        ) from None
    except OSError as exc:
        raise BulletinError.single(
            _("the file cannot be read: {reason}", reason=exc.strerror or exc), file=path
        ) from None
    if head == OLE2_MAGIC:
        if ENCRYPTED_MARK in data:
            raise _not_docx(path, _("the document is protected by a password"))
        raise _not_docx(path, _("this is an old binary Word (.doc) or WPS (.wps) document"))
    if not head.startswith(b"PK"):
        raise _not_docx(path, _("this is not a Word .docx document"))


def _not_docx(path: Path, why: str) -> BulletinError:
    return BulletinError.single(
        why,
        file=path,
        hint=_(
            "open it in Word or WPS and save it as a Word document (.docx), without a password; "
            "then import that file"
        ),
    )


def _article(document: Any, path: Path) -> WordArticle:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    numbering = _Numbering(document)
    texts: list[tuple[str, str]] = []  # (style name, text) of each non-empty paragraph
    pictures: list[tuple[int, bytes, str]] = []  # (paragraphs before, data, suffix)
    tables: list[WordTable] = []
    skipped: list[str] = []
    captions: dict[int, str] = {}
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = [[_one_line(cell.text) for cell in row.cells] for row in item.rows]
            if rows and any(any(cell for cell in row) for row in rows):
                tables.append(WordTable(rows, len(texts)))
            continue
        assert isinstance(item, Paragraph)
        style = item.style.name if item.style is not None else ""
        for blip in item._p.iter(_BLIP):
            found = _picture(document, blip.get(_R_EMBED), len(pictures) + 1, skipped)
            if found is not None:
                pictures.append((len(texts), *found))
        text = _one_line(item.text)
        just_after_picture = bool(pictures) and pictures[-1][0] == len(texts)
        if text and style.lower() in ("caption", "题注") and just_after_picture:
            captions[len(pictures) - 1] = text  # a 题注 under a picture is its caption
        elif text:
            style_element = item.style.element if item.style is not None else None
            texts.append((style, numbering.label(item._p, style_element) + text))
    title_index = _title_index(texts)
    if title_index is None:
        raise BulletinError.single(
            _("the document has no text"),
            file=path,
            hint=_("write the article's title and paragraphs in the document"),
        )
    title = texts[title_index][1]
    body = [text for i, (_s, text) in enumerate(texts) if i != title_index]
    if not body:
        raise BulletinError.single(
            _("the document has a title but no paragraphs"),
            file=path,
            hint=_("write the article's title and paragraphs in the document"),
        )

    def after(count: int) -> int:  # paragraphs before the item, less the title if among them
        return count - (1 if title_index < count else 0)

    source = None
    parenthesised = _SOURCE.match(body[-1]) if body else None
    if parenthesised and len(body) > 1:
        source = parenthesised.group(1).strip()
        body.pop()
    limit = len(body)
    return WordArticle(
        title,
        body,
        source,
        [
            Picture(data, suffix, min(after(count), limit), captions.get(i, ""))
            for i, (count, data, suffix) in enumerate(pictures)
        ],
        [WordTable(t.rows, min(after(t.after), limit)) for t in tables],
        skipped,
    )


def _title_index(texts: list[tuple[str, str]]) -> int | None:
    """The Title-style paragraph, else the first heading, else the first paragraph."""
    if not texts:
        return None
    names = [style.lower() for style, _text in texts]
    for index, name in enumerate(names):
        if name in ("title", "标题"):
            return index
    for index, name in enumerate(names):
        if name.startswith(("heading", "标题 ")):
            return index
    return 0


def _one_line(text: str) -> str:
    """A paragraph's text with its manual line breaks (and edge spaces) joined away.

    Control characters Word may leave in a run (other than tabs) are dropped: they print as
    nothing and TOML cannot hold them.
    """
    joined = "".join(part.strip(" \t\u3000") for part in text.splitlines()).strip()
    return "".join(c for c in joined if c == "\t" or unicodedata.category(c) != "Cc")


def _picture(
    document: Any, rel_id: str | None, number: int, skipped: list[str]
) -> tuple[bytes, str] | None:
    """A picture's bytes as JPEG or PNG (others converted to PNG by Pillow), or None."""
    import io

    from PIL import Image, UnidentifiedImageError

    part = document.part.related_parts.get(rel_id) if rel_id else None
    if part is None:
        return None
    data = part.blob
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format == "JPEG":
                return data, ".jpg"
            if image.format == "PNG":
                return data, ".png"
            out = io.BytesIO()
            image.save(out, "PNG")
            return out.getvalue(), ".png"
    except (UnidentifiedImageError, OSError, ValueError):
        kind = Path(str(part.partname)).suffix.lstrip(".").upper() or "unknown"
        skipped.append(
            _(
                "picture {number} is a {kind} drawing that cannot be converted; "
                "save it as a JPEG and add it with [[columns.articles.photos]]",
                number=number,
                kind=kind,
            )
        )
        return None


class _Numbering:
    """The text Word draws before a numbered paragraph (一、 （一） 1.), counted in order."""

    def __init__(self, document: Any) -> None:
        self.counters: dict[tuple[str, int], int] = {}
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {a.get(_W + "abstractNumId"): a for a in root.iter(_W + "abstractNum")}
        for num in root.iter(_W + "num"):
            ref = num.find(_W + "abstractNumId")
            definition = abstract.get(ref.get(_W + "val") if ref is not None else None)
            if definition is None:
                continue
            for lvl in definition.iter(_W + "lvl"):
                level = int(lvl.get(_W + "ilvl", "0"))
                fmt = _val(lvl, "numFmt") or "decimal"
                text = _val(lvl, "lvlText") or ""
                start = int(_val(lvl, "start") or "1")
                self.levels[(num.get(_W + "numId", ""), level)] = (fmt, text, start)

    def label(self, paragraph: Any, style: Any) -> str:
        """The generated number of a paragraph ('' for one not numbered), counting it."""
        own = paragraph.find(f"{_W}pPr/{_W}numPr")
        styled = style.find(f"{_W}pPr/{_W}numPr") if style is not None else None
        if own is None and styled is None:
            return ""
        num_id = _val(own, "numId") if own is not None else None
        num_id = num_id or (_val(styled, "numId") if styled is not None else None) or ""
        ilvl = _val(own, "ilvl") if own is not None else None
        level = int(ilvl or (_val(styled, "ilvl") if styled is not None else None) or "0")
        if (num_id, level) not in self.levels:
            return ""
        key = (num_id, level)
        fmt, text, start = self.levels[key]
        self.counters[key] = self.counters.get(key, start - 1) + 1
        for deeper in [k for k in self.counters if k[0] == num_id and k[1] > level]:
            del self.counters[deeper]
        if fmt in ("bullet", "none"):
            return ""

        def number(match: re.Match[str]) -> str:
            at = (num_id, int(match.group(1)) - 1)
            count = self.counters.get(at, self.levels.get(at, ("", "", 1))[2])
            return _format_number(count, self.levels.get(at, (fmt, "", 1))[0])

        return re.sub(r"%([1-9])", number, text)


def _val(element: Any, name: str) -> str | None:
    child = element.find(_W + name)
    return child.get(_W + "val") if child is not None else None


def _format_number(count: int, fmt: str) -> str:
    """A list number in Word's format: decimal 3, chineseCounting 三, …"""
    if fmt in (
        "chineseCounting",
        "chineseCountingThousand",
        "ideographTraditional",
        "taiwaneseCounting",
        "taiwaneseCountingThousand",
        "ideographDigital",
    ):
        return chinese_number(count)
    if fmt == "decimalEnclosedCircle" and 1 <= count <= 20:
        return chr(0x2460 + count - 1)
    if fmt in ("lowerLetter", "upperLetter") and 1 <= count <= 26:
        letter = chr(ord("a") + count - 1)
        return letter.upper() if fmt == "upperLetter" else letter
    return str(count)


def chinese_number(count: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (as Word counts a list)."""
    if count <= 0:
        return str(count)
    if count < 10:
        return _CHINESE_DIGITS[count]
    if count < 20:
        return "十" + (_CHINESE_DIGITS[count % 10] if count % 10 else "")
    if count < 100:
        tens, ones = divmod(count, 10)
        return _CHINESE_DIGITS[tens] + "十" + (_CHINESE_DIGITS[ones] if ones else "")
    hundreds, rest = divmod(count, 100)
    tail = (
        "" if rest == 0 else ("零" + _CHINESE_DIGITS[rest] if rest < 10 else chinese_number(rest))
    )
    return _CHINESE_DIGITS[hundreds] + "百" + tail if count < 1000 else str(count)
