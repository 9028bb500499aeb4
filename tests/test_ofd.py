"""`bulletin build --ofd` (interfaces.md "PDF/A and OFD"): OFD from the same composed pages."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLES, Built
from fontTools.ttLib import TTFont
from pdfmeasure import PT_PER_MM, Measured, read_pdf

from pipeline.app.cli import main
from pipeline.build import Builder
from pipeline.fonts.chains import FontLibrary
from pipeline.formats.ofd import NS, read_parts

TOLERANCE_MM = 0.1  # interfaces.md: each baseline origin within 0.1 mm of the PDF's
RED = "0 255 255 0"  # the style's print red, CMYK 0/100/100/0 as 8-bit components


def schema_dir() -> Path | None:
    """The standard's XSDs: $OFD_SCHEMA_DIR, or ../shared/ofd-schema beside the clone (CI).

    Not vendored: their source (GreenYun/OFD-Schema) states no licence.
    """
    candidates = [os.environ.get("OFD_SCHEMA_DIR", ""), str(ROOT.parent / "shared" / "ofd-schema")]
    found = [Path(c) for c in candidates if c and (Path(c) / "OFD.xsd").is_file()]
    return found[0] if found else None


@cache
def schema(name: str) -> object:
    import xmlschema

    folder = schema_dir()
    assert folder is not None
    return xmlschema.XMLSchema(str(folder / name))


@dataclass(frozen=True)
class Glyph:
    """One character of a TextCode: its text, font ID and origin (mm from the top left)."""

    text: str
    font: str
    x: float
    y: float


@dataclass
class OfdPage:
    glyphs: list[Glyph]
    rules: list[tuple[float, float, float, float, str]]  # x0, x1, y, width, colour
    fills: list[str]
    verticals: list[tuple[float, float, float]]  # x, y0, y1
    images: list[tuple[float, float, float, float]]  # x0, x1, top, bottom of the mapped square


@dataclass
class Ofd:
    """An OFD container as numbers."""

    parts: dict[str, bytes]
    pages: list[OfdPage]

    def xml(self, name: str) -> ET.Element:
        return ET.fromstring(self.parts[name])


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def read_ofd(path: Path) -> Ofd:
    parts = dict(read_parts(path.read_bytes()))
    document = ET.fromstring(parts["Doc_0/Document.xml"])
    pages = []
    for entry in document.iter(q("Page")):
        root = ET.fromstring(parts["Doc_0/" + entry.attrib["BaseLoc"]])
        glyphs, rules, fills, verticals, images = [], [], [], [], []
        for text in root.iter(q("TextObject")):
            fill = text.find(q("FillColor"))
            fills.append(fill.attrib["Value"] if fill is not None else "")
            for code in text.iter(q("TextCode")):
                x, y = float(code.attrib["X"]), float(code.attrib["Y"])
                deltas = [float(d) for d in code.attrib.get("DeltaX", "").split()]
                chars = list(code.text or "")
                assert len(deltas) == len(chars) - 1  # one origin per character
                for char, step in zip(chars, [0.0, *deltas], strict=True):
                    x += step
                    glyphs.append(Glyph(char, text.attrib["Font"], x, y))
        for image in root.iter(q("ImageObject")):
            assert image.attrib["ResourceID"] in media_files(parts)
            a, b, c, d, e, f = (float(v) for v in image.attrib["CTM"].split())
            corners = [(a * u + c * v + e, b * u + d * v + f) for u in (0, 1) for v in (0, 1)]
            xs, ys = [x for x, _ in corners], [y for _, y in corners]
            images.append((min(xs), max(xs), min(ys), max(ys)))
        for path_object in root.iter(q("PathObject")):
            moves = path_object.findtext(q("AbbreviatedData"), "").split()
            assert moves[0] == "M" and moves[3] == "L"
            if moves[1] == moves[4] and moves[2] != moves[5]:
                verticals.append((float(moves[1]), float(moves[2]), float(moves[5])))
                continue
            assert moves[2] == moves[5]
            stroke = path_object.find(q("StrokeColor"))
            rules.append(
                (
                    float(moves[1]),
                    float(moves[4]),
                    float(moves[2]),
                    float(path_object.attrib["LineWidth"]),
                    stroke.attrib["Value"] if stroke is not None else "",
                )
            )
        pages.append(OfdPage(glyphs, rules, fills, verticals, images))
    return Ofd(parts, pages)


def media_files(parts: dict[str, bytes]) -> dict[str, bytes]:
    """The image resources by ID, their files read from the container."""
    res = ET.fromstring(parts["Doc_0/PublicRes.xml"])
    return {
        m.attrib["ID"]: parts["Doc_0/Res/" + m.findtext(q("MediaFile"), "")]
        for m in res.iter(q("MultiMedia"))
    }


def figures_issue(folder: Path) -> Path:
    """An issue with an upright PNG, a JPEG turned by its EXIF orientation and a table."""
    from test_photos import exif, issue, save, scene

    png = save(folder, "a.png", scene((400, 300)))
    jpeg = save(folder, "b.jpg", scene((300, 400)), exif=exif(6), quality=85)
    path = issue(folder, [{"file": png, "after": 1}, {"file": jpeg, "after": 3, "width": 0.5}])
    with path.open("a", encoding="utf-8") as stream:
        stream.write(
            '\n[[columns.articles.tables]]\ncaption = "进度"\nafter = 2\n'
            'rows = [["县（市、区）", "已建成"], ["市中区", "6"], ["东兴区", "8"]]\n'
        )
    return path


@pytest.fixture(scope="module")
def built_ofd(
    fonts: FontLibrary, long_issue: Built, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Measured, Ofd]]:
    """Every sample and the long issue built with OFD: the PDF measured, the OFD read."""
    output = tmp_path_factory.mktemp("ofd")
    figures = figures_issue(tmp_path_factory.mktemp("figures") / "issues" / "figures")
    sources = {**SAMPLES, "long": long_issue.source, "figures": figures}
    found = {}
    for name, source in sources.items():
        builder = Builder(source.parent.parent.parent, output, ofd=True)
        builder.fonts = fonts
        result = builder.build(source)
        found[name] = (read_pdf(result.pdf), read_ofd(result.pdf.with_suffix(".ofd")))
    return found


ALL = [*SAMPLES, "long", "figures"]


@pytest.mark.parametrize("name", ALL)
def test_every_xml_part_validates_against_the_standards_schemas(
    built_ofd: dict[str, tuple[Measured, Ofd]], name: str
) -> None:
    if schema_dir() is None:
        pytest.skip("the OFD schemas are not here: set OFD_SCHEMA_DIR or put ../shared beside")
    ofd = built_ofd[name][1]
    xml_parts = [n for n in ofd.parts if n.endswith(".xml")]
    assert xml_parts[:3] == ["OFD.xml", "Doc_0/Document.xml", "Doc_0/PublicRes.xml"]
    for part in xml_parts:
        kind = {"OFD.xml": "OFD.xsd", "Doc_0/Document.xml": "Document.xsd"}.get(part)
        kind = kind or ("Res.xsd" if part.endswith("Res.xml") else "Page.xsd")
        errors = list(schema(kind).iter_errors(ofd.parts[part].decode("utf-8")))  # type: ignore[attr-defined]
        assert not errors, f"{part}: {errors[0]}"


@pytest.mark.parametrize("name", ALL)
def test_each_page_has_the_pdfs_text_at_the_same_positions(
    built_ofd: dict[str, tuple[Measured, Ofd]], name: str
) -> None:
    """layout.md §3: every character of the PDF, baseline origin within 0.1 mm, in the OFD."""
    pdf, ofd = built_ofd[name]
    assert len(ofd.pages) == len(pdf.pages)
    for pdf_page, ofd_page in zip(pdf.pages, ofd.pages, strict=True):
        pdf_chars = [c for line in pdf_page.lines for c in line.chars]
        assert len(ofd_page.glyphs) == len(pdf_chars)
        for line in pdf_page.lines:
            baseline_mm = line.baseline / PT_PER_MM
            mine = sorted(
                (g for g in ofd_page.glyphs if abs(g.y - baseline_mm) < TOLERANCE_MM),
                key=lambda g: g.x,
            )
            assert "".join(g.text for g in mine) == line.text
            for glyph, char in zip(mine, line.chars, strict=True):
                assert abs(glyph.x - char.x0 / PT_PER_MM) < TOLERANCE_MM, (glyph, char)
                assert abs(glyph.y - char.baseline / PT_PER_MM) < TOLERANCE_MM, (glyph, char)


@pytest.mark.parametrize("name", ALL)
def test_rules_are_paths_where_the_pdf_has_them_in_its_colours(
    built_ofd: dict[str, tuple[Measured, Ofd]], name: str
) -> None:
    """layout.md §2.6 (the red rules): same place, width and colour as the PDF's."""
    pdf, ofd = built_ofd[name]
    for pdf_page, ofd_page in zip(pdf.pages, ofd.pages, strict=True):
        theirs = sorted(pdf_page.rules, key=lambda r: r.y)
        mine = sorted(ofd_page.rules, key=lambda r: r[2])
        assert len(mine) == len(theirs)
        for (x0, x1, y, width, colour), rule in zip(mine, theirs, strict=True):
            assert abs(x0 - rule.x0 / PT_PER_MM) < TOLERANCE_MM
            assert abs(x1 - rule.x1 / PT_PER_MM) < TOLERANCE_MM
            assert abs(y - rule.y / PT_PER_MM) < TOLERANCE_MM
            assert abs(width - rule.thickness / PT_PER_MM) < 0.01
            assert colour == " ".join(str(round(v * 255)) for v in rule.color)


def test_the_masthead_is_red_and_the_body_black(
    built_ofd: dict[str, tuple[Measured, Ofd]],
) -> None:
    first = built_ofd["2024-14"][1].pages[0]
    assert RED in first.fills  # the masthead title
    assert "0 0 0 255" in first.fills  # K-only black text
    colour_spaces = built_ofd["2024-14"][1].xml("Doc_0/PublicRes.xml").iter(q("ColorSpace"))
    (cmyk,) = colour_spaces
    assert cmyk.attrib["Type"] == "CMYK"
    assert built_ofd["2024-14"][1].parts["Doc_0/Res/" + cmyk.attrib["Profile"]][36:40] == b"acsp"


@pytest.mark.parametrize("name", ALL)
def test_the_embedded_fonts_are_truetype_subsets_mapping_unicode(
    built_ofd: dict[str, tuple[Measured, Ofd]], name: str
) -> None:
    ofd = built_ofd[name][1]
    res = ofd.xml("Doc_0/PublicRes.xml")
    used: dict[str, set[str]] = {}
    for page in ofd.pages:
        for glyph in page.glyphs:
            used.setdefault(glyph.font, set()).add(glyph.text)
    fonts = {f.attrib["ID"]: f for f in res.iter(q("Font"))}
    assert set(fonts) == set(used)
    for font_id, chars in used.items():
        data = ofd.parts["Doc_0/Res/" + fonts[font_id].findtext(q("FontFile"), "")]
        face = TTFont(io.BytesIO(data))
        assert "glyf" in face  # TrueType outlines
        cmap = face.getBestCmap()
        assert {ord(c) for c in chars} <= set(cmap)
        assert face["maxp"].numGlyphs < 2000  # a subset, not the whole CJK face


@pytest.mark.parametrize("name", ALL)
def test_font_names_do_not_depend_on_where_the_fonts_are(
    built_ofd: dict[str, tuple[Measured, Ofd]], fonts: FontLibrary, name: str
) -> None:
    """The same issue gives the same OFD bytes from another checkout: no path in a font's name."""
    res = built_ofd[name][1].xml("Doc_0/PublicRes.xml")
    names = {f.attrib["FontName"] for f in res.iter(q("Font"))}
    stems = {f"{font.face.path.stem}-{font.face.index}" for _mtime, font in fonts._fonts.values()}
    assert names and names <= stems


def test_docinfo_names_the_bulletin_its_editor_and_the_issue_date(
    built_ofd: dict[str, tuple[Measured, Ofd]], samples: dict[str, Built]
) -> None:
    info = built_ofd["2024-14"][1].xml("OFD.xml").find(f"{q('DocBody')}/{q('DocInfo')}")
    assert info is not None
    head = samples["2024-14"].loaded.issue.masthead
    assert info.findtext(q("Title")) == head.title == "工作简报"
    assert info.findtext(q("Author")) == head.editor
    assert info.findtext(q("CreationDate")) == head.date.isoformat()


def test_the_cli_writes_the_ofd_beside_the_pdf_reproducibly(
    tmp_path: Path, make_builder: Callable[[Path], Builder]
) -> None:
    issue = SAMPLES["2024-07"]
    for folder in ("a", "b"):
        result = CliRunner().invoke(
            main, ["build", "--ofd", "-j", "1", str(issue), "-o", str(tmp_path / folder)]
        )
        assert result.exit_code == 0, result.output
    first = tmp_path / "a" / "brief-news" / "2024-07.ofd"
    assert first.read_bytes() == (tmp_path / "b" / "brief-news" / "2024-07.ofd").read_bytes()
    plain = make_builder(tmp_path / "c").build(issue)
    assert not plain.pdf.with_suffix(".ofd").exists()  # only with --ofd


def test_photos_and_table_rules_are_where_the_pdf_draws_them(
    built_ofd: dict[str, tuple[Measured, Ofd]],
) -> None:
    """layout.md §8: each photo's box and each table's column line, within 0.1 mm of the PDF's."""
    pdf, ofd = built_ofd["figures"]
    assert len(media_files(ofd.parts)) == 2
    for pdf_page, ofd_page in zip(pdf.pages, ofd.pages, strict=True):
        boxes = sorted(
            (b.x0 / PT_PER_MM, b.x1 / PT_PER_MM, b.top / PT_PER_MM, b.bottom / PT_PER_MM)
            for b in pdf_page.images
        )
        assert len(ofd_page.images) == len(boxes)
        for mine, theirs in zip(sorted(ofd_page.images), boxes, strict=True):
            assert max(abs(m - t) for m, t in zip(mine, theirs, strict=True)) < TOLERANCE_MM
        lines = sorted((v.x, v.top, v.bottom) for v in pdf_page.vertical_rules)
        mine_lines = sorted((x, min(y0, y1), max(y0, y1)) for x, y0, y1 in ofd_page.verticals)
        assert len(mine_lines) == len(lines)
        for mine_line, line in zip(mine_lines, lines, strict=True):
            assert max(abs(m - t / PT_PER_MM) for m, t in zip(mine_line, line, strict=True)) < 0.1
    assert sum(len(page.verticals) for page in ofd.pages) >= 3  # the table's column lines


OFD_JS = ROOT / "tests" / "ofdreader" / "node_modules" / "ofd.js" / "lib" / "ofd.umd.min.js"
READER_PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="{script}"></script>
</head><body><div id="out"></div><pre id="log"></pre><script>
const bytes = Uint8Array.from(atob("{ofd}"), c => c.charCodeAt(0));
const log = m => {{ document.getElementById("log").textContent += m + "\\n"; }};
ofd.parseOfdDocument({{ofd: bytes.buffer, success(res) {{
  const pages = ofd.renderOfd(794, res[0]);
  pages.forEach(p => document.getElementById("out").appendChild(p));
  log("rendered " + pages.length);
}}, fail(e) {{ log("failed " + e); }}}});
</script></body></html>"""


def test_an_independent_reader_finds_the_pdfs_text_at_the_same_places(
    fonts: FontLibrary, tmp_path: Path
) -> None:
    """layout.md §3, read by ofd.js (tests/ofdreader) in headless Chromium: every glyph it draws.

    ofd.js draws each glyph as an SVG <text> at its origin, in pixels of the width it was given.
    It does not use the embedded fonts (it names the family for the browser) and reads every
    colour as RGB, so shapes and the CMYK red cannot be compared with it; text and places can.
    """
    import base64
    import html
    import re
    import shutil
    import subprocess

    chromium = next((p for n in ("chromium", "chromium-browser") if (p := shutil.which(n))), None)
    if chromium is None or not OFD_JS.is_file():
        pytest.skip("needs chromium and ofd.js (cd tests/ofdreader && npm ci), as .ci/run does")
    builder = Builder(ROOT, tmp_path, ofd=True)
    builder.fonts = fonts
    result = builder.build(SAMPLES["2024-14"])
    page_html = tmp_path / "reader.html"
    ofd_b64 = base64.b64encode(result.pdf.with_suffix(".ofd").read_bytes()).decode()
    page_html.write_text(READER_PAGE.format(script=OFD_JS.as_uri(), ofd=ofd_b64), "utf-8")
    dom = subprocess.run(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--allow-file-access-from-files",
         "--virtual-time-budget=30000", "--dump-dom", page_html.as_uri()],
        capture_output=True, text=True, timeout=180, check=True,
    ).stdout  # fmt: skip
    pdf = read_pdf(result.pdf)
    assert f"rendered {len(pdf.pages)}" in dom
    shown = dom[dom.index('id="out"') : dom.index('id="log"')]
    drawn = re.split(r'<div id="[^"]*" style="[^"]*?width:([\d.]+)px', shown)[1:]
    assert len(drawn) == 2 * len(pdf.pages)
    for page, width, body in zip(pdf.pages, drawn[::2], drawn[1::2], strict=True):
        px_per_mm = float(width) / (page.width / PT_PER_MM)
        found = re.findall(r'<text x="([\d.e-]+)" y="([\d.e-]+)"[^>]*>([^<]*)<', body)
        # Sorted by line (to 0.1 mm), then across: the same order for both readings.
        glyphs = sorted(
            (round(float(y) / px_per_mm, 1), float(x) / px_per_mm, float(y) / px_per_mm, t)
            for x, y, t in ((x, y, html.unescape(t)) for x, y, t in found)
        )
        chars = sorted(
            (round(c.baseline / PT_PER_MM, 1), c.x0 / PT_PER_MM, c.baseline / PT_PER_MM, c.text)
            for line in page.lines
            for c in line.chars
        )
        assert [g[3] for g in glyphs] == [c[3] for c in chars]
        for (_, x, y, _), (_, x0, baseline, _) in zip(glyphs, chars, strict=True):
            assert abs(x - x0) < TOLERANCE_MM and abs(y - baseline) < TOLERANCE_MM
