"""End to end: build the samples and measure the PDFs against layout.md with pdfplumber."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path

import pypdf
import pytest
from conftest import ROOT, SERIES_TOML, Built, issue_toml, write
from fontTools.ttLib import TTFont
from pdfmeasure import (
    BASELINE_EM,
    BLACK,
    BODY_SIZE,
    BOTTOM,
    CHAR_PITCH,
    LEFT,
    LINE_END_FORBIDDEN,
    LINE_START_FORBIDDEN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    PITCH,
    PT_PER_MM,
    RED,
    RIGHT,
    TOP,
    TRACKING,
    WIDTH,
    Measured,
    Page,
    TextLine,
    cell_of,
    em_bottom,
    em_top,
    read_pdf,
)

from pipeline.build import Builder
from pipeline.diagnostics import BulletinError
from pipeline.fonts.roles import ROLES, Role
from pipeline.source.model import format_date_cn, split_paragraphs

ALL = ["2024-13", "2024-14", "2024-07", "long"]
TITLE_SIZE = 22.0
GRID_TOLERANCE = 0.05  # pt
OVERHANG = -TRACKING  # a 16-pt glyph in a 15.79-pt cell: the last glyph's box ends 0.21 pt out
CENTRE_X = LEFT + WIDTH / 2


@pytest.fixture(params=ALL)
def built(request: pytest.FixtureRequest, samples: dict[str, Built]) -> Built:
    if request.param == "long":
        return request.getfixturevalue("long_issue")  # type: ignore[no-any-return]
    return samples[request.param]


@pytest.fixture(scope="session")
def role_font(samples: dict[str, Built], fonts: object) -> dict[Role, str]:
    """The PostScript name of each role's font, as the PDF names it (without subset prefix)."""
    builder = Builder(ROOT)
    builder.fonts = fonts  # type: ignore[assignment]
    style = builder.templates.get("work-bulletin").style
    chains = builder.fonts.chains(style.fonts)
    names: dict[Role, str] = {}
    for role in ROLES:
        face = chains[role].primary.face
        with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
            names[role] = font["name"].getDebugName(6)
    return names


def body_lines(pdf: Measured, family: str) -> list[tuple[Page, TextLine]]:
    """16-pt lines in the body font inside the type area, in reading order."""
    return [
        (page, line)
        for page, line in pdf.lines()
        if line.size == BODY_SIZE and _main_family(line) == family
    ]


def _main_family(line: TextLine) -> str:
    families = [c.family for c in line.chars if not c.text.isspace()]
    return max(set(families), key=families.count)


def _reaches_right_edge(line: TextLine) -> bool:
    last = line.chars[-1]
    return min(abs(last.x1 - RIGHT - OVERHANG), abs(last.ink_right - RIGHT - OVERHANG)) < 0.5


def _compressed(line: TextLine) -> bool:
    return any(gap < CHAR_PITCH - 2 for gap in line.gaps())


# --- §1 page and grid --------------------------------------------------------------------------


def test_paper_is_a4_portrait(built: Built) -> None:
    """layout.md §1: A4 portrait, 595.28 × 841.89 pt."""
    for page in built.pdf.pages:
        assert page.width == pytest.approx(PAGE_WIDTH, abs=0.01)
        assert page.height == pytest.approx(PAGE_HEIGHT, abs=0.01)


def test_geometry_constants_match_layout_md() -> None:
    """layout.md §1: the measuring constants are the type area's and the grid's numbers."""
    assert pytest.approx(79.37, abs=0.005) == LEFT
    assert pytest.approx(521.57, abs=0.005) == RIGHT
    assert pytest.approx(104.88, abs=0.005) == TOP
    assert pytest.approx(742.68, abs=0.005) == BOTTOM
    assert pytest.approx(637.8 / 22, abs=0.005) == PITCH
    assert pytest.approx(15.79, abs=0.005) == CHAR_PITCH


def test_text_stays_inside_the_type_area(built: Built) -> None:
    """layout.md §1 (type area) and §6 (nothing hangs outside it)."""
    for page, line in built.pdf.lines():
        where = f"page {page.number}: {line.text}"
        assert line.x0 >= LEFT - 0.01, where
        assert max(c.ink_right for c in line.chars) <= RIGHT + OVERHANG + 0.01, where
        assert em_top(line) >= TOP - GRID_TOLERANCE, where
        assert em_bottom(line) <= BOTTOM + GRID_TOLERANCE, where


def _grid_cells(page: Page) -> list[int]:
    """The grid cell of every line of the page, asserting that each sits exactly on the grid:
    its em box centred in its row (§1); the masthead name centred in three rows; a title's
    lines half a row lower, so that its block has half a row of white above and below (§3)."""
    cells: list[int] = []
    lines = page.grid_lines
    for index, line in enumerate(lines):
        cell, span = cell_of(line), 1
        if line.size > 2 * BODY_SIZE:  # the masthead name: its middle row
            cell, span = cell - 1, 3
        elif line.size == TITLE_SIZE:
            cell -= 0.5
            after = lines[index + 1] if index + 1 < len(lines) else None
            span = 1 if after is not None and after.size == TITLE_SIZE else 2
        assert abs(cell - round(cell)) * PITCH < GRID_TOLERANCE, (page.number, line.text, cell)
        cells += range(round(cell), round(cell) + span)
    return cells


def test_every_line_sits_on_the_22_line_grid(built: Built) -> None:
    """layout.md §1: every line in a row of the 22-line grid."""
    for page in built.pdf.pages:
        cells = _grid_cells(page)
        assert len(cells) == len(set(cells)), f"two lines share a grid line on page {page.number}"
        assert all(0 <= cell < 22 for cell in cells), (page.number, cells)


def test_body_em_boxes_are_centred_in_their_rows(built: Built, role_font: dict[Role, str]) -> None:
    """layout.md §1: each line's em box is centred vertically in its grid row."""
    lines = body_lines(built.pdf, role_font["body"])
    assert len(lines) > 10
    for page, line in lines:
        cell = round(cell_of(line))
        centre = TOP + (cell + 0.5) * PITCH
        expected = centre - BODY_SIZE / 2 + BASELINE_EM * BODY_SIZE
        assert line.baseline == pytest.approx(expected, abs=GRID_TOLERANCE), (
            page.number,
            line.text,
        )


def test_line_pitch_between_neighbouring_body_lines(built: Built) -> None:
    """layout.md §1: a line pitch of 225 mm / 22."""
    steps = []
    for page in built.pdf.pages:
        baselines = [line.baseline for line in page.grid_lines if line.size == BODY_SIZE]
        steps += [b - a for a, b in pairwise(baselines)]
    assert steps
    assert min(steps) == pytest.approx(PITCH, abs=0.02)  # neighbours are one pitch apart
    for step in steps:  # and every other distance is a whole number of pitches
        assert step / PITCH == pytest.approx(round(step / PITCH), abs=0.002)


def test_full_pages_hold_22_lines(long_issue: Built) -> None:
    """layout.md §1: a full page of body text is 22 lines."""
    pages = long_issue.pdf.pages
    full = [page.number for page in pages if sorted(_grid_cells(page)) == list(range(22))]
    assert len(full) >= 3, full
    assert all(len(_grid_cells(page)) <= 22 for page in pages)


def test_full_body_lines_hold_28_characters(built: Built, role_font: dict[Role, str]) -> None:
    """layout.md §1: a full body line is 28 cells of 15.79 pt."""
    lines = body_lines(built.pdf, role_font["body"])
    checked = 0
    for page, line in lines:
        if not _reaches_right_edge(line):
            continue
        indented = abs(line.x0 - (LEFT + 2 * CHAR_PITCH)) < 0.05
        assert indented or abs(line.x0 - LEFT) < 0.05, (page.number, line.text)
        if _compressed(line) or not all(c.full_width for c in line.chars):
            continue
        expected = 26 if indented else 28
        where = (page.number, line.text)
        if len(line.chars) == expected:
            checked += 1
            # on the character grid: every character one pitch after the one before
            assert all(abs(g - CHAR_PITCH) < 0.01 for g in line.gaps()), where
            continue
        # Fewer only when a character was carried down (here or in a line before) to keep a
        # mark or a number with it: the rest is spread evenly (not inside —— or ……), by at
        # most 2 pt a gap (§6).
        assert len(line.chars) < expected, where
        loose = [
            gap
            for a, b, gap in zip(line.chars, line.chars[1:], line.gaps(), strict=False)
            if not (a.text == b.text and a.text in "—…")
        ]
        assert max(loose) - min(loose) < 0.01, where
        assert CHAR_PITCH < max(loose) <= CHAR_PITCH + 2.01, where
    assert checked >= 10


def test_lines_inside_a_paragraph_are_justified_and_last_lines_are_not_stretched(
    built: Built, role_font: dict[Role, str]
) -> None:
    """layout.md §1: body text justified; the last line of a paragraph flush left."""
    lines = [  # paragraph lines: flush left or indented two characters (not rows, not centred)
        (page, line)
        for page, line in body_lines(built.pdf, role_font["body"])
        if min(abs(line.x0 - LEFT), abs(line.x0 - LEFT - 2 * CHAR_PITCH)) < 0.05
    ]
    for (page, line), (_, after) in pairwise(lines):
        continues = abs(after.x0 - LEFT) < 0.05  # the next line is not a paragraph's first
        if continues:
            assert _reaches_right_edge(line), (page.number, line.text)
        elif not _reaches_right_edge(line):
            full = [g for a, g in zip(line.chars, line.gaps(), strict=False) if a.full_width]
            assert all(g <= CHAR_PITCH + 0.01 for g in full), (page.number, line.text)


def test_no_widows_or_orphans(built: Built, role_font: dict[Role, str]) -> None:
    """layout.md §3: never one line of a paragraph alone at a page top or foot."""

    def continues(line: TextLine | None) -> bool:  # a paragraph's second or later line
        return (
            line is not None
            and line.size == BODY_SIZE
            and _main_family(line) == role_font["body"]
            and abs(line.x0 - LEFT) < 0.05
        )

    def starts(line: TextLine) -> bool:  # a body paragraph's first line
        return _main_family(line) == role_font["body"] and (
            abs(line.x0 - LEFT - 2 * CHAR_PITCH) < 0.05
        )

    breaks = 0
    for page, after in pairwise(built.pdf.pages):
        last, first = page.grid_lines[-1], after.grid_lines[0]
        if not continues(first):
            continue
        breaks += 1
        assert not starts(last), f"orphan at the foot of page {page.number}: {last.text}"
        second = after.grid_lines[1] if len(after.grid_lines) > 1 else None
        assert continues(second), f"widow at the top of page {after.number}: {first.text}"
    if built.source.stem in ("2024-14", "2024-20"):
        assert breaks >= 2  # paragraphs do run across pages here


def test_titles_and_tags_keep_with_what_follows(built: Built) -> None:
    """layout.md §3: a title stays with two lines of its body, a tag with its next line."""
    for page in built.pdf.pages:
        lines = page.grid_lines
        for index, line in enumerate(lines):
            rest = lines[index + 1 :]
            if line.size == 22 and not (rest and rest[0].size == 22):
                # the last line of a title: at least two lines of its body on the same page
                assert len(rest) >= 2 and all(r.size == BODY_SIZE for r in rest[:2]), (
                    page.number,
                    line.text,
                )
            if line.text.startswith("【") and line.text.endswith("】"):
                assert rest and rest[0].size == 22, (page.number, line.text)


def test_no_line_starts_or_ends_with_a_forbidden_mark(built: Built) -> None:
    """layout.md §6: forbidden line starts and ends."""
    for page, line in built.pdf.lines():
        text = line.text.strip()
        assert text[0] not in LINE_START_FORBIDDEN, (page.number, text)
        assert text[-1] not in LINE_END_FORBIDDEN, (page.number, text)


def test_marks_at_every_column_were_handled_by_compression_and_carrying(
    long_issue: Built, role_font: dict[Role, str]
) -> None:
    """layout.md §6: a mark at any column is absorbed or carried, within 2 pt / 0.5 pt."""
    lines = [line for _, line in body_lines(long_issue.pdf, role_font["body"])]
    assert sum(_compressed(line) for line in lines) >= 5
    text = "".join(line.text for line in lines)
    for cluster in ["……", "——", "〔2024〕", "2024年"]:
        assert cluster in text  # never split across lines


# --- §2 masthead -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["2024-13", "2024-14", "2024-07"])
def test_masthead(name: str, samples: dict[str, Built], role_font: dict[Role, str]) -> None:
    """layout.md §2: corner mark, red centred name, issue line, editor and date."""
    built = samples[name]
    head = built.loaded.issue.masthead
    first = built.pdf.pages[0]
    lines = first.grid_lines
    mark, title, issue_line, editor_line = lines[:4]
    assert mark.text == head.mark
    assert (cell_of(mark), mark.x0, mark.size) == (
        pytest.approx(0, abs=0.002),
        pytest.approx(LEFT),
        16,
    )
    assert _main_family(mark) == role_font["heading"]

    assert title.text == head.title
    assert title.size == 42
    assert all(c.color == RED for c in title.chars)
    assert _main_family(title) == role_font["title"]
    assert (title.x0 + title.x1) / 2 == pytest.approx(CENTRE_X, abs=0.5)
    # the largest text of the whole issue, and only on page 1
    assert all(line.size < 42 for page in built.pdf.pages[1:] for line in page.lines)

    expected = f"第{head.number}期" + (f"（总第{head.total}期）" if head.total else "")
    assert issue_line.text == expected
    assert (issue_line.x0 + issue_line.x1) / 2 == pytest.approx(CENTRE_X, abs=0.5)
    assert _main_family(issue_line) == role_font["body"]

    editor, date = head.editor, format_date_cn(head.date)
    assert editor_line.text == editor + date
    assert editor_line.x0 == pytest.approx(LEFT + CHAR_PITCH, abs=0.05)  # one character in
    assert editor_line.x1 == pytest.approx(RIGHT - CHAR_PITCH, abs=0.05)
    assert re.fullmatch(r"[1-9]\d{3}年[1-9]\d?月[1-9]\d?日", date)


@pytest.mark.parametrize("name", ["2024-13", "2024-14", "2024-07", "long"])
def test_red_rule_under_the_masthead(
    name: str, samples: dict[str, Built], long_issue: Built
) -> None:
    """layout.md §2: the red rule 4 mm below the editor line, 1.5 pt, and the white below it."""
    built = long_issue if name == "long" else samples[name]
    first = built.pdf.pages[0]
    red = [rule for page in built.pdf.pages for rule in page.rules if rule.color == RED]
    assert len(red) == 1
    rule = red[0]
    assert rule in first.rules
    assert (rule.x0, rule.x1) == (pytest.approx(LEFT, abs=0.01), pytest.approx(RIGHT, abs=0.01))
    assert rule.thickness == pytest.approx(1.5)
    editor_line = next(line for line in first.grid_lines if "年" in line.text and line.size == 16)
    assert rule.y == pytest.approx(em_bottom(editor_line) + 4 * PT_PER_MM, abs=0.05)
    # content starts below the rule, and page 1 shows body text
    below = first.grid_lines[first.grid_lines.index(editor_line) + 1 :]
    assert below and all(em_top(line) > rule.y for line in below)
    # §2.6: at least 8 mm of white under the rule, on the first grid row that leaves it
    white = em_top(below[0]) - rule.y
    assert 8 * PT_PER_MM <= white < 8 * PT_PER_MM + PITCH
    assert sum(_reaches_right_edge(line) for line in below if line.size == BODY_SIZE) >= 2


# --- §3 content --------------------------------------------------------------------------------


def _find_lines(pdf: Measured, text: str) -> list[tuple[Page, int, TextLine]]:
    found = []
    for page in pdf.pages:
        for index, line in enumerate(page.grid_lines):
            if line.text.replace(" ", "") == text.replace(" ", ""):
                found.append((page, index, line))
    return found


@pytest.mark.parametrize("name", ["2024-13", "2024-14", "long"])
def test_column_tags(
    name: str, samples: dict[str, Built], long_issue: Built, role_font: dict[Role, str]
) -> None:
    """layout.md §3: column tags 黑体 三号, flush left, 【】, a blank line before."""
    built = long_issue if name == "long" else samples[name]
    names = [c.name for c in built.loaded.issue.columns if c.name]
    assert names
    for column in names:
        [(page, _, line)] = _find_lines(built.pdf, f"【{column}】")
        assert _main_family(line) == role_font["heading"]
        assert line.x0 == pytest.approx(LEFT, abs=0.01)
        assert [ord(line.text[0]), ord(line.text[-1])] == [0x3010, 0x3011]
        cell = round(cell_of(line))
        index = page.grid_lines.index(line)
        first_content = page.number == 1 and "年" in page.grid_lines[index - 1].text
        if cell > 0 and not first_content:
            # one blank grid line before it, except right after the masthead's red rule,
            # where §2.6's white under the rule stands instead
            assert cell - 1 not in _grid_cells(page), (page.number, column)


def test_article_titles_sources_and_headings(
    samples: dict[str, Built], role_font: dict[Role, str]
) -> None:
    """layout.md §3: titles centred 二号, sources right two characters in, headings by level."""
    for built in samples.values():
        pdf = built.pdf
        for column in built.loaded.issue.columns:
            for article in column.articles:
                title_lines = [
                    (page, line)
                    for page, line in pdf.lines()
                    if line.size == 22
                    and line.text.replace(" ", "") in article.title.replace(" ", "")
                ]
                assert "".join(line.text for _, line in title_lines).replace(" ", "") == (
                    article.title.replace(" ", "")
                )
                for _, line in title_lines:
                    assert _main_family(line) == role_font["title"]
                    assert (line.x0 + line.x1) / 2 == pytest.approx(CENTRE_X, abs=0.5)
                    assert len(line.text.replace(" ", "")) >= 2  # never one character alone
                if article.source:
                    [(page, index, line)] = _find_lines(pdf, f"（{article.source}）")
                    assert _main_family(line) == role_font["kai"]
                    # right-aligned two characters in
                    assert line.x1 == pytest.approx(RIGHT - 2 * CHAR_PITCH, abs=0.05)
                    # on the line right after the article's last paragraph
                    last = split_paragraphs(article.body)[-1].text
                    above = page.grid_lines[index - 1]
                    assert last.endswith(above.text)
                    assert cell_of(line) == pytest.approx(cell_of(above) + 1, abs=0.002)
                for paragraph in split_paragraphs(article.body):
                    if paragraph.level:
                        [(_, _, line)] = _find_lines(pdf, paragraph.text)
                        role = "heading" if paragraph.level == 1 else "kai"
                        assert _main_family(line) == role_font[role]
                        assert line.x0 == pytest.approx(LEFT + 2 * CHAR_PITCH, abs=0.05)


def test_editors_note(samples: dict[str, Built], role_font: dict[Role, str]) -> None:
    """layout.md §3: the editor's note in 楷体, indented 2 characters, before the first column."""
    built = samples["2024-13"]
    note = built.loaded.issue.note
    assert note
    [(page, line)] = [(p, ln) for p, ln in built.pdf.lines() if ln.text.startswith("编者按：")]
    assert page.number == 1
    assert _main_family(line) == role_font["kai"]
    assert line.x0 == pytest.approx(LEFT + 2 * CHAR_PITCH, abs=0.05)
    tag = _find_lines(built.pdf, f"【{built.loaded.issue.columns[0].name}】")[0][2]
    assert line.baseline < tag.baseline


# --- §4 imprint --------------------------------------------------------------------------------


UNIT_14 = 14 + TRACKING * 14 / BODY_SIZE  # one 14-pt character on the grid


@pytest.mark.parametrize("name", ALL)
def test_imprint_at_the_foot_of_the_last_page(
    name: str, samples: dict[str, Built], long_issue: Built, role_font: dict[Role, str]
) -> None:
    """layout.md §4: the imprint rows and rules pinned to the foot of the last page."""
    built = long_issue if name == "long" else samples[name]
    issue = built.loaded.issue
    dist = issue.distribution
    pdf = built.pdf
    last = pdf.pages[-1]
    # rules only on the last page (besides the red one), black, full width, 0.99/0.71/0.99
    black = [rule for page in pdf.pages for rule in page.rules if rule.color != RED]
    assert all(rule in last.rules for rule in black)
    assert [round(rule.thickness, 2) for rule in black] == [0.99, 0.71, 0.99]
    assert all(rule.color == BLACK for rule in black)
    assert all(rule.x0 == pytest.approx(LEFT, abs=0.01) for rule in black)
    assert all(rule.x1 == pytest.approx(RIGHT, abs=0.01) for rule in black)
    thick, thin, bottom = black
    assert bottom.y == pytest.approx(BOTTOM, abs=0.01)  # on the type area's bottom edge

    rows = [line for line in last.grid_lines if line.size == 14]
    assert rows and all(_main_family(row) == role_font["body"] for row in rows)
    assert all(thick.y < em_top(row) and em_bottom(row) < bottom.y for row in rows)
    assert rows == [line for page in pdf.pages for line in page.grid_lines if line.size == 14]

    lists = [row for row in rows if em_bottom(row) < thin.y]
    separator = "，" if built.loaded.issue.template == "brief-news" else "、"  # the template's
    expected = [
        f"{label}{separator.join(names)}。"
        for label, names in [
            ("报：", dist.report_to),
            ("送：", dist.send_to),
            ("发：", dist.issue_to),
        ]
        if names
    ]
    assert "".join(row.text for row in lists) == "".join(expected)
    for row in lists:
        if row.text[:2] in ("报：", "送：", "发："):
            assert row.x0 == pytest.approx(LEFT + UNIT_14, abs=0.05)  # one character in
        else:  # a wrapped row continues aligned after the colon
            assert row.x0 == pytest.approx(LEFT + 3 * UNIT_14, abs=0.05)
        assert row.chars[-1].ink_right <= RIGHT - UNIT_14 + 0.2

    after = [row for row in rows if em_top(row) > thin.y]
    printer = after[0]
    date = f"{format_date_cn(issue.print_date)}印发"
    assert printer.text == (dist.printer or issue.masthead.editor) + date
    assert printer.x0 == pytest.approx(LEFT + UNIT_14, abs=0.05)
    assert printer.x1 == pytest.approx(RIGHT - UNIT_14, abs=0.05)
    if dist.copies is not None:
        copies = after[1]
        assert re.fullmatch(r"（共印\d+份）", copies.text)
        assert copies.x1 == pytest.approx(printer.x1, abs=0.05)  # right-aligned, one character in
        assert round(cell_of(copies)) == 21  # the last row of the page
    else:
        assert len(after) == 1
    if dist.disclosure:
        [line] = [ln for ln in last.grid_lines if ln.text == f"信息公开选项：{dist.disclosure}"]
        assert line.size == 16 and line.x0 == pytest.approx(LEFT + 2 * CHAR_PITCH, abs=0.05)
        # on the line directly above the imprint: its cell ends where the thick rule is
        assert TOP + (round(cell_of(line)) + 1) * PITCH == pytest.approx(thick.y, abs=0.05)


def test_duplex_puts_the_imprint_on_an_even_page(
    tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    """layout.md §4 (duplex imprint on an even page) and §5 (those pages unnumbered)."""
    folder = tmp_path / "issues" / "s"
    write(
        folder / "series.toml",
        SERIES_TOML.replace('editor = "测试编发单位"', 'editor = "测试编发单位"\nduplex = true'),
    )
    path = write(folder / "2024-01.toml", issue_toml())
    result = make_builder(tmp_path / "out").build(path)
    pdf = read_pdf(result.pdf)
    assert len(pdf.pages) == 2
    assert not [line for line in pdf.pages[0].grid_lines if line.size == 14]
    assert [line for line in pdf.pages[1].grid_lines if line.size == 14]


# --- §5 page numbers ---------------------------------------------------------------------------


def test_page_numbers(built: Built, role_font: dict[Role, str]) -> None:
    """layout.md §5: "— N —" 宋体 四号 7 mm below the type area, odd right, even left."""
    for page in built.pdf.pages:
        line = page.page_number_line
        assert line is not None, f"page {page.number} has no number"
        assert line.text == f"— {page.number} —"
        assert line.size == 14
        assert line.fonts == {role_font["song"]}
        assert em_top(line) == pytest.approx(BOTTOM + 7 * PT_PER_MM, abs=0.05)
        digits = [c for c in line.chars if c.text.isdigit()]
        assert all(c.x1 - c.x0 < 0.75 * 14 for c in digits)  # half-width Arabic digits
        if page.number % 2:
            assert line.x1 == pytest.approx(RIGHT - 14, abs=0.05)  # odd: right, one character in
        else:
            assert line.x0 == pytest.approx(LEFT + 14, abs=0.05)  # even: left, one character in


# --- §7 fonts ----------------------------------------------------------------------------------


def _fonts_of(reader: pypdf.PdfReader) -> Iterator[pypdf.generic.DictionaryObject]:
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            yield ref.get_object()


def test_fonts_embedded_and_subset(built: Built) -> None:
    """layout.md §7: every font embedded and subset, each face one composite font (Type0,
    Identity-H) whose CIDFontType2 codes glyphs by their ids in the face."""
    reader = pypdf.PdfReader(built.result.pdf)
    found = list(_fonts_of(reader))
    assert found
    descendants = []
    for font in found:
        name = str(font["/BaseFont"])
        assert re.fullmatch(r"/[A-Z]{6}\+\S+", name), name
        assert (font["/Subtype"], font["/Encoding"]) == ("/Type0", "/Identity-H"), name
        (cid_font,) = (d.get_object() for d in font["/DescendantFonts"])
        descendants.append(cid_font)
        assert (cid_font["/Subtype"], cid_font["/CIDToGIDMap"]) == ("/CIDFontType2", "/Identity")
        assert cid_font["/BaseFont"] == name
        descriptor = cid_font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor and descriptor["/FontName"] == name, name
        assert "Helvetica" not in name
    # every font object in the file, used or not, and no standard-14 font anywhere
    every = []
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if isinstance(obj, pypdf.generic.DictionaryObject) and obj.get("/Type") == "/Font":
            every.append(str(obj.get("/BaseFont")))
    used = {id(f): f for f in [*found, *descendants]}.values()
    assert sorted(every) == sorted(str(f["/BaseFont"]) for f in used)
    assert b"Helvetica" not in built.result.pdf.read_bytes()


# --- text, metadata, reproducibility -----------------------------------------------------------


def _reading_order(built: Built) -> list[str]:
    issue = built.loaded.issue
    items = [issue.masthead.title]
    items += [p.text for p in split_paragraphs(issue.note or "")]
    for column in issue.columns:
        if column.name and issue.template == "work-bulletin":
            items.append(f"【{column.name}】")
        for article in column.articles:
            items.append(article.title)
            items += [p.text for p in split_paragraphs(article.body)]
            if article.source:
                items.append(f"（{article.source}）")
    return items


def test_every_title_and_paragraph_is_extractable_in_order(built: Built) -> None:
    """layout.md §3: articles flow in order; all their text is in the PDF."""
    pages = [re.sub(r"— \d+ —\s*$", "", page.extracted) for page in built.pdf.pages]
    text = re.sub(r"\s", "", "".join(pages))
    position = 0
    for item in _reading_order(built):
        wanted = re.sub(r"\s", "", item)
        found = text.find(wanted, position)
        assert found >= 0, f"not found in order: {item[:30]}"
        position = found + len(wanted)


def test_metadata(samples: dict[str, Built]) -> None:
    for built in samples.values():
        head = built.loaded.issue.masthead
        meta = built.pdf.metadata
        assert meta["Title"] == f"{head.title} 第{head.number}期"
        assert meta["Author"] == head.editor
        assert meta["CreationDate"].startswith(f"D:{head.date:%Y%m%d}")
    assert samples["2024-14"].pdf.metadata["Title"] == "工作简报 第14期"
    assert samples["2024-14"].pdf.metadata["Author"] == "四川省地方志工作办公室"


def test_output_path_is_series_folder_and_stem(samples: dict[str, Built]) -> None:
    for built in samples.values():
        pdf = built.result.pdf
        assert pdf.name == f"{built.source.stem}.pdf"
        assert pdf.parent.name == built.source.parent.name
        assert pdf.read_bytes().startswith(b"%PDF-")
        assert not list(pdf.parent.glob(".*.tmp"))  # no temporary file left behind


def test_same_input_gives_the_same_bytes(
    samples: dict[str, Built], tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    builder = make_builder(tmp_path)
    builder.build(samples["2024-13"].source)  # warm caches with another issue first
    again = builder.build(samples["2024-14"].source)
    assert again.pdf.read_bytes() == samples["2024-14"].result.pdf.read_bytes()
    assert again.pdf != samples["2024-14"].result.pdf


# --- text printed as written -------------------------------------------------------------------

MARKUP = r"<b>粗</b> <img src=\"x.png\" onerror=alert(1)> a < b && c > d \\ &amp; &lt;"
PRINTED = '<b>粗</b> <img src="x.png" onerror=alert(1)> a < b && c > d \\ &amp; &lt;'


def test_markup_is_printed_literally(tmp_path: Path, make_builder: Callable[..., Builder]) -> None:
    folder = tmp_path / "issues" / "s"
    write(folder / "series.toml", SERIES_TOML)
    path = write(
        folder / "2024-01.toml",
        "[masthead]\nnumber = 1\ndate = 2024-07-24\n"
        f'editor = "编发<i>单位</i> & Co"\n\n'
        f'[[columns]]\nname = "<script>栏目"\n\n'
        f'[[columns.articles]]\ntitle = "标题 {MARKUP}"\nsource = "来源 <u>"\n'
        f'body = """\n正文 {MARKUP}。\n\n{{{{ masthead.title }}}} {{% if x %}}。\n"""\n\n'
        f'[distribution]\nreport_to = ["<甲>", "乙&丙"]\n',
    )
    result = make_builder(tmp_path / "out").build(path)
    pdf = read_pdf(result.pdf)
    text = "".join(page.extracted for page in pdf.pages).replace("\n", "")
    for wanted in [
        f"标题{PRINTED}".replace(" ", ""),
        f"正文{PRINTED}。".replace(" ", ""),
        "{{masthead.title}}{%ifx%}。",
        "【<script>栏目】",
        "（来源<u>）",
        "编发<i>单位</i>&Co",
        "报：<甲>、乙&丙。",
    ]:
        assert wanted in text.replace(" ", ""), wanted
    assert pdf.metadata["Author"] == "编发<i>单位</i> & Co"


# --- failures write nothing --------------------------------------------------------------------

BAD_EDITS = {
    "malformed TOML": ("number = 1", "number = = 1"),
    "unknown key": ("number = 1", "number = 1\nnumbr = 2"),
    "missing key": ("number = 1", ""),
    "wrong type": ("number = 1", 'number = "1"'),
    "not a date": ("date = 2024-07-24", 'date = "昨天"'),
    "impossible date": ("date = 2024-07-24", "date = 2024-02-30"),
    "empty body": ("第一段正文。\n\n第二段正文。", "  "),
    "unknown template": ("[masthead]", 'template = "no-such-kind"\n[masthead]'),
    "control character": ("第一段正文。", "第一段\\u0008正文。"),
    "print_date before date": (
        "[[columns]]",
        "[distribution]\nprint_date = 2024-01-01\n[[columns]]",
    ),
    "a character no font has": ("第一段正文。", "第一段\U000f0000正文。"),
}


@pytest.mark.parametrize("kind", list(BAD_EDITS))
def test_a_failed_build_writes_nothing_and_keeps_the_previous_pdf(
    kind: str, tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    folder = tmp_path / "issues" / "s"
    write(folder / "series.toml", SERIES_TOML)
    path = write(folder / "2024-01.toml", issue_toml())
    builder = make_builder(tmp_path / "out")
    previous = builder.build(path).pdf
    before = previous.read_bytes()
    old, new = BAD_EDITS[kind]
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(BulletinError) as caught:
        builder.build(path)
    errors = [d for d in caught.value.diagnostics if d.is_error]
    assert errors and all(d.file is not None and d.line is not None for d in errors), [
        d.format() for d in errors
    ]
    assert previous.read_bytes() == before
    assert sorted(p.name for p in previous.parent.iterdir()) == [previous.name]


def test_a_failed_first_build_writes_no_pdf(
    tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    folder = tmp_path / "issues" / "s"
    write(folder / "series.toml", SERIES_TOML)
    path = write(folder / "2024-01.toml", issue_toml(body=""))
    with pytest.raises(BulletinError):
        make_builder(tmp_path / "out").build(path)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*"))


def test_strict_makes_a_warning_fatal(tmp_path: Path, make_builder: Callable[..., Builder]) -> None:
    folder = tmp_path / "issues" / "s"
    write(folder / "series.toml", SERIES_TOML)
    write(folder / "2024-01.toml", issue_toml(1, "2024-01-05", 10))
    path = write(folder / "2024-03.toml", issue_toml(3, "2024-03-05", 11))  # 2 is missing
    builder = make_builder(tmp_path / "out")
    with pytest.raises(BulletinError) as caught:
        builder.build(path, strict=True)
    severities = [d.severity for d in caught.value.diagnostics]
    assert "warning" in severities and "error" in severities
    assert not (tmp_path / "out" / "s" / "2024-03.pdf").exists()
    result = builder.build(path)
    assert [w.key for w in result.warnings] == ["masthead.number"]
    assert result.pdf.is_file()
