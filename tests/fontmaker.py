"""Fonts made at test time with fontTools: small subsets of the bundled fonts under new names."""

from __future__ import annotations

import functools
import textwrap
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.ttLib import TTFont
from fontTools.ttLib.ttCollection import TTCollection

from pipeline.fonts.chains import BUNDLED_DIR
from pipeline.resources import DEFAULT_TEMPLATES_DIR

ZH, EN = 0x0804, 0x0409  # Windows langIDs: Chinese (PRC), English (US)
BODY = "张堃同志和王喆、李犇同志到玥湖镇调研。今年以来，全省地方志工作扎实推进（2024年）。"
HEADING2 = "（一）调研工作情况"

SERIES = textwrap.dedent("""\
    [masthead]
    title = "工作简报"
    editor = "测试编发单位"

    [distribution]
    report_to = ["上级机关"]
    send_to = ["同级机关"]
    issue_to = ["下级机关"]
    printer = "测试印发单位"
    copies = 30
    """)


def issue(body: str = BODY, title: str = "调研工作简讯") -> str:
    """A one-article issue whose body is `body` (a paragraph of its own lines)."""
    return (
        "[masthead]\nnumber = 1\ntotal = 1\ndate = 2024-07-24\n\n"
        '[[columns]]\nname = "工作动态"\n\n'
        f'[[columns.articles]]\ntitle = "{title}"\nsource = "测试来源"\n'
        f'body = """\n{body}\n"""\n'
    )


def gb2312_text() -> str:
    """Every GB2312 character the test issues and the template's fixed wording use, plus ASCII."""
    template = (DEFAULT_TEMPLATES_DIR / "work-bulletin" / "bulletin.xml.j2").read_text("utf-8")
    text = BODY + HEADING2 + SERIES + issue() + template + "年月日〇一二三四五六七八九十"
    text += "".join(map(chr, range(32, 127)))

    def in_gb2312(char: str) -> bool:
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            return False
        return True

    return "".join(sorted({c for c in text if in_gb2312(c)}))


def subset_font(source: str, text: str) -> TTFont:
    """A subset of a bundled font that has exactly the characters of `text`."""
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG"]
    font = TTFont(BUNDLED_DIR / source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    return font


def rename(font: TTFont, chinese: str, english: str) -> TTFont:
    """Give a font a family name in Chinese (langID 2052) and English (1033), and nothing else."""
    name = font["name"]
    for name_id in (1, 2, 3, 4, 6, 16, 17):
        name.removeNames(nameID=name_id)
    postscript = english.replace(" ", "")
    for name_id, zh, en in (
        (1, chinese, english),
        (2, "Regular", "Regular"),
        (3, postscript, postscript),
        (4, chinese, english),
        (6, postscript, postscript),
        (16, chinese, english),
    ):
        name.setName(en, name_id, 3, 1, EN)
        if name_id not in (3, 6):
            name.setName(zh, name_id, 3, 1, ZH)
    return font


def cff_font(chinese: str, english: str, chars: str) -> TTFont:
    """A PostScript-outline (CFF) font with a square glyph for each character."""
    order = [".notdef", *(f"uni{ord(c):04X}" for c in chars)]
    builder = FontBuilder(1000, isTTF=False)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap({ord(c): f"uni{ord(c):04X}" for c in chars})
    strings = {}
    for glyph in order:
        pen = T2CharStringPen(1000, None)
        pen.moveTo((100, -100))
        pen.lineTo((900, -100))
        pen.lineTo((900, 800))
        pen.lineTo((100, 800))
        pen.closePath()
        strings[glyph] = pen.getCharString()
    postscript = english.replace(" ", "")
    builder.setupCFF(postscript, {"FullName": english}, strings, {})
    builder.setupHorizontalMetrics({g: (1000, 100) for g in order})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": english, "styleName": "Regular"}, mac=False)
    builder.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    return rename(builder.font, chinese, english)


@dataclass(frozen=True)
class MadeFonts:
    """The font files made for the tests, by what they stand for."""

    fangsong_gb2312: Path  # GB2312-only subset of FandolFang named 仿宋_GB2312
    collection: Path  # TTC: face 0 黑体/SimHei, face 1 楷体_GB2312/KaiTi_GB2312
    cff_heiti: Path  # CFF font named 黑体/SimHei
    restricted_title: Path  # fsType 0x0002 copy named 方正小标宋简体
    broken: Path  # not a font at all


@functools.cache
def make_fonts(folder: Path) -> MadeFonts:
    """Make every test font once into `folder` (cached per folder for the session)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = gb2312_text()
    fangsong = folder / "fangsong_gb2312.ttf"
    rename(subset_font("FandolFang-Regular.ttf", text), "仿宋_GB2312", "FangSong_GB2312").save(
        fangsong
    )
    small = "工作简报动态测试同志调研"
    collection = TTCollection()
    collection.fonts = [
        rename(subset_font("NotoSansSC_500Medium.ttf", text), "黑体", "SimHei"),
        rename(subset_font("FandolKai-Regular.ttf", text), "楷体_GB2312", "KaiTi_GB2312"),
    ]
    ttc = folder / "office.ttc"
    collection.save(ttc)
    cff = folder / "heiti.otf"
    cff_font("黑体", "SimHei", small).save(cff)
    restricted = rename(
        subset_font("NotoSerifSC_900Black.ttf", text), "方正小标宋简体", "FZXiaoBiaoSong-B05S"
    )
    restricted["OS/2"].fsType = 0x0002
    restricted_path = folder / "fzxbs.ttf"
    restricted.save(restricted_path)
    broken = folder / "broken.ttf"
    broken.write_bytes(b"this is not a font file\n" * 8)
    return MadeFonts(
        fangsong, collection=ttc, cff_heiti=cff, restricted_title=restricted_path, broken=broken
    )


def make_project(
    root: Path, fonts: list[Path], body: str = BODY, names: list[str] | None = None
) -> Path:
    """A project folder with issues/series/{series.toml,2024-01.toml} and the fonts in fonts/."""
    series = root / "issues" / "series"
    series.mkdir(parents=True, exist_ok=True)
    (series / "series.toml").write_text(SERIES, encoding="utf-8")
    (series / "2024-01.toml").write_text(issue(body), encoding="utf-8")
    (root / "fonts").mkdir(exist_ok=True)
    for index, font in enumerate(fonts):
        target = root / "fonts" / (names[index] if names else font.name)
        target.write_bytes(font.read_bytes())
    return series / "2024-01.toml"
