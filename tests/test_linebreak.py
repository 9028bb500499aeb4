"""Tests for the grid line composer (layout.md §1, §6)."""

from __future__ import annotations

import math
import random
from itertools import pairwise
from typing import Any

import pytest

from pipeline.layout import linebreak
from pipeline.layout.gridtext import (
    LINE_START_FORBIDDEN,
    PARAGRAPH_SPACES,
    ComposedLine,
    PreparedText,
)
from pipeline.layout.linebreak import compose_paragraph
from pipeline.layout.linefit import fit_values

EM = 16.0
TRACK = -0.2071
PITCH = EM + TRACK
AREA = 442.2  # 28 characters of 三号 with -0.2071 pt tracking
INDENT = 2 * PITCH

START_MARKS = [
    "、",
    "，",
    "。",
    "；",
    "：",
    "？",
    "！",
    "”",
    "’",
    "）",
    "〕",
    "］",
    "】",
    "》",
    "〉",
]
START_MARKS += ["·", "／", "……", "——"]
ASCII_START_MARKS = [",", ".", ";", ":", "?", "!", ")"]
END_MARKS = ["“", "‘", "（", "〔", "［", "【", "《", "〈"]
CLOSING = set("，。、；：”’）〕］】》〉")


def adv(c: str) -> float:
    return 8.0 if c.isascii() else 16.0


def texts(lines: list[ComposedLine]) -> list[str]:
    return ["".join(c.char for c in line.chars) for line in lines]


def xs(line: ComposedLine) -> list[float]:
    return [c.x_pt for c in line.chars]


def small(
    text: str, *, first_indent_pt: float = 0.0, rest_indent_pt: float = 0.0, justify: bool = True
) -> list[ComposedLine]:
    """Ten 16 pt characters per line, no tracking: exact arithmetic."""
    return compose_paragraph(
        text,
        adv,
        width_pt=160.0,
        em_pt=EM,
        first_indent_pt=first_indent_pt,
        rest_indent_pt=rest_indent_pt,
        justify=justify,
    )


def grid(text: str, *, justify: bool = True) -> list[ComposedLine]:
    """The body grid: 28 characters per line, first-line indent of two."""
    return compose_paragraph(
        text,
        adv,
        width_pt=AREA,
        em_pt=EM,
        tracking_pt=TRACK,
        first_indent_pt=INDENT,
        justify=justify,
    )


# §1 grid


def test_full_lines_hold_28_characters_on_the_grid() -> None:
    text = "为人民服务，" * 12  # no mark falls on a line start
    lines = grid(text)
    assert [len(t) for t in texts(lines)] == [26, 28, 18]
    assert "".join(texts(lines)) == text
    for i, x in enumerate(xs(lines[0])):
        assert x == pytest.approx((i + 2) * PITCH, abs=1e-9)
    for i, x in enumerate(xs(lines[1])):
        assert x == pytest.approx(i * PITCH, abs=1e-9)
    assert lines[1].width_pt == AREA
    assert not lines[1].is_last and lines[2].is_last


def test_first_line_indent() -> None:
    lines = small("一二三四五六七八九十甲乙", first_indent_pt=32.0)
    assert texts(lines) == ["一二三四五六七八", "九十甲乙"]
    assert lines[0].chars[0].x_pt == 32.0
    assert lines[1].chars[0].x_pt == 0.0


def test_hanging_indent() -> None:
    lines = small("市委办公室、市人大办公室、市政府办公室。", rest_indent_pt=32.0)
    # 室。 alone would be a one-character last line: the lines above carry 办 and 公 down
    assert texts(lines) == ["市委办公室、市人大", "办公室、市政府办", "公室。"]
    assert lines[1].chars[0].x_pt == 32.0
    assert lines[1].width_pt == 160.0
    assert xs(lines[2]) == [32.0, 48.0, 64.0]


# §6 kinsoku


@pytest.mark.parametrize("mark", START_MARKS)
def test_mark_never_starts_a_line(mark: str) -> None:
    text = "一" * 10 + mark + "二" * 5
    lines = small(text)
    assert "".join(texts(lines)) == text
    for line in texts(lines):
        assert not line.startswith(mark[0])


@pytest.mark.parametrize("mark", START_MARKS)
def test_mark_never_starts_a_grid_line(mark: str) -> None:
    text = "国" * 26 + mark + "家" * 30
    lines = grid(text)
    assert "".join(texts(lines)) == text
    assert not texts(lines)[1].startswith(mark[0])


@pytest.mark.parametrize("mark", ASCII_START_MARKS)
def test_ascii_mark_after_han_never_starts_a_line(mark: str) -> None:
    lines = small("一" * 10 + mark + "二")
    assert texts(lines) == ["一" * 9, "一" + mark + "二"]


@pytest.mark.parametrize("mark", END_MARKS)
def test_mark_never_ends_a_line(mark: str) -> None:
    lines = small("一" * 9 + mark + "二" * 5)
    assert texts(lines) == ["一" * 9, mark + "二" * 5]
    assert lines[0].chars[-1].x_pt + 16 == 160.0  # pushed-out line still justified


def test_run_of_closing_marks_sticks_to_previous_character() -> None:
    lines = small("一" * 9 + "二。”）三")
    # 。”） cannot all squeeze in (needs 2 em, only 1.5 em of blanks), so 二 goes down with them
    assert texts(lines) == ["一" * 9, "二。”）三"]


@pytest.mark.parametrize("pair", ["——", "……"])
def test_doubled_marks_never_split(pair: str) -> None:
    lines = small("一" * 9 + pair + "二" * 5)
    assert texts(lines) == ["一" * 8, "一" + pair + "二" * 5]


@pytest.mark.parametrize("pair", ["——", "……"])
def test_doubled_marks_keep_plain_tracking_when_justified(pair: str) -> None:
    lines = small("一" * 5 + pair + "二" * 3 + "？")
    assert texts(lines) == ["一" * 5 + pair + "二" * 2, "二？"]
    x = xs(lines[0])
    assert x[6] - x[5] == 16.0  # inside the pair: no stretch
    assert x[1] - x[0] == pytest.approx(16 + 16 / 7)
    assert x[-1] + 16 == pytest.approx(160.0)


@pytest.mark.parametrize("number", ["2023年", "83个", "3份", "14期"])
def test_number_stays_with_its_unit(number: str) -> None:
    lines = small("一" * (10 - len(number) // 2) + number + "二二")
    assert any(t.startswith(number) for t in texts(lines))


def test_bracketed_year_stays_whole() -> None:
    lines = small("一" * 8 + "〔2023〕号")
    assert texts(lines) == ["一" * 8, "〔2023〕号"]


def test_space_is_dropped_at_a_break() -> None:
    lines = small("abcd efgh ijklmnopqrs")
    assert texts(lines) == ["abcd efgh", "ijklmnopqrs"]
    assert xs(lines[0])[4:6] == [76.0, 128.0]  # the 88 pt of slack go to the two gaps by the space
    assert lines[0].chars[-1].x_pt + 8 == 160.0


# §6 remedies


def test_compression_of_adjacent_marks_first() -> None:
    lines = small("甲乙丙丁戊己庚辛）。”后面的")
    assert texts(lines) == ["甲乙丙丁戊己庚辛）。”", "后面的"]
    assert xs(lines[0])[8:] == [128.0, 136.0, 144.0]  # ）and 。 lose their blank halves, ” is full
    assert lines[0].width_pt == 160.0


def test_a_line_end_comma_hangs_its_blank_half_past_the_edge() -> None:
    """§6.2: 九， fits a ten-cell line when the comma is set in half a cell."""
    lines = small("一二三四五六七八九，十一")
    assert texts(lines) == ["一二三四五六七八九，", "十一"]
    assert xs(lines[0]) == [16.0 * k for k in range(10)]
    assert lines[0].width_pt == 160.0


def test_carrying_down_wins_when_squeezing_would_change_each_gap_more() -> None:
    """§6: squeezing 九， in would take 4 pt from the mid-line comma; carrying 九， down
    spreads each of 8 gaps by 2 pt, the smaller change."""
    lines = small("一二三，四五六七八九，十一")
    assert texts(lines) == ["一二三，四五六七八", "九，十一"]
    assert xs(lines[0]) == pytest.approx([18.0 * k for k in range(9)])


def test_squeezing_takes_room_from_the_marks_then_the_gaps() -> None:
    """§6.3: a line that must absorb a forbidden start takes from all its marks evenly."""
    # 28 cells, then a 。 that may not start the next line; carrying the document number
    # down would spread each gap by 4.5 pt, so the line takes half a cell from its marks.
    text = "一，二，三，" + "四" * 16 + "〔2024〕15号。后面"
    half = {c: 8.0 - TRACK / 2 for c in "0123456789"}  # digits in exactly half a cell (§1)
    lines = compose_paragraph(
        text, lambda c: half.get(c, EM), width_pt=AREA, em_pt=EM, tracking_pt=TRACK
    )
    first = lines[0]
    assert texts(lines)[0] == text[:-2]
    cells = [b - a for a, b in pairwise(xs(first))]
    marks = [cells[k] for k, c in enumerate(first.chars[:-1]) if c.char == "，"]
    assert max(marks) - min(marks) < 0.01  # evenly
    assert min(marks) >= 0.75 * PITCH - 0.01  # never below 3/4 of a cell
    assert min(marks) < PITCH - 1


def test_adjacent_marks_take_one_and_a_half_cells() -> None:
    """§6.1: ”， and ）。 are set in 1.5 cells per pair, wherever they fall."""
    lines = small("一“二”，三四五", justify=False)
    assert xs(lines[0]) == [0.0, 16.0, 32.0, 48.0, 56.0, 72.0, 88.0, 104.0]


def test_carry_down_when_nothing_can_be_squeezed() -> None:
    lines = small("一二三四五六七八九十？后")
    assert texts(lines) == ["一二三四五六七八九", "十？后"]
    assert xs(lines[0]) == [18.0 * k for k in range(9)]
    assert lines[0].chars[-1].x_pt + 16 == lines[0].width_pt == 160.0


def test_last_line_flush_left_not_stretched() -> None:
    lines = small("一二三四五六七八九十？后")
    assert lines[-1].is_last
    assert xs(lines[-1]) == [0.0, 16.0, 32.0]
    assert lines[-1].width_pt == 48.0


def test_no_justification_when_disabled() -> None:
    lines = small("一二三四五六七八九十？后", justify=False)
    assert xs(lines[0]) == [16.0 * k for k in range(9)]
    assert lines[0].width_pt == 144.0


# §6 justification and mixed text


def test_justification_skips_gaps_inside_a_latin_word() -> None:
    lines = small("数据abcde共十个字符吧再来")
    assert texts(lines) == ["数据abcde共十个字符", "吧再来"]
    x = xs(lines[0])
    stretch = 8 / 7  # 11 gaps, 4 of them inside "abcde"
    assert x[2] == pytest.approx(32 + 2 * stretch)
    assert [x[k + 1] - x[k] for k in range(2, 6)] == pytest.approx([8.0] * 4)
    assert x[-1] + 16 == pytest.approx(160.0)


def test_decimal_and_percentage_are_one_word() -> None:
    lines = small("一" * 8 + "3.5%的增长")
    assert texts(lines)[1].startswith("3.5%的")


def test_long_latin_word_is_broken() -> None:
    word = "abcdefghijklmnopqrstuvwxyz"
    lines = small(word)
    assert texts(lines) == [word[:20], word[20:]]
    assert all(c.x_pt + 8 <= 160.0 for line in lines for c in line.chars)


@pytest.mark.parametrize("run", ["a" * 4911, "“" * 5000, "、" * 5000], ids=["word", "“", "、"])
def test_unbreakable_run_longer_than_a_line_breaks_at_the_edge(run: str) -> None:
    """layout.md §6: a run with no allowed break is kept whole only while it fits on a line."""
    lines = grid(run)
    assert "".join(texts(lines)) == run
    for line in lines:
        right = line.chars[-1].x_pt + line.chars[-1].advance_pt
        assert line.chars[0].x_pt >= 0 and right <= AREA - TRACK + 0.01  # a glyph box's overhang
        if not line.is_last:  # full: another letter or mark (half a cell here) would not fit
            assert AREA - right < PITCH / 2


def test_zero_width_characters_keep_the_window_bounded() -> None:
    text = "一" + "\u200b" * 3000 + "二" * 30
    lines = compose_paragraph(
        text, lambda c: 0.0 if c == "\u200b" else adv(c), width_pt=AREA, em_pt=EM
    )
    assert "".join(texts(lines)) == text
    assert all(c.x_pt + c.advance_pt <= AREA + 0.01 for line in lines for c in line.chars)


def test_non_bmp_character() -> None:
    lines = small("𠮷" * 12)
    assert texts(lines) == ["𠮷" * 10, "𠮷" * 2]
    assert all(c.char == "𠮷" for c in lines[0].chars)


def test_empty_text() -> None:
    assert compose_paragraph("", adv, width_pt=160.0, em_pt=EM) == []


# properties

HAN = "国家发展改革委员会工作简报内江市党史地方志研究室𠮷"
MARKS = START_MARKS + END_MARKS + ["？！", "。”", "”，", "、"]


def random_text(rng: random.Random, spaces: bool) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(1, 120)):
        r = rng.random()
        if r < 0.65:
            parts.append(rng.choice(HAN))
        elif r < 0.75:
            parts.append(str(rng.randint(0, 9999)) + rng.choice(HAN))
        elif r < 0.77 and spaces:
            parts.append(" ")
        else:
            parts.append(rng.choice(MARKS))
    return "".join(parts)


def check_kinsoku(lines: list[ComposedLine]) -> None:
    """No line but the first starts, and none but the last ends, with a forbidden mark."""
    got = texts(lines)
    for before, after in pairwise(got):
        assert after[0] not in "".join(START_MARKS + ASCII_START_MARKS), (before, after)
        assert before[-1] not in "".join(END_MARKS), (before, after)
    assert all(t[0] != " " and t[-1] != " " for t in got)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("justify", [True, False])
def test_random_paragraphs(seed: int, justify: bool) -> None:
    rng = random.Random(seed)
    for _ in range(60):
        text = random_text(rng, spaces=True)
        lines = grid(text, justify=justify)
        check_kinsoku(lines)
        assert "".join(texts(lines)).replace(" ", "") == text.replace(" ", "")
        assert "".join(texts(lines)).count(" ") <= text.count(" ")
        assert lines[-1].is_last and not any(line.is_last for line in lines[:-1])
        for line in lines:
            x = xs(line)
            assert all(a <= b for a, b in pairwise(x))
            last = line.chars[-1]
            end = last.x_pt + last.advance_pt + TRACK
            hang = EM / 2 if last.char in CLOSING else 0.0  # §6.2: its blank half may hang
            assert end - hang <= AREA + 0.01, texts([line])
            if justify and not line.is_last:
                assert AREA - 0.01 <= end <= AREA + hang + 0.01, texts([line])
                assert line.width_pt == AREA


def test_number_range_stays_whole() -> None:
    """2006—2020 is one unit: no break on either side of the dash between digits."""
    text = "甲乙丙丁戊己2006—2020年"
    lines = compose_paragraph(text, adv, width_pt=160, em_pt=16, justify=False)
    joined = ["".join(c.char for c in line.chars) for line in lines]
    assert any("2006—2020年" in line for line in joined), joined


def test_a_last_line_of_one_character_is_avoided() -> None:
    """县。 alone on a paragraph's last line: the line above carries one more character down."""
    lines = small("一二三四五六七八九十县。")
    assert texts(lines) == ["一二三四五六七八九", "十县。"]
    assert xs(lines[0]) == pytest.approx([18.0 * k for k in range(9)])  # 2 pt a gap


# the search's shortcuts choose what the plain search chooses


def _prepared(text: str, tracking_pt: float = TRACK) -> PreparedText:
    advance = lambda c: 0.0 if c == "\u200b" else adv(c)  # noqa: E731
    return PreparedText(text, advance, EM, tracking_pt, PARAGRAPH_SPACES)


def _searched(
    prepared: PreparedText, justify: bool, squeeze: bool, pruned: bool
) -> tuple[list[int] | None, set[int]]:
    """The breaks of the body grid's search, with or without the bound; the starts it visited."""
    first, visited = prepared.skipped[0], set()

    def candidates(start: int) -> list[tuple[int, float]]:
        visited.add(start)
        avail = AREA - (INDENT if start == first else 0.0)
        return linebreak._candidate_ends(prepared, start, avail, justify, squeeze)

    bound = math.inf
    if pruned:
        bound = linebreak.first_guess(prepared, first, candidates) + 2 * linebreak.PRUNE_MARGIN
        visited.clear()
    return linebreak._search(prepared, first, candidates, bound), visited


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("justify", "squeeze"), [(True, True), (True, False), (False, True)])
def test_leaving_out_dear_line_starts_never_changes_the_breaks(
    seed: int, justify: bool, squeeze: bool
) -> None:
    rng = random.Random(seed)
    left_out = 0
    for _ in range(40):
        prepared = _prepared(random_text(rng, spaces=True) * rng.randint(1, 3))
        plain, visited = _searched(prepared, justify, squeeze, pruned=False)
        pruned, visited_pruned = _searched(prepared, justify, squeeze, pruned=True)
        assert pruned == plain
        assert pruned == linebreak._best_breaks(prepared, AREA, INDENT, 0.0, justify, squeeze)
        left_out += len(visited) - len(visited_pruned)
    assert left_out > 0  # the bound did leave starts out


@pytest.mark.parametrize("guess", [0.0, 7.5, 20.0, 47.0, 95.0, 109442.9, 9e5])
def test_search_bounds_rise_to_the_guess_and_are_few(guess: float) -> None:
    bounds = linebreak.search_bounds(guess)
    assert bounds == sorted(bounds) and bounds[-1] == guess + 2 * linebreak.PRUNE_MARGIN
    assert len(bounds) <= linebreak.LOWER_BOUNDS + 1  # a paragraph is searched a few times
    assert all(bound > 0 for bound in bounds)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("justify", "squeeze"), [(True, True), (True, False), (False, True)])
def test_bounds_below_the_guess_never_change_the_breaks(
    seed: int, justify: bool, squeeze: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(100 + seed)
    real = linebreak._search
    found_below = []

    def search(text: PreparedText, first: int, candidates: Any, bound: float) -> list[int] | None:
        found = real(text, first, candidates, bound)
        found_below.append(found is not None and bound < linebreak.search_bounds(guess[0])[-1])
        return found

    guess = [0.0]
    real_guess = linebreak.first_guess

    def first_guess(text: PreparedText, first: int, candidates: Any) -> float:
        guess[0] = real_guess(text, first, candidates)
        return guess[0]

    monkeypatch.setattr(linebreak, "_search", search)
    monkeypatch.setattr(linebreak, "first_guess", first_guess)
    for _ in range(40):
        prepared = _prepared(random_text(rng, spaces=True) * rng.randint(1, 3))
        plain, _ = _searched(prepared, justify, squeeze, pruned=False)
        assert linebreak._best_breaks(prepared, AREA, INDENT, 0.0, justify, squeeze) == plain
    assert any(found_below)  # some paragraphs were decided below the guess


@pytest.mark.parametrize("tracking_pt", [TRACK, 0.0, -0.9])
def test_skipping_short_lines_by_bisection_finds_the_ends_a_scan_finds(
    tracking_pt: float,
) -> None:
    rng = random.Random(7)
    for _ in range(30):
        text = random_text(rng, spaces=True).replace("国", "\u200b")
        prepared = _prepared(text, tracking_pt)
        assert prepared.min_width_pt > -linebreak.SPREAD_LIMIT_PT / 2
        bisected = [
            linebreak._ends(prepared, s, AREA, True, True, within_limits=True)
            for s in range(prepared.count)
        ]
        prepared.min_width_pt = -math.inf  # every end is looked at in turn
        scanned = [
            linebreak._ends(prepared, s, AREA, True, True, within_limits=True)
            for s in range(prepared.count)
        ]
        assert bisected == scanned


@pytest.mark.parametrize(("justify", "squeeze"), [(True, True), (True, False), (False, True)])
def test_each_end_costs_what_fit_values_says_its_line_costs(justify: bool, squeeze: bool) -> None:
    """_ends spells out fit_values' arithmetic for the lines that fit or are spread: each end's
    cost is fit_values' cost with the break's penalty and the paragraph's own terms added."""
    rng = random.Random(11)
    checked = 0
    for _ in range(40):
        prepared = _prepared(random_text(rng, spaces=True))
        for start in range(prepared.count):
            for within_limits in (True, False):
                found = linebreak._ends(prepared, start, AREA, justify, squeeze, within_limits)
                for klass, ends in found.items():
                    for end, cost in ends:
                        line_end = prepared.stripped[end]
                        natural = prepared.natural_pt(start, line_end)
                        last = prepared.skipped[end] >= prepared.count
                        fit = fit_values(
                            prepared, start, line_end, natural, AREA, justify and not last, squeeze
                        )
                        assert fit is not None
                        expected = fit[4] + linebreak.BREAK_PENALTY[klass]
                        lone = last and _characters(prepared, start, end) < 2
                        if lone and justify and start > 0:
                            expected += linebreak.LONE_LAST_CHARACTER_COST
                        if not justify and not last and natural < AREA:
                            expected += ((AREA - natural) / prepared.cell_pt) ** 2
                        assert cost == expected, (prepared.text, start, end)
                        checked += 1
    assert checked > 1000


def _characters(text: PreparedText, start: int, end: int) -> int:
    """Characters in chars[start:end] that are not spaces or punctuation marks."""
    return sum(
        1
        for i in range(start, end)
        if text.chars[i] not in text.spaces
        and not text.is_mark[i]
        and text.chars[i] not in LINE_START_FORBIDDEN
    )


def _all_unlimited_ends(
    prepared: PreparedText, start: int, avail_pt: float, squeeze: bool
) -> list[tuple[int, float]]:
    """_unlimited_ends without its shortcut: the best classes among every end."""
    found = linebreak._ends(prepared, start, avail_pt, True, squeeze, within_limits=False)
    return linebreak._best_classes(found)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("squeeze", [True, False])
def test_leaving_out_short_lines_where_the_paragraph_can_end_never_changes_the_breaks(
    seed: int, squeeze: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    texts = [random_text(rng, spaces=True) * rng.randint(1, 3) for _ in range(40)]

    def compose(text: str) -> list[ComposedLine]:
        return compose_paragraph(
            text, adv, width_pt=AREA, em_pt=EM, tracking_pt=TRACK, squeeze=squeeze
        )

    shortcut = [(compose(text), text) for text in texts]
    taken = []
    real = linebreak._unlimited_ends

    def counted(
        prepared: PreparedText, start: int, avail: float, squeeze: bool
    ) -> list[tuple[int, float]]:
        found = real(prepared, start, avail, squeeze)
        taken.append(found != _all_unlimited_ends(prepared, start, avail, squeeze))
        return found

    monkeypatch.setattr(linebreak, "_unlimited_ends", _all_unlimited_ends)
    for lines, text in shortcut:
        assert texts_and_places(compose(text)) == texts_and_places(lines), text
    monkeypatch.setattr(linebreak, "_unlimited_ends", counted)
    for text in texts:
        compose(text)
    assert any(taken)  # the shortcut did leave lines out


def texts_and_places(lines: list[ComposedLine]) -> list[tuple[str, tuple[float, ...], float]]:
    return [(line.text, line.x_pt, line.width_pt) for line in lines]
