"""Tables in built PDFs, measured (layout.md §8 and §1): ruled cells on the grid, across pages."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SERIES_TOML, write
from pdfmeasure import (
    LEFT,
    LINE_START_FORBIDDEN,
    PITCH,
    RIGHT,
    Page,
    Rule,
    cell_of,
    read_pdf,
)

from pipeline.build import Builder, BuildResult

PARAGRAPH = "地方志工作机构编纂年鉴志书整理旧志开发利用资源服务大局存史育人资政。" * 2
HEADER = ["县（市、区）", "乡镇（街道）数", "已建成", "备注"]
LONG_NOTE = "其余四个乡镇街道正在建设之中，预计年底前全部完成，届时实现“全覆盖”。"


def toml_rows(rows: list[list[str]]) -> str:
    inner = ",\n".join("  [" + ", ".join(f'"{cell}"' for cell in row) + "]" for row in rows)
    return f"rows = [\n{inner},\n]\n"


def issue(folder: Path, rows: list[list[str]], paragraphs: int = 3, after: int = 1) -> Path:
    write(folder / "series.toml", SERIES_TOML)
    body = "\n\n".join(PARAGRAPH for _ in range(paragraphs))
    text = (
        '[masthead]\nnumber = 1\ndate = 2024-07-24\n\n[[columns]]\nname = "栏目"\n\n'
        f'[[columns.articles]]\ntitle = "标题"\nbody = """\n{body}\n"""\n\n'
        f'[[columns.articles.tables]]\ncaption = "全市乡镇史志阅览室建设进度"\nafter = {after}\n'
        + toml_rows(rows)
    )
    path = folder / "2024-01.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def build(make_builder: Callable[[Path], Builder], tmp_path: Path) -> Callable[[Path], BuildResult]:
    return make_builder(tmp_path / "output").build


def table_rules(page: Page) -> list[Rule]:
    """The page's 0.5 pt horizontal rules (the imprint's are thicker)."""
    return [rule for rule in page.rules if rule.thickness == pytest.approx(0.5)]


def test_a_table_is_ruled_on_the_grid_at_the_type_area_width(
    tmp_path: Path, build: Callable[[Path], BuildResult]
) -> None:
    """layout.md §8: every cell boxed, 0.5 pt, rows of whole grid rows, fonts by role."""
    rows = [HEADER, ["市中区", "10", "6", LONG_NOTE], ["东兴区", "12", "12", ""]]
    pdf = read_pdf(build(issue(tmp_path / "issues" / "s", rows)).pdf)
    page = next(p for p in pdf.pages if table_rules(p))
    rules = table_rules(page)
    assert len(rules) == 4  # top of each of three rows, and the bottom of the last
    for rule in rules:
        assert (rule.x0, rule.x1) == (pytest.approx(LEFT), pytest.approx(RIGHT))
    heights = [(b.y - a.y) / PITCH for a, b in itertools.pairwise(rules)]
    for height in heights:  # every row whole grid rows
        assert height == pytest.approx(round(height), abs=1e-4) and height >= 1
    assert heights[2] == pytest.approx(1)  # a row of one line each: one grid row
    assert heights[1] >= 2  # the long note wraps
    verticals = page.vertical_rules
    assert len(verticals) == 3 * 5  # five column lines in each row
    assert {round(v.thickness, 2) for v in verticals} == {0.5}
    edges = sorted({round(v.x, 2) for v in verticals})
    assert edges[0] == pytest.approx(LEFT, abs=0.01) and edges[-1] == pytest.approx(RIGHT, abs=0.01)

    inside = [line for line in page.grid_lines if rules[0].y < line.baseline < rules[-1].y]
    caption = next(line for line in page.grid_lines if line.text == "全市乡镇史志阅览室建设进度")
    assert caption.baseline < rules[0].y and caption.size == 14
    heading = next(line for _, line in pdf.lines() if line.text == "【栏目】").chars[0].family
    body_font = next(line for _, line in pdf.lines() if line.size == 16 and "资政" in line.text)
    assert caption.chars[0].family == heading  # 黑体, as the column tag
    assert abs((caption.x0 + caption.x1) / 2 - (LEFT + RIGHT) / 2) < 1
    header = [c for line in inside for c in line.chars if c.baseline < rules[1].y]
    body = [c for line in inside for c in line.chars if c.baseline > rules[1].y]
    assert {c.size for c in header + body} == {14}
    assert all(c.family == heading for c in header)  # header 黑体
    assert all(c.family == body_font.chars[0].family for c in body)  # cells 仿宋
    for char in header + body:  # every character inside its cell's box
        left = max(x for x in edges if x <= char.x0 + 0.01)
        right = min(x for x in edges if x >= char.x0 + 0.01)
        assert left < char.x0 and char.x1 <= right + 0.01
    for line in inside:  # cell text broken by the body's rules
        assert not any(c.text in LINE_START_FORBIDDEN for c in line.chars[:1])
    text = "".join(line.text for line in inside).replace(" ", "")
    assert LONG_NOTE.replace(" ", "") in "".join(
        c.text for c in sorted(body, key=lambda c: (c.baseline, c.x0)) if c.x0 > edges[3]
    )
    below = [line for line in page.grid_lines if line.baseline > rules[-1].y]
    after = (below or pdf.pages[page.number].grid_lines)[0]  # on this page or the next
    assert cell_of(after) == pytest.approx(round(cell_of(after)), abs=0.01)  # back on the grid
    assert "市中区" in text and "东兴区" in text


def test_a_long_table_continues_with_its_header_repeated(
    tmp_path: Path, build: Callable[[Path], BuildResult]
) -> None:
    """layout.md §8: continued on the next page, header repeated, header + a row together."""
    rows = [HEADER] + [[f"第{n}区", str(n), str(n // 2), "按期推进"] for n in range(1, 41)]
    pdf = read_pdf(build(issue(tmp_path / "issues" / "s", rows, paragraphs=4, after=3)).pdf)
    pages = [p for p in pdf.pages if table_rules(p)]
    assert len(pages) >= 2
    seen = []
    for page in pages:
        inside = [line for line in page.grid_lines if line.size == 14 and len(line.chars) > 1]
        table = [line for line in inside if "区" in line.text or "县" in line.text]
        assert (
            table[0].text.replace(" ", "").startswith("县（市、区）")
        )  # the header heads every part
        assert len(table) >= 2  # and at least one row goes with it
        rules = table_rules(page)
        assert rules[-1].y > table[-1].baseline  # each part is closed by a bottom rule
        for a, b in itertools.pairwise(rules):
            assert (b.y - a.y) / PITCH == pytest.approx(round((b.y - a.y) / PITCH), abs=1e-4)
        seen += [line.text.replace(" ", "").split("第")[1].split("区")[0] for line in table[1:]]
    assert seen == [str(n) for n in range(1, 41)]  # every row once, in order


def test_a_table_without_header_rows_sets_every_row_in_the_cell_font(
    tmp_path: Path, build: Callable[[Path], BuildResult]
) -> None:
    """layout.md §8: with header_rows = 0 every row is set in the cells' 仿宋."""
    folder = tmp_path / "issues" / "s"
    path = issue(folder, [["甲", "乙"], ["丙", "丁"]])
    path.write_text(
        path.read_text(encoding="utf-8").replace("after = 1\n", "after = 1\nheader_rows = 0\n"),
        encoding="utf-8",
    )
    pdf = read_pdf(build(path).pdf)
    page = next(p for p in pdf.pages if table_rules(p))
    top, bottom = table_rules(page)[0].y, table_rules(page)[-1].y
    chars = [c for line in page.grid_lines if top < line.baseline < bottom for c in line.chars]
    body_font = next(line for _, line in pdf.lines() if line.size == 16 and "资政" in line.text)
    assert len(chars) == 4 and all(c.family == body_font.chars[0].family for c in chars)
