"""Composing pages: marks in full grid cells, no blank line after a rule, the masthead name."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import SERIES_TOML, issue_toml, write
from pdfmeasure import CHAR_PITCH, LEFT, RIGHT, TRACKING, read_pdf

from pipeline.build import Builder
from pipeline.fonts.chains import FontLibrary
from pipeline.fonts.roles import Role
from pipeline.layout.blocks import RuleBlock, TextBlock
from pipeline.layout.linecache import LineCache
from pipeline.layout.pages import Composer, GridLine
from pipeline.layout.style import RuleStyle, Style, TextStyle
from pipeline.layout.templates import TemplateStore


@pytest.fixture(scope="module")
def composer() -> Composer:
    style = Style(
        text={
            "body": TextStyle(font="body", first_indent_chars=0),
            "kai": TextStyle(font="kai", align="left"),
            "tag": TextStyle(font="heading", align="left", space_before_lines=1),
        },
        rules={"rule": RuleStyle()},
    )
    return Composer(style, FontLibrary().chains({}))


def _placed(composer: Composer, line: GridLine, role: Role) -> list[tuple[str, float]]:
    """Every character of a line with its x, from the runs as a PDF viewer draws them."""
    chain = composer.chains[role]
    out = []
    for _, size_pt, x_pt, text, char_space_pt, _, h_scale in line.runs:
        x = x_pt
        for char in text:
            out.append((char, x))
            font = chain.font_for(char) or chain.primary
            x += font.advance_pt(char, size_pt) * h_scale / 100 + char_space_pt
    return out


def test_double_dash_spans_two_grid_cells(composer: Composer) -> None:
    [line] = composer.lines([TextBlock("body", "为主题——从千年")])
    pitch = composer.style.char_pitch_pt
    xs = [x for _, x in _placed(composer, line, "body")]
    assert [b - a for a, b in pairwise(xs)] == pytest.approx([pitch] * 7, abs=0.01)


def test_kai_quotes_take_full_cells(composer: Composer) -> None:
    [line] = composer.lines([TextBlock("kai", "建设“数字”馆")])
    placed = _placed(composer, line, "kai")
    pitch = composer.style.char_pitch_pt
    start = placed[0][1]
    # 馆 sits on the grid: the two quotes took a whole cell each
    assert placed[-1][1] - start == pytest.approx(6 * pitch, abs=0.05)
    # the opening quote's glyph sits in the right half of its cell
    opening = composer.chains["kai"].primary.advance_pt("“", 16)
    assert dict(placed)["“"] + opening >= start + 3 * pitch - 0.3


def test_no_blank_line_right_after_a_rule(composer: Composer) -> None:
    lines = composer.lines(
        [TextBlock("body", "甲"), TextBlock("tag", "【乙】"), TextBlock("body", "丙")]
    )
    assert [line.discard_at_top for line in lines] == [False, True, False, False]
    lines = composer.lines([TextBlock("body", "甲"), RuleBlock("rule"), TextBlock("tag", "【乙】")])
    assert [line.discard_at_top for line in lines] == [False, False]


def test_a_name_too_long_at_75_percent_is_set_smaller_and_stays_centred() -> None:
    """layout.md §2.2: condensed to 75 % at most, then set smaller; never off-centre."""
    style = TemplateStore([Path(__file__).parent.parent / "templates"]).get("work-bulletin").style
    composer = Composer(style, FontLibrary().chains(style.fonts))
    name = "四川省地方志工作办公室机关党委政工简讯与工作动态"  # 24 characters
    [line] = composer.lines([TextBlock("name", name)])
    [(_, _, x_pt, _, char_space_pt, _, h_scale)] = line.runs
    assert h_scale == pytest.approx(75) and char_space_pt == pytest.approx(0)
    assert line.size_pt < 42
    width = len(name) * line.size_pt * 0.75
    assert width == pytest.approx(style.width_pt)
    assert x_pt + width / 2 == pytest.approx(style.left_pt + style.width_pt / 2)


def test_unbreakable_runs_in_a_body_are_broken_at_the_type_areas_edge(
    tmp_path: Path, make_builder: Callable[[Path], Builder]
) -> None:
    """layout.md §1 (type area) and §6: a 4,911-letter word and 5,000 “ in a body build, each
    broken where a line is full, nothing outside the type area."""
    word, quotes = "a" * 4911, "“" * 5000
    folder = tmp_path / "issues" / "s"
    write(folder / "series.toml", SERIES_TOML)
    path = write(folder / "2024-01.toml", issue_toml(body=f"{word}\n\n{quotes}"))
    pdf = read_pdf(make_builder(tmp_path / "out").build(path).pdf)
    body = [line for _, line in pdf.lines() if set(line.text) <= {"a", "“"} and line.size == 16]
    assert "".join(line.text for line in body) == word + quotes
    for line in body:
        assert line.x0 >= LEFT - 0.01 and line.x1 <= RIGHT - TRACKING + 0.01, line.text
    full = [line for line, after in pairwise(body) if after.text[0] == line.text[-1]]
    assert len(full) > 150
    assert all(RIGHT - line.x1 < CHAR_PITCH / 2 for line in full)


def test_blocks_from_the_line_cache_report_what_composing_them_reports(
    composer: Composer,
) -> None:
    """A kept block's fallbacks are reported once, where they occur, and a new block with the
    same fallback character still gets its own report: as when every block is composed."""
    blocks = [TextBlock("body", "堃喆", origin="a"), TextBlock("body", "甲堃", origin="b")]
    cache = LineCache()
    Composer(composer.style, composer.chains, cache).lines(blocks)
    cache.sweep()
    again = [blocks[0], TextBlock("body", "乙堃喆", origin="c")]
    kept = Composer(composer.style, composer.chains, cache)
    kept.lines(again)
    fresh = Composer(composer.style, composer.chains, LineCache())
    fresh.lines(again)
    assert list(kept.fallbacks) == list(fresh.fallbacks) == [
        ("堃", "a"), ("喆", "a"), ("堃", "c"), ("喆", "c"),
    ]  # fmt: skip
