"""Print-ready (issue 11): the samples and the hard cases of tests/cases, measured in the PDF."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import Built
from pdfmeasure import (
    BODY_SIZE,
    BOTTOM,
    CHAR_PITCH,
    CLOSING_MARKS,
    LEFT,
    OPENING_MARKS,
    PITCH,
    PT_PER_MM,
    RED,
    RIGHT,
    TOP,
    WIDTH,
    Measured,
    TextLine,
    em_bottom,
    em_top,
)

from pipeline.build import Builder
from pipeline.diagnostics import BulletinError
from pipeline.fonts.chains import FontLibrary
from pipeline.layout.words import word_starts

CASES = Path(__file__).parent / "cases"
CENTRE_X = LEFT + WIDTH / 2
HALF = CHAR_PITCH / 2
MARKS = CLOSING_MARKS | OPENING_MARKS
SPANS = {"《": "》", "“": "”", "（": "）", "〔": "〕"}
DIGITS_AND_LETTERS = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch project whose issues/ holds the hard cases."""
    root = tmp_path_factory.mktemp("print-ready")
    for series in ("brief", "work"):
        shutil.copytree(CASES / series, root / "issues" / series)
    return root


@pytest.fixture(scope="module")
def builder(project: Path, fonts: FontLibrary) -> Builder:
    made = Builder(project, project / "output")
    made.fonts = fonts
    return made


@pytest.fixture(scope="module")
def cases(project: Path, builder: Builder) -> dict[str, Built]:
    """The hard cases that build."""
    names = ["brief/2024-08", "work/2024-30", "work/2024-31"]
    out = {}
    for name in names:
        path = project / "issues" / f"{name}.toml"
        out[name] = Built(path, builder.build(path))
    return out


def failure(builder: Builder, project: Path, name: str) -> BulletinError:
    with pytest.raises(BulletinError) as caught:
        builder.build(project / "issues" / f"{name}.toml")
    return caught.value


@pytest.fixture(scope="module")
def everything(cases: dict[str, Built], samples: dict[str, Built]) -> dict[str, Built]:
    return {**samples, **cases}


def body_lines(pdf: Measured) -> Iterator[TextLine]:
    """Paragraph lines: 16 pt in the body font inside the type area (not the editor and date
    row, whose halves stand apart and whose name may be condensed)."""
    for _, line in pdf.lines():
        if line.size != BODY_SIZE or "FandolFang" not in _family(line):
            continue
        if any(g > 2 * CHAR_PITCH for g in line.gaps()):
            continue
        if any(c.x1 - c.x0 < BODY_SIZE - 0.1 for c in line.chars if "\u4e00" <= c.text <= "\u9fff"):
            continue
        yield line


def _family(line: TextLine) -> str:
    families = [c.family for c in line.chars if not c.text.isspace()]
    return max(set(families), key=families.count)


def _titles(pdf: Measured) -> list[list[TextLine]]:
    """Each article title's lines (22 pt, consecutive)."""
    titles: list[list[TextLine]] = []
    for page in pdf.pages:
        previous = None
        for line in page.grid_lines:
            if line.size == 22:
                if previous is not None and previous.size == 22:
                    titles[-1].append(line)
                else:
                    titles.append([line])
            previous = line
    return titles


# --- 1. fonts (§7) -----------------------------------------------------------------------------


def test_1_every_role_has_a_face_of_its_own_style(samples: dict[str, Built]) -> None:
    """layout.md §7: 仿宋 FandolFang, 楷体 FandolKai, 黑体 Noto Sans SC Medium, 小标宋 Black."""
    pdf = samples["2024-14"].pdf
    first = pdf.pages[0].grid_lines
    assert _family(first[0]) == "NotoSansSC-Medium"  # 内部资料 (黑体)
    assert _family(first[1]) == "NotoSerifSC-Black"  # 工作简报 (小标宋)
    assert any(True for _ in body_lines(pdf))  # body in FandolFang
    kai = [line for _, line in pdf.lines() if line.text.startswith("（一）")]
    assert kai and all(_family(line) == "FandolKai-Regular" for line in kai)


# --- 2. digits and letters in half cells (§1) --------------------------------------------------


def test_2_digits_and_letters_take_half_a_cell_centred(everything: dict[str, Built]) -> None:
    """layout.md §1: Arabic digits and Latin letters take exactly half a cell, centred in it."""
    checked = 0
    for built in everything.values():
        for line in body_lines(built.pdf):
            for a, b in pairwise(line.chars):
                if a.text in DIGITS_AND_LETTERS and b.text in DIGITS_AND_LETTERS:
                    # neighbours inside a number or word: one half cell apart, centre to centre
                    centre_a, centre_b = (a.x0 + a.x1) / 2, (b.x0 + b.x1) / 2
                    if a.x1 - a.x0 <= HALF + 0.01 and b.x1 - b.x0 <= HALF + 0.01:
                        assert centre_b - centre_a == pytest.approx(HALF, abs=0.01), line.text
                        checked += 1
    assert checked > 100


def _han(text: str) -> bool:
    return "\u4e00" <= text <= "\u9fff"


def test_2_two_digits_fill_one_cell(everything: dict[str, Built]) -> None:
    """layout.md §1: a run of n digits or letters between Han characters takes n half cells,
    so an even run keeps the columns (on lines that are not spread or squeezed)."""
    checked = 0
    for built in everything.values():
        for line in body_lines(built.pdf):
            chars = line.chars
            han_gaps = [b.x0 - a.x0 for a, b in pairwise(chars) if _han(a.text) and _han(b.text)]
            if not han_gaps or any(abs(g - CHAR_PITCH) > 0.01 for g in han_gaps):
                continue  # spread, squeezed, or nothing to compare with
            for start in range(1, len(chars)):
                if chars[start].text not in DIGITS_AND_LETTERS or not _han(chars[start - 1].text):
                    continue
                end = start
                while end < len(chars) and chars[end].text in DIGITS_AND_LETTERS:
                    end += 1
                if end < len(chars) and _han(chars[end].text):
                    taken = chars[end].x0 - chars[start - 1].x0
                    assert taken == pytest.approx(CHAR_PITCH + (end - start) * HALF, abs=0.02)
                    checked += 1
    assert checked >= 20


# --- 3. the masthead name (§2.2) ---------------------------------------------------------------


def test_3_an_eleven_character_name_is_centred_and_condensed_once(
    cases: dict[str, Built],
) -> None:
    """layout.md §2.2: no letter-spacing, condensed (at least 75 %), centred within 0.5 mm."""
    name = cases["brief/2024-08"].pdf.pages[0].grid_lines[1]
    assert name.text == "四川省地方志办政工简讯" and name.size == 42
    widths = [c.x1 - c.x0 for c in name.chars]
    scale = widths[0] / 42
    assert 0.75 <= scale < 1 and max(widths) - min(widths) < 0.01
    # letter-spacing dropped: each character starts where the one before ends
    assert all(b.x0 - a.x1 == pytest.approx(0, abs=0.02) for a, b in pairwise(name.chars))
    assert name.x0 >= LEFT - 0.01 and name.x1 <= RIGHT + 0.01
    assert abs((name.x0 + name.x1) / 2 - CENTRE_X) <= 0.5 * PT_PER_MM
    assert all(c.color == RED for c in name.chars)


def test_3_a_short_name_is_letter_spaced_and_centred(samples: dict[str, Built]) -> None:
    """layout.md §2.2: a short name keeps its letter-spacing, and is centred."""
    name = samples["2024-14"].pdf.pages[0].grid_lines[1]
    assert name.text == "工作简报"
    assert all(b.x0 - a.x1 > 10 for a, b in pairwise(name.chars))
    assert abs((name.x0 + name.x1) / 2 - CENTRE_X) <= 0.5 * PT_PER_MM


# --- 4. white under the red rule (§2.6) --------------------------------------------------------


def test_4_at_least_8_mm_of_white_under_the_red_rule(everything: dict[str, Built]) -> None:
    """layout.md §2.6: the first content line's ink starts at least 8 mm under the rule."""
    for built in everything.values():
        first = built.pdf.pages[0]
        [rule] = [r for r in first.rules if r.color == RED]
        below = [line for line in first.grid_lines if em_top(line) > rule.y]
        assert em_top(below[0]) - rule.y >= 8 * PT_PER_MM


# --- 5. em boxes centred in their rows (§1) ----------------------------------------------------


def test_5_a_full_page_has_equal_white_above_and_below(long_issue: Built) -> None:
    """layout.md §1: em boxes centred in their rows: white above the first line of a full page
    equals the white below its last."""
    full = [p for p in long_issue.pdf.pages if len(p.grid_lines) == 22]
    assert full
    for page in full:
        lines = page.grid_lines
        above = em_top(lines[0]) - TOP
        below = BOTTOM - em_bottom(lines[-1])
        assert above == pytest.approx(below, abs=0.05) == pytest.approx((PITCH - 16) / 2, abs=0.05)


# --- 6. punctuation compression (§6) -----------------------------------------------------------


def _cell(line: TextLine, index: int) -> float | None:
    """The room a character takes: to the next character's origin (None at the line end)."""
    if index + 1 >= len(line.chars):
        return None
    return line.chars[index + 1].x0 - line.chars[index].x0


def test_6_adjacent_marks_are_set_in_one_and_a_half_cells(everything: dict[str, Built]) -> None:
    """layout.md §6.1: a closing mark followed by a mark gives up its blank half."""
    pairs = 0
    for built in everything.values():
        for line in body_lines(built.pdf):
            for index, (a, b) in enumerate(pairwise(line.chars)):
                if a.text in CLOSING_MARKS and b.text in MARKS:
                    room = _cell(line, index)
                    assert room is not None and room <= HALF + 2.01, line.text
                    pairs += 1
    assert pairs >= 10


def test_6_no_isolated_mid_line_mark_below_three_quarters_of_a_cell(
    everything: dict[str, Built], long_issue: Built
) -> None:
    """layout.md §6.3: a single mark in the middle of a line keeps at least 3/4 of a cell."""
    for built in [*everything.values(), long_issue]:
        for line in body_lines(built.pdf):
            chars = line.chars
            for index in range(1, len(chars) - 1):
                char = chars[index]
                if char.text not in MARKS or chars[index - 1].text in MARKS:
                    continue
                if chars[index + 1].text in MARKS:
                    continue
                room = chars[index + 1].x0 - chars[index].x0
                if char.text in OPENING_MARKS:  # its blank half is on the left
                    room = chars[index].x0 - chars[index - 1].x0
                assert room >= 0.75 * CHAR_PITCH - 0.02, (line.text, char.text, room)


def test_6_spread_and_squeeze_stay_within_their_limits(
    everything: dict[str, Built], long_issue: Built
) -> None:
    """layout.md §6: a spread line changes each gap by at most 2 pt; a squeezed one sets no Han
    character closer than 0.5 pt under the pitch."""
    for built in [*everything.values(), long_issue]:
        for line in body_lines(built.pdf):
            for a, b in pairwise(line.chars):
                if "\u4e00" <= a.text <= "\u9fff" and "\u4e00" <= b.text <= "\u9fff":
                    gap = b.x0 - a.x0
                    assert CHAR_PITCH - 0.51 <= gap <= CHAR_PITCH + 2.01, (line.text, a.text)


# --- 7. and 8. titles (§3) ---------------------------------------------------------------------


def test_7_titles_break_between_words_and_never_inside_a_short_span(
    everything: dict[str, Built],
) -> None:
    """layout.md §3: breaks between words, never inside a 《》“”（）〔〕 span shorter than a line,
    never one character alone."""
    multi = 0
    for built in everything.values():
        for title in _titles(built.pdf):
            texts = [line.text.replace(" ", "") for line in title]
            if len(texts) < 2:
                continue
            multi += 1
            whole = "".join(texts)
            starts = word_starts(whole)
            position = 0
            for text in texts[:-1]:
                position += len(text)
                assert position in starts, texts
                depth = {
                    o: whole[:position].count(o) - whole[:position].count(c)
                    for o, c in SPANS.items()
                }
                assert not any(depth.values()), texts
            assert all(len(text) >= 2 for text in texts), texts
    assert multi >= 3  # two- and three-line titles among the cases


def test_7_a_three_line_title_with_quotes(cases: dict[str, Built]) -> None:
    """layout.md §3: three balanced lines, every “…” whole."""
    pdf = cases["work/2024-30"].pdf
    [title] = [t for t in _titles(pdf) if t[0].text.startswith("全省")]
    assert len(title) == 3
    for span in ("“学党纪、守初心、修信史”", "“三个一”"):
        assert any(span in line.text for line in title)
    [first] = [t for t in _titles(pdf) if t[0].text.startswith("甘孜州")]
    assert any("《泸定县志（2006—2020）》" in line.text for line in first)


def test_8_white_above_a_title_is_at_least_that_below_it(everything: dict[str, Built]) -> None:
    """layout.md §3: white above ≥ white below ≥ the gap between two body lines."""
    body_gap = PITCH - BODY_SIZE
    for built in everything.values():
        for page in built.pdf.pages:
            lines = page.grid_lines
            for index, line in enumerate(lines):
                if line.size != 22 or (index and lines[index - 1].size == 22):
                    continue
                last = index
                while last + 1 < len(lines) and lines[last + 1].size == 22:
                    last += 1
                if last + 1 >= len(lines) or index == 0:
                    continue
                below = em_top(lines[last + 1]) - em_bottom(lines[last])
                reds = [r.y for r in page.rules if r.color == RED and r.y < em_top(line)]
                top = max([em_bottom(lines[index - 1]), *reds])
                above = em_top(line) - top
                assert above >= below - 0.01 and below >= body_gap - 0.01, (line.text, above, below)


# --- 9. the imprint (§4) -----------------------------------------------------------------------


def test_9_a_25_name_list_wraps_aligned_after_the_colon(cases: dict[str, Built]) -> None:
    """layout.md §4: rows wrap (never squeezed), continue after the colon; ， is the template's."""
    built = cases["brief/2024-08"]
    rows = [line for line in built.pdf.pages[-1].grid_lines if line.size == 14]
    start = next(i for i, row in enumerate(rows) if row.text.startswith("发："))
    unit = 14 + (CHAR_PITCH - 16) * 14 / 16
    wrapped = []
    for row in rows[start + 1 :]:
        if abs(row.x0 - (LEFT + 3 * unit)) > 0.05:
            break
        wrapped.append(row)
    assert len(wrapped) >= 4
    text = "".join(row.text for row in [rows[start], *wrapped])
    names = built.loaded.issue.distribution.issue_to
    assert text == "发：" + "，".join(names) + "。"
    for row in [rows[start], *wrapped]:
        assert row.chars[-1].ink_right <= RIGHT - unit + 0.2
        for a, b in pairwise(row.chars):  # nothing squeezed: every Han character a full cell
            if _han(a.text):
                assert b.x0 - a.x0 >= unit - 0.02, row.text


def test_9_a_list_too_long_for_one_page_is_an_error(builder: Builder, project: Path) -> None:
    """layout.md §4: the imprint must fit on one page; else an error naming the list."""
    error = failure(builder, project, "work/2024-33")
    [problem] = [d for d in error.diagnostics if "imprint" in d.message]
    assert problem.key == "distribution.issue_to" and problem.line is not None
    assert "rows" in problem.message and "only" in problem.message
    assert not (project / "output" / "work" / "2024-33.pdf").exists()


# --- 10. long editor and printer names (§2) ----------------------------------------------------


def test_10_a_long_editor_is_condensed_and_never_overprints_the_date(
    cases: dict[str, Built],
) -> None:
    """layout.md §2: condensed horizontally, down to 80 %, a cell clear of the date."""
    built = cases["work/2024-31"]
    editor_line = built.pdf.pages[0].grid_lines[3]
    editor = built.loaded.issue.masthead.editor
    chars = editor_line.chars
    name, date = chars[: len(editor)], chars[len(editor) :]
    assert "".join(c.text for c in name) == editor
    widths = [c.x1 - c.x0 for c in name]
    assert all(0.8 * 16 - 0.01 <= w < 16 for w in widths)
    assert date[0].x0 - name[-1].x1 >= CHAR_PITCH - 0.3


def test_10_an_editor_too_long_even_at_80_percent_is_an_error(
    builder: Builder, project: Path
) -> None:
    """layout.md §2: the build fails naming the key and how many characters fit."""
    error = failure(builder, project, "work/2024-32")
    [problem] = [d for d in error.diagnostics if "too long" in d.message]
    assert problem.key == "masthead.editor" and problem.line is not None
    assert "23 characters fit" in problem.message


# --- 11. document numbers (§6) -----------------------------------------------------------------


def test_11_document_numbers_are_never_split(cases: dict[str, Built]) -> None:
    """layout.md §6: 〔2024〕15号 and 川志办发〔2024〕21号 stay on one line wherever they fall."""
    pdf = cases["work/2024-30"].pdf
    lines = [line.text for line in body_lines(pdf)]
    source = cases["work/2024-30"].loaded.issue.columns[0].articles[0].body
    for number in ("川志办发〔2024〕21号", "〔2024〕15号"):
        assert sum(number in line for line in lines) == source.count(number)
    ends = {line.text.index("〔") for line in body_lines(pdf) if "〔" in line.text}
    assert len(ends) > 10  # the numbers fell at many columns


# --- 12. the red (§2) --------------------------------------------------------------------------


def test_12_the_red_is_cmyk_0_100_100_0(everything: dict[str, Built]) -> None:
    """layout.md §2: 套红 CMYK (0, 1, 1, 0) for the name and the rule."""
    for built in everything.values():
        first = built.pdf.pages[0]
        assert all(c.color == (0.0, 1.0, 1.0, 0.0) for c in first.grid_lines[1].chars)
        assert [r.color for r in first.rules if r.color != (0.0, 0.0, 0.0, 1.0)] == [RED]
        assert RED == (0.0, 1.0, 1.0, 0.0)


# --- every sample and case ---------------------------------------------------------------------


def test_no_text_outside_the_type_area(everything: dict[str, Built]) -> None:
    """layout.md §1: every glyph's ink inside the type area."""
    for built in everything.values():
        for page, line in built.pdf.lines():
            assert line.x0 >= LEFT - 0.01, (page.number, line.text)
            assert max(c.ink_right for c in line.chars) <= RIGHT + 0.25, (page.number, line.text)
            assert em_top(line) >= TOP - 0.05 and em_bottom(line) <= BOTTOM + 0.05
