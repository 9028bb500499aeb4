"""Loading issue files: every problem found at once, each at its file, line, column and key."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from conftest import SERIES_TOML, issue_toml, only_error, problems, write

from pipeline.source.load import (
    load_issue,
    merge_series,
    parse_key_name,
)
from pipeline.source.model import split_paragraphs

# A complete issue that needs no series.toml. Line numbers matter: tests below edit single lines.
FULL = """\
template = "work-bulletin"

[masthead]
title = "工作简报"
number = 14
total = 236
editor = "四川省地方志工作办公室"
date = 2024-07-24

[[columns]]
name = "特别关注"

[[columns.articles]]
title = "标题一"
source = "来源一"
body = \"\"\"
第一段。

第二段。
\"\"\"

[distribution]
report_to = ["甲"]
copies = 3
"""
LINE = {n: text for n, text in enumerate(FULL.splitlines(), start=1)}


def edited(**replacements: str) -> str:
    """FULL with whole lines replaced, by line number: edited(L5='number = "14"')."""
    lines = FULL.splitlines()
    for name, text in replacements.items():
        lines[int(name[1:]) - 1] = text
    return "\n".join(lines) + "\n"


@pytest.fixture
def issue_path(tmp_path: Path) -> Path:
    return tmp_path / "issues" / "s" / "2024-14.toml"


def test_the_full_fixture_loads(issue_path: Path) -> None:
    loaded = load_issue(write(issue_path, FULL))
    assert loaded.issue.masthead.number == 14
    assert loaded.issue.masthead.date == datetime.date(2024, 7, 24)
    assert loaded.warnings == []
    assert [p.text for p in split_paragraphs(loaded.issue.columns[0].articles[0].body)] == [
        "第一段。",
        "第二段。",
    ]


# --- malformed TOML and files that are not text ------------------------------------------------


@pytest.mark.parametrize(
    ("line_no", "text", "col", "what"),
    [
        (4, "title = 工作简报", 9, "the text of 'title' needs double quotes"),
        (5, "number = 14 15", 13, "malformed TOML: Expected newline"),
        (8, "date = 2024-02-30", 8, "2024-02-30 is not a real date"),
        (8, "date = 2024-13-01", 8, "2024-13-01 is not a real date"),
        (11, 'name = "特别关注', 13, "malformed TOML: Illegal character"),
        (3, "[masthead", 1, "this table header is not written right: [masthead"),
    ],
)
def test_malformed_toml(issue_path: Path, line_no: int, text: str, col: int, what: str) -> None:
    error = only_error(write(issue_path, edited(**{f"L{line_no}": text})))
    assert (error.file, error.line, error.col) == (issue_path, line_no, col)
    assert error.message.startswith(what)
    assert error.hint


def test_an_unclosed_multiline_body_points_at_where_it_opens(issue_path: Path) -> None:
    text = FULL.rsplit('"""', 1)[0] + "\n"  # drop the closing """ and everything after it
    error = only_error(write(issue_path, text))
    assert "never closed" in error.message
    assert (error.line, error.col) == (16, 1)  # body = """ stands on line 16
    assert LINE[16].startswith("body")


def test_an_unclosed_list_points_at_its_key(issue_path: Path) -> None:
    error = only_error(write(issue_path, edited(L24="copies = [3,")))
    assert "never closed" in error.message
    assert (error.line, error.col) == (24, 1)


def test_a_file_that_is_not_utf8(issue_path: Path) -> None:
    issue_path.parent.mkdir(parents=True)
    issue_path.write_bytes(
        FULL.replace("特别关注", "TAG").encode("utf-8").replace(b"TAG", b"\xcc\xd8")
    )
    error = only_error(issue_path)
    assert error.message == "the file is not UTF-8 text"
    assert (error.line, error.col) == (11, 9)
    assert "UTF-8" in (error.hint or "")


def test_a_utf8_file_with_a_byte_order_mark_loads(issue_path: Path) -> None:
    issue_path.parent.mkdir(parents=True)
    issue_path.write_bytes(b"\xef\xbb\xbf" + FULL.encode("utf-8"))
    assert load_issue(issue_path).issue.masthead.title == "工作简报"


def test_a_missing_file(tmp_path: Path) -> None:
    error = only_error(tmp_path / "nope.toml")
    assert error.message == "file not found"


# --- unknown keys, with did-you-mean -----------------------------------------------------------


@pytest.mark.parametrize(
    ("line_no", "text", "key", "suggestion"),
    [
        (4, 'titel = "工作简报"', "masthead.titel", "title"),
        (7, 'editer = "某办"', "masthead.editer", "editor"),
        (14, 'titl = "标题一"', "columns[1].articles[1].titl", "title"),
        (15, 'sorce = "来源一"', "columns[1].articles[1].sorce", "source"),
        (11, 'nmae = "特别关注"', "columns[1].nmae", "name"),
        (24, "copys = 3", "distribution.copys", "copies"),
        (1, 'templat = "work-bulletin"', "templat", "template"),
    ],
)
def test_unknown_keys_are_errors_with_a_suggestion(
    issue_path: Path, line_no: int, text: str, key: str, suggestion: str
) -> None:
    found = problems(write(issue_path, edited(**{f"L{line_no}": text})))
    unknown = [d for d in found if d.message.startswith("unknown key")]
    assert len(unknown) == 1, [d.format() for d in found]
    error = unknown[0]
    assert (error.file, error.line, error.col, error.key) == (issue_path, line_no, 1, key)
    assert error.hint == f"did you mean '{suggestion}'?"
    assert error.format().startswith(f"{issue_path}:{line_no}:1: error: unknown key")
    assert error.format().endswith(f"[{key}]\n  hint: did you mean '{suggestion}'?")


def test_an_unknown_table_is_an_error(issue_path: Path) -> None:
    error = only_error(write(issue_path, FULL.replace("[distribution]", "[distrbution]")))
    assert (error.line, error.key) == (22, "distrbution")
    assert error.hint == "did you mean 'distribution'?"


def test_an_unknown_key_far_from_any_name_lists_the_known_keys(issue_path: Path) -> None:
    error = only_error(write(issue_path, edited(L5="zzz = 14\nnumber = 14")))
    assert error.key == "masthead.zzz"
    assert error.hint is not None and "known keys here" in error.hint and "number" in error.hint


# --- missing keys ------------------------------------------------------------------------------


def test_missing_required_keys_are_reported_at_their_table(issue_path: Path) -> None:
    found = problems(write(issue_path, edited(L4="", L7="")))
    assert [(d.line, d.col, d.key) for d in found] == [
        (3, 1, "masthead.title"),
        (3, 1, "masthead.editor"),
    ]
    assert "missing required key 'title'" in found[0].message
    assert "[masthead]" in (found[0].hint or "")


def test_a_missing_article_title(issue_path: Path) -> None:
    error = only_error(write(issue_path, edited(L14="")))
    assert (error.line, error.key) == (13, "columns[1].articles[1].title")
    assert "missing required key 'title'" in error.message


def test_an_issue_without_any_article(issue_path: Path) -> None:
    text = FULL.split("[[columns]]")[0] + "[distribution]\ncopies = 3\n"
    error = only_error(write(issue_path, text))
    assert error.key == "columns"


# --- wrong types -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line_no", "text", "key", "words"),
    [
        (5, 'number = "14"', "masthead.number", "must be a whole number"),
        (5, "number = 0", "masthead.number", "must be a positive whole number"),
        (6, "total = -1", "masthead.total", "must be a positive whole number"),
        (5, "number = 14.0", "masthead.number", "must be a whole number"),
        (8, 'date = "2024-07-24"', "masthead.date", "must be a date"),
        (8, "date = 2024-07-24T10:00:00", "masthead.date", "must be a date"),
        (8, "date = 20240724", "masthead.date", "must be a date"),
        (4, "title = 5", "masthead.title", "must be text in double quotes"),
        (11, 'name = ["特别关注"]', "columns[1].name", "must be text"),
        (23, 'report_to = "甲"', "distribution.report_to", "must be a list"),
        (24, "copies = 0", "distribution.copies", 'or "auto"'),
        (24, 'copies = "many"', "distribution.copies", 'or "auto"'),
        (24, "copies = true", "distribution.copies", 'or "auto"'),
    ],
)
def test_wrong_types(issue_path: Path, line_no: int, text: str, key: str, words: str) -> None:
    error = only_error(write(issue_path, edited(**{f"L{line_no}": text})))
    assert (error.file, error.line, error.col, error.key) == (issue_path, line_no, 1, key)
    assert words in error.message
    assert f"'{key}'" in error.message


def test_a_quoted_date_gets_a_hint(issue_path: Path) -> None:
    error = only_error(write(issue_path, edited(L8='date = "2024-07-24"')))
    assert error.hint == "write it without quotes: date = 2024-07-24"


def test_duplex_must_be_true_or_false(issue_path: Path) -> None:
    error = only_error(write(issue_path, edited(L8='date = 2024-07-24\nduplex = "yes"')))
    assert (error.line, error.key) == (9, "masthead.duplex")
    assert "true or false" in error.message


# --- empty text --------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ['body = ""', 'body = """\n\n   \n"""', 'body = "\u3000 "'])
def test_an_empty_body(issue_path: Path, body: str) -> None:
    error = only_error(write(issue_path, FULL.split("body =")[0] + body + "\n"))
    assert (error.line, error.key) == (16, "columns[1].articles[1].body")
    assert error.message == "the article's body is empty"


def test_an_empty_title(issue_path: Path) -> None:
    error = only_error(write(issue_path, edited(L14='title = "  "')))
    assert (error.line, error.key) == (14, "columns[1].articles[1].title")


def test_a_column_with_an_empty_list_of_articles(issue_path: Path) -> None:
    text = FULL.split("[[columns.articles]]")[0] + "articles = []\n"
    error = only_error(write(issue_path, text))
    assert error.message == "this column has no articles"
    assert error.line == 10


# --- dates -------------------------------------------------------------------------------------


def test_print_date_before_the_issue_date(issue_path: Path) -> None:
    error = only_error(write(issue_path, edited(L24="print_date = 2024-07-23")))
    assert (error.line, error.key) == (24, "distribution.print_date")
    assert "before the issue date" in error.message


def test_print_date_on_or_after_the_issue_date(issue_path: Path) -> None:
    loaded = load_issue(write(issue_path, edited(L24="print_date = 2024-07-25")))
    assert loaded.issue.print_date == datetime.date(2024, 7, 25)
    loaded = load_issue(write(issue_path, FULL))
    assert loaded.issue.print_date == datetime.date(2024, 7, 24)  # defaults to masthead.date


# --- control characters and markup -------------------------------------------------------------


def test_control_characters_are_errors_at_their_line(issue_path: Path) -> None:
    text = edited(L14='title = "标题\\u001b[31m"', L19="第二\\u0007段。", L11='name = "a\\u0000b"')
    found = problems(write(issue_path, text))
    assert [(d.line, d.key) for d in found] == [
        (11, "columns[1].name"),
        (14, "columns[1].articles[1].title"),
        (19, "columns[1].articles[1].body"),
    ]
    assert "U+0000" in found[0].message
    assert "U+001B" in found[1].message
    assert "U+0007" in found[2].message
    assert all(d.is_error and d.hint for d in found)


def test_a_raw_control_character_is_malformed_toml(issue_path: Path) -> None:
    error = only_error(write(issue_path, edited(L19="第二\x07段。")))
    assert (error.line, error.col) == (19, 3)


def test_markup_is_text(issue_path: Path) -> None:
    markup = r"<b>粗</b> <img src=\"x.png\"> a < b && c > d \\ &amp; {{ x }} {% if %}"
    loaded = load_issue(write(issue_path, edited(L14=f'title = "{markup}"')))
    assert loaded.issue.columns[0].articles[0].title == (
        '<b>粗</b> <img src="x.png"> a < b && c > d \\ &amp; {{ x }} {% if %}'
    )


def test_every_problem_is_reported_at_once(issue_path: Path) -> None:
    text = edited(L4='titel = "工作简报"', L5='number = "14"', L24="copies = -1")
    found = problems(write(issue_path, text))
    assert sorted((d.line, d.key) for d in found) == [
        (4, "masthead.titel"),  # and not also "missing title": it is the same mistake
        (5, "masthead.number"),
        (24, "distribution.copies"),
    ]


# --- the series: merge and checks --------------------------------------------------------------


def test_merge_series_tables_key_by_key_lists_replaced() -> None:
    series = {"masthead": {"title": "甲", "editor": "乙"}, "distribution": {"send_to": ["a", "b"]}}
    issue = {"masthead": {"title": "丙", "number": 3}, "distribution": {"send_to": ["c"]}}
    assert merge_series(series, issue) == {
        "masthead": {"title": "丙", "editor": "乙", "number": 3},
        "distribution": {"send_to": ["c"]},
    }
    assert series["masthead"] == {"title": "甲", "editor": "乙"}  # inputs are not changed


def test_an_issue_inherits_and_overrides_its_series(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    write(folder / "series.toml", SERIES_TOML)
    path = write(
        folder / "2024-01.toml",
        issue_toml() + '\n[distribution]\nsend_to = ["只此一家"]\ncopies = 5\n',
    )
    dist = load_issue(path).issue.distribution
    assert dist.send_to == ["只此一家"]  # the list replaced, not extended
    assert dist.report_to == ["上级机关甲", "上级机关乙"]  # the rest of the table merged
    assert dist.printer == "测试印发单位"
    assert dist.copies == 5
    assert load_issue(path).issue.masthead.editor == "测试编发单位"


def test_an_error_in_series_toml_is_placed_in_series_toml(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    series = write(folder / "series.toml", SERIES_TOML.replace("copies = 30", "copies = 0"))
    error = only_error(write(folder / "2024-01.toml", issue_toml()))
    assert (error.file, error.line, error.key) == (series, 10, "distribution.copies")


def test_an_unknown_key_in_series_toml(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    series = write(folder / "series.toml", SERIES_TOML.replace("editor =", "edtor ="))
    found = problems(write(folder / "2024-01.toml", issue_toml()))
    unknown = [d for d in found if d.key == "masthead.edtor"]
    assert [(d.file, d.line) for d in unknown] == [(series, 3)]
    assert unknown[0].hint == "did you mean 'editor'?"


def test_key_names_round_trip() -> None:
    assert parse_key_name("columns[2].articles[1].body") == ("columns", 1, "articles", 0, "body")
    assert parse_key_name("masthead.title") == ("masthead", "title")


def test_an_error_is_placed_in_series_toml_even_when_the_issue_has_that_table(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "s"
    series = write(folder / "series.toml", SERIES_TOML.replace("copies = 30", "copies = 0"))
    path = write(folder / "2024-01.toml", issue_toml() + '\n[distribution]\nsend_to = ["乙"]\n')
    error = only_error(path)
    assert (error.file, error.line, error.key) == (series, 10, "distribution.copies")
