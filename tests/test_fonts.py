"""Fonts in builds: drop-in fonts by role, per-character fallback, refusals, `bulletin fonts`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from click.testing import CliRunner
from conftest import Built
from fontmaker import BODY, HEADING2, MadeFonts, make_project
from pypdf import PdfReader

from pipeline.app.cli import main
from pipeline.build import Builder, output_path
from pipeline.diagnostics import BulletinError, Diagnostic
from pipeline.fonts.chains import (
    BUNDLED,
    BUNDLED_DIR,
    BUNDLED_FALLBACKS,
    GB2312_TOTAL,
    GBK_TOTAL,
    WENKAI,
    FontCatalog,
    FontChain,
    FontFace,
    FontLibrary,
)
from pipeline.fonts.report import coverage, gb2312_hanzi, gbk_hanzi

ARTICLE_BODY = "columns[1].articles[1].body"


pytestmark = pytest.mark.usefixtures("isolated_fonts")


def body_line(issue: Path) -> int:
    """The line of the issue file that holds the body text."""
    lines = issue.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if "同志" in line or "先生" in line)


def pdf_text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def only(diagnostics: list[Diagnostic], text: str) -> Diagnostic:
    [found] = [d for d in diagnostics if text in d.message]
    return found


@pytest.fixture(scope="module")
def gb2312_build(
    tmp_path_factory: pytest.TempPathFactory, made: MadeFonts
) -> tuple[Builder, Path, list[Diagnostic]]:
    """An issue with 堃 in the body, built with a GB2312-only 仿宋_GB2312 in fonts/."""
    with pytest.MonkeyPatch.context() as patch:
        root = tmp_path_factory.mktemp("gb2312")
        patch.setenv("BULLETIN_NO_SYSTEM_FONTS", "1")
        patch.setenv("BULLETIN_CACHE_DIR", str(root / "cache"))
        issue = make_project(root, [made.fangsong_gb2312], names=["仿宋_GB2312.ttf"])
        builder = Builder(root)
        result = builder.build(issue)
    return builder, issue, result.warnings


def test_gb2312_font_in_fonts_folder_is_used_for_body(
    gb2312_build: tuple[Builder, Path, list[Diagnostic]],
) -> None:
    """layout.md §7: a licensed 仿宋 in fonts/ draws the body."""
    builder, issue, _ = gb2312_build
    body = builder.fonts.chains({"body": ["仿宋_GB2312"]})["body"].primary
    assert (body.face.family, body.face.path.name, body.face.origin) == (
        "仿宋_GB2312",
        "仿宋_GB2312.ttf",
        "fonts/",
    )
    pdf = output_path(issue, builder.output_root)
    with pdfplumber.open(pdf) as document:
        fonts = {c["fontname"].split("+")[-1] for c in document.pages[0].chars if c["text"] == "志"}
    assert fonts == {"FangSong_GB2312"}


def test_character_outside_gb2312_is_drawn_from_fallback_and_reported(
    gb2312_build: tuple[Builder, Path, list[Diagnostic]],
) -> None:
    _, issue, warnings = gb2312_build
    fallbacks = [w for w in warnings if "fallback" in w.message]
    assert {w.message[len("the character ")] for w in fallbacks} == set("堃喆犇玥")
    warning = only(fallbacks, "堃")
    assert warning.severity == "warning"
    assert "堃" in warning.message and "U+5803" in warning.message
    assert warning.message.endswith("the fallback font Noto Serif SC")
    assert warning.file == issue and warning.line == body_line(issue)
    assert warning.key == ARTICLE_BODY
    shown = warning.format()
    assert f"{issue}:{body_line(issue)}:" in shown and "堃 (U+5803)" in shown


def test_fallback_character_keeps_size_baseline_and_cell(
    gb2312_build: tuple[Builder, Path, list[Diagnostic]],
) -> None:
    """layout.md §7 (fallback font) and §1 (same size, baseline and cell)."""
    builder, issue, _ = gb2312_build
    with pdfplumber.open(output_path(issue, builder.output_root)) as document:
        chars = document.pages[0].chars
    index = next(i for i, c in enumerate(chars) if c["text"] == "堃")
    before, rare, after = chars[index - 1], chars[index], chars[index + 1]
    assert (before["text"], after["text"]) == ("张", "同")
    assert "NotoSerifSC-Regular" in rare["fontname"] and "FangSong_GB2312" in before["fontname"]
    assert rare["size"] == before["size"] == after["size"] == 16
    assert rare["matrix"][5] == pytest.approx(before["matrix"][5]) == after["matrix"][5]
    pitch = 156 * 72 / 25.4 / 28
    assert rare["x0"] - before["x0"] == pytest.approx(pitch, abs=0.25)
    assert after["x0"] - rare["x0"] == pytest.approx(pitch, abs=0.25)


def test_pdf_text_gives_back_the_fallback_character(
    gb2312_build: tuple[Builder, Path, list[Diagnostic]],
) -> None:
    """layout.md §7: a fallback character is never dropped; the PDF gives it back."""
    builder, issue, _ = gb2312_build
    text = pdf_text(output_path(issue, builder.output_root))
    assert BODY[:20] in text.replace("\n", "")


def test_character_no_font_has_fails_the_build(tmp_path: Path) -> None:
    """layout.md §7: a character no font has fails the build, never an empty box."""
    issue = make_project(tmp_path, [], body="张先生好。")
    builder = Builder(tmp_path)
    first = builder.build(issue).pdf.read_bytes()
    issue.write_text(issue.read_text(encoding="utf-8").replace("张先生", "张𪚥先生"), "utf-8")
    with pytest.raises(BulletinError) as caught:
        builder.build(issue)
    error = only([d for d in caught.value.diagnostics if d.is_error], "no font has")
    assert "𪚥" in error.message and "U+2A6A5" in error.message
    assert (error.file, error.line, error.key) == (issue, body_line(issue), ARTICLE_BODY)
    assert output_path(issue, builder.output_root).read_bytes() == first  # nothing written


def test_supplementary_character_comes_from_wenkai_with_the_bundled_set(tmp_path: Path) -> None:
    """layout.md §7: a character beyond U+FFFF comes from the chain."""
    issue = make_project(tmp_path, [], body="𠮷先生到张家湾调研。")
    result = Builder(tmp_path).build(issue)
    warning = only(result.warnings, "𠮷")
    assert "U+20BB7" in warning.message and "LXGW WenKai" in warning.message
    assert warning.key == ARTICLE_BODY and warning.line == body_line(issue)
    assert "𠮷先生到张家湾调研。" in pdf_text(result.pdf)
    with pdfplumber.open(result.pdf) as document:
        assert "𠮷先生到张家湾调研。" in document.pages[0].extract_text()


def test_cff_font_is_refused_and_the_build_goes_on(tmp_path: Path, made: MadeFonts) -> None:
    issue = make_project(tmp_path, [made.cff_heiti])
    builder = Builder(tmp_path)
    result = builder.build(issue)
    warning = only(result.warnings, "cannot be used")
    assert warning.file == tmp_path / "fonts" / "heiti.otf"
    assert "reportlab cannot embed PostScript-outline (CFF) fonts" in warning.message
    assert "uses Noto Sans SC Medium (bundled) instead" in warning.message
    assert warning.hint == "convert it to TrueType or use a .ttf version"
    heading = builder.fonts.chains({"heading": ["黑体"]})["heading"].primary
    assert heading.face.family == "Noto Sans SC Medium"


def test_font_whose_licence_forbids_embedding_is_refused(tmp_path: Path, made: MadeFonts) -> None:
    """layout.md §7: every font in the PDF is embedded, so a font that forbids it is refused."""
    issue = make_project(tmp_path, [made.restricted_title])
    result = Builder(tmp_path).build(issue)
    warning = only(result.warnings, "cannot be used")
    assert "its licence forbids embedding (OS/2 fsType 0x0002)" in warning.message
    assert "title text uses Noto Serif SC Black (bundled) instead" in warning.message
    assert warning.file == tmp_path / "fonts" / "fzxbs.ttf"
    with pdfplumber.open(result.pdf) as document:
        names = {c["fontname"].split("+")[-1] for c in document.pages[0].chars}
    assert "FZXiaoBiaoSong-B05S" not in names and "NotoSerifSC-Black" in names


def test_unreadable_font_is_reported_and_ignored(tmp_path: Path, made: MadeFonts) -> None:
    issue = make_project(tmp_path, [made.broken])
    result = Builder(tmp_path).build(issue)
    warning = only(result.warnings, "cannot read the font file")
    assert warning.file == tmp_path / "fonts" / "broken.ttf"


def test_ttc_faces_serve_their_roles_in_a_build(tmp_path: Path, made: MadeFonts) -> None:
    """layout.md §7: each role drawn from its own face of a TTC."""
    issue = make_project(tmp_path, [made.collection], body=f"{HEADING2}\n\n{BODY}")
    result = Builder(tmp_path).build(issue)
    with pdfplumber.open(result.pdf) as document:
        fonts = {c["text"]: c["fontname"].split("+")[-1] for c in document.pages[0].chars}
    assert fonts["动"] == "SimHei-0"  # 【工作动态】: heading role, face 0 of the TTC
    assert fonts["况"] == "KaiTi_GB2312-1"  # （一）调研工作情况: kai role, face 1
    assert fonts["玥"] == "NotoSerifSC-Regular"  # body: the bundled fallback of FandolFang


class _Catalog(FontCatalog):
    """Finds every family in one file, whatever it holds."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def find(self, family: str) -> FontFace | None:
        return FontFace(family, self.path, 0, "fonts/")


def test_a_font_reportlab_rejects_moves_the_chain_on(made: MadeFonts) -> None:
    library = FontLibrary(_Catalog(made.cff_heiti))  # not checked by a scan: reportlab refuses
    chain: FontChain = library.chains({"heading": ["黑体"]})["heading"]
    assert chain.primary.face.family == "Noto Sans SC Medium"
    assert chain.font_for("黑") is chain.primary
    [notice] = chain.notices
    assert notice.path == made.cff_heiti and "PostScript-outline (CFF)" in notice.message
    assert "heading text uses Noto Sans SC Medium (bundled) instead" in notice.message
    assert library.warnings({"heading": chain})[0].file == made.cff_heiti


def test_coverage_counts(made: MadeFonts) -> None:
    assert (len(gb2312_hanzi()), len(gbk_hanzi())) == (GB2312_TOTAL, GBK_TOTAL) == (6763, 20923)
    library = FontLibrary(_Catalog(made.fangsong_gb2312))
    user = library.load(FontFace("仿宋_GB2312", made.fangsong_gb2312))
    gb2312, gbk = coverage(user)
    assert 0 < gb2312 == gbk < 300  # only GB2312 characters, few of them
    regular = BUNDLED_DIR / "NotoSerifSC_400Regular.ttf"
    bundled = library.load(FontFace("Noto Serif SC", regular))
    assert coverage(bundled) == (6763, 20923)


def test_fonts_command_reports_roles_and_characters(
    tmp_path: Path, made: MadeFonts, monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = make_project(
        tmp_path, [made.fangsong_gb2312, made.cff_heiti], names=["仿宋_GB2312.ttf", "heiti.otf"]
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["fonts", "issues/series/2024-01.toml"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    body = next(line for line in lines if line.split()[:1] == ["body"])
    assert body.split()[1:4] == ["仿宋_GB2312", "fonts/", "fonts/仿宋_GB2312.ttf"]
    gb2312 = len({c for c in BODY if c in gb2312_hanzi()})
    assert f"/{GB2312_TOTAL}" in body and f"/{GBK_TOTAL}" in body and gb2312 < 300
    heading = next(line for line in lines if line.split()[:1] == ["heading"])
    assert "Noto Sans SC" in heading and "bundled" in heading
    assert any("heiti.otf" in line and "CFF" in line for line in lines)
    assert any(f"2024-01.toml:{body_line(issue)}:" in line and "U+5803" in line for line in lines)


def test_fonts_command_fails_for_a_character_no_font_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path, [], body="张𪚥先生。")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["fonts", "issues/series"])
    assert result.exit_code == 1
    assert "no font has the character 𪚥 (U+2A6A5)" in result.output


def test_bundled_set_is_exactly_what_the_roles_and_fallbacks_use_and_sources_lists_it() -> None:
    """layout.md §7: every bundled file serves a role or a fallback, with its sha256 on record."""
    used = {
        file for _, file in (*BUNDLED.values(), *(f for c in BUNDLED_FALLBACKS.values() for f in c))
    }
    assert {p.name for p in BUNDLED_DIR.glob("*.ttf")} == used
    sources = (BUNDLED_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for name in used:
        digest = hashlib.sha256((BUNDLED_DIR / name).read_bytes()).hexdigest()
        row = next(line for line in sources.splitlines() if f"| {name} |" in line)
        assert row.endswith(f"`{digest}` |"), name


@pytest.mark.parametrize("role", ["body", "kai"])
def test_fandol_faces_have_the_gb2312_office_metrics(role: str) -> None:
    """layout.md §7: FangSong and Kai faces of their own, GB2312 complete, full-width marks."""
    font = FontLibrary().chains({})[role].primary
    assert font.face.family == {"body": "FandolFang", "kai": "FandolKai"}[role]
    assert coverage(font)[0] == GB2312_TOTAL
    assert all(font.advance_pt(c, 16) == 16 for c in "“”‘’—…，。（）《》〔〕")


def test_a_build_loads_only_the_faces_that_draw_its_text(tmp_path: Path) -> None:
    """layout.md §7: a fallback face no character needs is never loaded (each costs 10-50 ms)."""
    issue = make_project(tmp_path, [], body="张家湾调研。")
    builder = Builder(tmp_path)
    builder.build(issue)
    loaded = {path.name for path, _index in builder.fonts._fonts}
    assert "LXGWWenKai-Regular.ttf" not in loaded
    assert BUNDLED["body"][1] in loaded


def test_a_chain_knows_its_loaded_faces_without_loading_the_rest() -> None:
    library = FontLibrary()
    chain = library.chains({"body": []})["body"]
    assert list(chain.loaded()) == [] and not library._fonts
    primary = chain.primary
    assert list(chain.loaded()) == [primary]
    song = chain.font_for("喆")  # not in FandolFang's GB2312: from the first fallback
    assert song is not None and song is not primary
    assert {font.name for font in chain.loaded()} == {primary.name, song.name}
    assert len(library._fonts) == 2


def test_a_face_file_is_looked_at_once_per_build_not_per_character(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each character a chain has not drawn yet asks for its faces: one stat of a face's file
    per build (`chains()`), however many characters; the next build looks again."""
    library = FontLibrary()
    chain = library.chains({"body": []})["body"]
    primary = chain.primary  # loaded (and its file read) here
    stats: list[Path] = []
    original = Path.stat

    def stat(self: Path, **kwargs: bool) -> object:
        stats.append(self)
        return original(self, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    for char in "张家湾调研工作简报":
        assert chain.font_for(char) is primary
    assert stats == []
    again = library.chains({"body": []})["body"]
    assert again.font_for("区") is primary and again.font_for("县") is primary
    assert stats == [primary.face.path]


def test_a_face_embeds_only_the_glyphs_it_draws(samples: dict[str, Built]) -> None:
    """layout.md §7: each face's program has outlines for the glyphs of the characters it draws
    and no others (reportlab's default would have added the 95 printable ASCII glyphs to
    every face); the fallback face that draws 喆 and a few figures of 2024-14 holds those."""
    import io

    from fontTools.ttLib import TTFont

    pdf_path = samples["2024-14"].result.pdf
    drawn: dict[str, set[str]] = {}
    with pdfplumber.open(pdf_path) as opened:
        for page in opened.pages:
            for char in page.chars:
                drawn.setdefault(char["fontname"].split("+")[-1], set()).add(char["text"])
    outlined: dict[str, set[int]] = {}
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                descriptor = font.DescendantFonts[0].FontDescriptor
                program = TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()))
                order, glyf = program.getGlyphOrder(), program["glyf"]
                outlined[str(font.BaseFont).split("+")[-1]] = {
                    gid for gid, name in enumerate(order) if gid and glyf[name].numberOfContours
                }
    assert set(outlined) == set(drawn)
    faces = [TTFont(str(BUNDLED_DIR / file), lazy=True) for _, file in (*BUNDLED.values(), WENKAI)]
    by_name = {str(face["name"].getDebugName(6)): face for face in faces}
    for name, chars in drawn.items():
        face = by_name[name]
        cmap, order = face.getBestCmap(), face.getGlyphOrder()
        glyphs = {order.index(cmap[ord(char)]) for char in chars}
        assert outlined[name] == {g for g in glyphs if face["glyf"][order[g]].numberOfContours}
    assert drawn["NotoSerifSC-Regular"] <= set("喆 0123456789—")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "font {family} cannot be used: reportlab cannot embed PostScript-outline (CFF) fonts;"
            " heading text uses Noto Sans SC Medium (bundled) instead",
        ),
        (
            "zh",
            "字体 {family} 无法使用：PostScript 轮廓（CFF）字体无法嵌入 PDF；"
            "heading 文字改用 Noto Sans SC Medium (bundled)",
        ),
    ],
)
def test_a_refused_font_is_reported_in_the_clerks_language(
    language: str, expected: str, tmp_path: Path, made: MadeFonts, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_LANG", language)
    result = Builder(tmp_path).build(make_project(tmp_path, [made.cff_heiti]))
    [warning] = [d for d in result.warnings if d.file == tmp_path / "fonts" / "heiti.otf"]
    assert warning.message in (expected.format(family="黑体"), expected.format(family="SimHei"))
    assert (
        warning.hint
        == {
            "en": "convert it to TrueType or use a .ttf version",
            "zh": "请换用该字体的 .ttf 版本，或把它转换为 TrueType 格式",
        }[language]
    )
