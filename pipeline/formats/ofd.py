"""OFD (GB/T 33190-2016) from the display list: the same glyphs at the same places as the PDF.

The container holds OFD.xml, Doc_0/Document.xml, Doc_0/PublicRes.xml (the CMYK colour space
with its ICC profile, the fonts, the photos), one Doc_0/Pages/Page_N/Content.xml per page and, in
Doc_0/Res/, a TrueType subset of each font used that maps Unicode in its cmap (cut with fontTools:
the PDF's font programs have no cmap, their glyphs are found by glyph id). Coordinates are
millimetres from the top left. Each run of the display list is one TextObject whose TextCode
gives every glyph's origin (X, Y and DeltaX); each rule (a table's column lines too) is a
PathObject, each photo an ImageObject. Reproducible: entries, dates and IDs come from the input
only.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from pipeline.fonts.chains import LoadedFont
from pipeline.formats import pdfa
from pipeline.formats.ofdfonts import subset_font
from pipeline.layout.display import (
    DisplayPage,
    DocumentInfo,
    GlyphRun,
    PlacedImage,
    RuleLine,
    VerticalRule,
    image_matrix,
)
from pipeline.layout.style import PT_PER_MM, Color

NS = "http://www.ofdspec.org/2016"
ET.register_namespace("ofd", NS)
PROFILE_NAME = "FOGRA39L.icc"
CREATOR = "bulletin-pipeline"


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def mm(points: float) -> str:
    """Points as millimetres, to a thousandth, without trailing zeros."""
    return _thousandths(round(points / PT_PER_MM * 1000))


@dataclass
class _Ids:
    """Every object of the document numbered once, in the order written."""

    last: int = 0

    def next(self) -> str:
        self.last += 1
        return str(self.last)


@dataclass
class _Resources:
    """Colour spaces, fonts and images of the pages, with their IDs."""

    ids: _Ids
    colour_spaces: dict[str, str] = field(default_factory=dict)
    fonts: dict[str, tuple[str, LoadedFont]] = field(default_factory=dict)
    media: list[tuple[str, str, bytes]] = field(default_factory=list)  # ID, file name, bytes

    def image(self, data: bytes, suffix: str) -> str:
        """The ID of a new image resource with these bytes."""
        media_id = self.ids.next()
        self.media.append((media_id, f"image_{media_id}.{suffix}", data))
        return media_id

    def colour(self, tag: str, color: Color) -> ET.Element:
        """A FillColor or StrokeColor element in the colour's own space (CMYK or RGB, 0–255)."""
        kind = "RGB" if color.rgb is not None else "CMYK"
        if kind not in self.colour_spaces:
            self.colour_spaces[kind] = self.ids.next()
        values = color.rgb if color.rgb is not None else (color.cmyk or (0, 0, 0, 1))
        return ET.Element(
            _q(tag),
            Value=" ".join(str(round(v * 255)) for v in values),
            ColorSpace=self.colour_spaces[kind],
        )

    def font(self, font: LoadedFont) -> str:
        """The ID of a font's entry."""
        if font.name not in self.fonts:
            self.fonts[font.name] = (self.ids.next(), font)
        return self.fonts[font.name][0]


def write_ofd(pages: list[DisplayPage], info: DocumentInfo) -> bytes:
    """The OFD container of the display list (the same pages as the PDF)."""
    ids = _Ids()
    resources = _Resources(ids)
    contents = [_page(page, ids, resources) for page in pages]
    page_ids = [ids.next() for _ in pages]
    used = _chars_by_font(pages)
    font_files = {
        name: subset_font(font, used[name]) for name, (_id, font) in resources.fonts.items()
    }
    first = pages[0]
    doc_id = hashlib.sha1(b"".join(contents)).hexdigest()[:32]
    parts: list[tuple[str, bytes]] = [
        ("OFD.xml", _xml(_ofd_root(info, doc_id))),
        ("Doc_0/Document.xml", _xml(_document(first, page_ids, ids.last))),
        ("Doc_0/PublicRes.xml", _xml(_public_res(resources))),
    ]
    for name, (font_id, _font) in resources.fonts.items():
        parts.append((f"Doc_0/Res/font_{font_id}.ttf", font_files[name]))
    parts += [(f"Doc_0/Res/{file}", data) for _id, file, data in resources.media]
    if "CMYK" in resources.colour_spaces:
        parts.append((f"Doc_0/Res/{PROFILE_NAME}", pdfa.output_profile()))
    parts += [(f"Doc_0/Pages/Page_{n}/Content.xml", c) for n, c in enumerate(contents)]
    return _zip(parts, info)


def _ofd_root(info: DocumentInfo, doc_id: str) -> ET.Element:
    root = ET.Element(_q("OFD"), Version="1.0", DocType="OFD")
    body = ET.SubElement(root, _q("DocBody"))
    doc_info = ET.SubElement(body, _q("DocInfo"))
    for tag, text in (
        ("DocID", doc_id),
        ("Title", info.subject or info.title),  # the bulletin's name, e.g. 工作简报
        ("Author", info.author),
        ("Subject", info.title),  # the issue, e.g. 工作简报 第14期
        ("CreationDate", info.day.isoformat()),
        ("Creator", CREATOR),
    ):
        ET.SubElement(doc_info, _q(tag)).text = text
    ET.SubElement(body, _q("DocRoot")).text = "Doc_0/Document.xml"
    return root


def _document(first: DisplayPage, page_ids: list[str], max_id: int) -> ET.Element:
    root = ET.Element(_q("Document"))
    common = ET.SubElement(root, _q("CommonData"))
    ET.SubElement(common, _q("MaxUnitID")).text = str(max_id)
    area = ET.SubElement(common, _q("PageArea"))
    ET.SubElement(area, _q("PhysicalBox")).text = _box(first)
    ET.SubElement(common, _q("PublicRes")).text = "PublicRes.xml"
    listed = ET.SubElement(root, _q("Pages"))
    for number, page_id in enumerate(page_ids):
        ET.SubElement(listed, _q("Page"), ID=page_id, BaseLoc=f"Pages/Page_{number}/Content.xml")
    return root


def _public_res(resources: _Resources) -> ET.Element:
    root = ET.Element(_q("Res"), BaseLoc="Res")
    if resources.colour_spaces:
        spaces = ET.SubElement(root, _q("ColorSpaces"))
        for kind, space_id in resources.colour_spaces.items():
            attributes = {"ID": space_id, "Type": kind, "BitsPerComponent": "8"}
            if kind == "CMYK":
                attributes["Profile"] = PROFILE_NAME  # the printing condition of the PDF's intent
            ET.SubElement(spaces, _q("ColorSpace"), attributes)
    if resources.fonts:
        fonts = ET.SubElement(root, _q("Fonts"))
        for font_id, font in resources.fonts.values():
            # Named by the face file, not by reportlab's name (a digest of its path): the same
            # issue gives the same OFD bytes from any checkout.
            font_name = f"{font.face.path.stem}-{font.face.index}"
            entry = ET.SubElement(
                fonts, _q("Font"), ID=font_id, FontName=font_name, FamilyName=font.face.family
            )
            ET.SubElement(entry, _q("FontFile")).text = f"font_{font_id}.ttf"
    if resources.media:
        media = ET.SubElement(root, _q("MultiMedias"))
        for media_id, file, _data in resources.media:
            kind = "JPEG" if file.endswith(".jpg") else "PNG"
            entry = ET.SubElement(media, _q("MultiMedia"), ID=media_id, Type="Image", Format=kind)
            ET.SubElement(entry, _q("MediaFile")).text = file
    return root


def _page(page: DisplayPage, ids: _Ids, resources: _Resources) -> bytes:
    root = ET.Element(_q("Page"))
    area = ET.SubElement(root, _q("Area"))
    ET.SubElement(area, _q("PhysicalBox")).text = _box(page)
    content = ET.SubElement(root, _q("Content"))
    layer = ET.SubElement(content, _q("Layer"), ID=ids.next())
    for placed in page.images:  # drawn first, as in the PDF
        layer.append(_image(placed, page, ids, resources))
    for run in page.runs:
        layer.append(_text(run, page, ids, resources))
    for rule in page.rules:
        y = page.height_pt - rule.y_pt
        layer.append(_path((rule.x0_pt, y, rule.x1_pt, y), rule, page, ids, resources))
    for vertical in page.vertical_rules:
        y0, y1 = page.height_pt - vertical.y0_pt, page.height_pt - vertical.y1_pt
        layer.append(_path((vertical.x_pt, y0, vertical.x_pt, y1), vertical, page, ids, resources))
    return _xml(root)


def _text(run: GlyphRun, page: DisplayPage, ids: _Ids, resources: _Resources) -> ET.Element:
    attributes = {
        "ID": ids.next(),
        "Boundary": _box(page),  # page coordinates inside the object
        "Font": resources.font(run.font),
        "Size": mm(run.size_pt),
    }
    if run.h_scale != 100:
        attributes["HScale"] = f"{run.h_scale / 100:.6g}"
    element = ET.Element(_q("TextObject"), attributes)
    element.append(resources.colour("FillColor", run.color))
    # Whole thousandths of a millimetre, each step taken between rounded origins: no drift.
    xs = [round(x / PT_PER_MM * 1000) for x in run.glyph_x_pt()]
    code = ET.SubElement(
        element, _q("TextCode"), X=_thousandths(xs[0]), Y=mm(page.height_pt - run.baseline_pt)
    )
    if len(xs) > 1:
        code.set("DeltaX", " ".join(_thousandths(b - a) for a, b in itertools.pairwise(xs)))
    code.text = run.text
    return element


def _path(
    line: tuple[float, float, float, float],
    rule: RuleLine | VerticalRule,
    page: DisplayPage,
    ids: _Ids,
    resources: _Resources,
) -> ET.Element:
    """A stroked line from (x0, y0) to (x1, y1), in points from the top left."""
    element = ET.Element(
        _q("PathObject"),
        ID=ids.next(),
        Boundary=_box(page),
        LineWidth=mm(rule.thickness_pt),
    )
    element.append(resources.colour("StrokeColor", rule.color))
    x0, y0, x1, y1 = (mm(v) for v in line)
    ET.SubElement(element, _q("AbbreviatedData")).text = f"M {x0} {y0} L {x1} {y1}"
    return element


def _image(placed: PlacedImage, page: DisplayPage, ids: _Ids, resources: _Resources) -> ET.Element:
    """An ImageObject: the picture's unit square mapped upright onto its box, as in the PDF."""
    picture = placed.picture
    if picture.jpeg is not None:
        from PIL import Image

        data, suffix = picture.jpeg, "jpg"
        with Image.open(io.BytesIO(data)) as opened:
            raw_w, raw_h = opened.size
    else:
        image = picture.image
        raw_w, raw_h = image.size
        out = io.BytesIO()
        if image.mode == "CMYK":  # PNG has no CMYK
            image.save(out, "JPEG", quality=95)
            suffix = "jpg"
        else:
            image.save(out, "PNG")
            suffix = "png"
        data = out.getvalue()
    # The PDF's matrix (unit square, y up) turned into OFD's (unit square and page, y down).
    a, b, c, d, e, f = image_matrix(placed, raw_w, raw_h, picture.orientation)
    ctm = (a, -b, -c, d, c + e, page.height_pt - d - f)
    return ET.Element(
        _q("ImageObject"),
        ID=ids.next(),
        Boundary=_box(page),
        CTM=" ".join(mm(v) for v in ctm),
        ResourceID=resources.image(data, suffix),
    )


def _thousandths(value: int) -> str:
    text = f"{value / 1000:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _box(page: DisplayPage) -> str:
    return f"0 0 {mm(page.width_pt)} {mm(page.height_pt)}"


def _chars_by_font(pages: Iterable[DisplayPage]) -> dict[str, set[int]]:
    used: dict[str, set[int]] = {}
    for page in pages:
        for run in page.runs:
            used.setdefault(run.font.name, set()).update(ord(c) for c in run.text)
    return used


def _xml(root: ET.Element) -> bytes:
    data: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return data


def _zip(parts: Iterable[tuple[str, bytes]], info: DocumentInfo) -> bytes:
    stamp = (info.day.year, info.day.month, info.day.day, 12, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in parts:
            entry = zipfile.ZipInfo(name, stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    return out.getvalue()


def read_parts(ofd: bytes) -> Iterator[tuple[str, bytes]]:
    """Every entry of an OFD container, in order (for checks and tests)."""
    with zipfile.ZipFile(io.BytesIO(ofd)) as archive:
        for name in archive.namelist():
            yield name, archive.read(name)
