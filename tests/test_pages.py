"""Typesetter: marks set in full grid cells, no blank line after a rule, run grouping."""

from __future__ import annotations

import pytest

from pipeline.fonts.chains import FontLibrary
from pipeline.layout.blocks import RuleBlock, TextBlock
from pipeline.layout.pages import Composer
from pipeline.layout.style import RuleStyle, Style, TextStyle


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


def test_double_dash_spans_two_grid_cells(composer: Composer) -> None:
    [line] = composer.lines([TextBlock("body", "为主题——从千年")])
    pitch = composer.style.char_pitch_pt
    dashes = [run for run in line.runs if run.text == "—"]
    assert len(dashes) == 2
    assert dashes[1].x_pt - dashes[0].x_pt == pytest.approx(pitch, abs=0.01)
    # the font's dash is narrower than an em: it is stretched so the two strokes join
    assert dashes[0].h_scale > 100
    after = next(run for run in line.runs if run.text.startswith("从"))
    assert after.x_pt - dashes[1].x_pt == pytest.approx(pitch, abs=0.01)


def test_kai_quotes_take_full_cells(composer: Composer) -> None:
    [line] = composer.lines([TextBlock("kai", "建设“数字”馆")])
    x = {run.text[0]: run.x_pt for run in line.runs}
    start = line.runs[0].x_pt
    pitch = composer.style.char_pitch_pt
    # 馆 sits on the grid: the two quotes took a whole cell each
    last = max(run.x_pt + (len(run.text) - 1) * pitch for run in line.runs)
    assert last - start == pytest.approx(6 * pitch, abs=0.05)
    # the opening quote's glyph sits in the right half of its cell
    assert x["“"] > start + 2 * pitch + 4


def test_no_blank_line_right_after_a_rule(composer: Composer) -> None:
    lines = composer.lines(
        [TextBlock("body", "甲"), TextBlock("tag", "【乙】"), TextBlock("body", "丙")]
    )
    assert [line.discard_at_top for line in lines] == [False, True, False, False]
    lines = composer.lines([TextBlock("body", "甲"), RuleBlock("rule"), TextBlock("tag", "【乙】")])
    assert [line.discard_at_top for line in lines] == [False, False]
