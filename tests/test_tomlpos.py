"""Where keys stand in a TOML text (tomllib gives no positions): pipeline/tomlpos.py."""

from __future__ import annotations

import tomllib

import pytest

from pipeline.source.tomlpos import decode_error_position, locate_keys

TEXT = """\
# 注释 [not a table] key = 1
template = "work-bulletin"   # [comment with brackets]

[masthead]
  title = "工作简报"
"quoted key" = 1
site."dotted.part" = true
note = \"\"\"
[fake]
number = 99
\"\"\"
after = 1
literal = '''
x = 1 '''
recipients = [
  "a]",  # a comment ]
  "b",
]
inline = { a = 1, b = [1,
  2] }

[[columns]]
name = "甲"

[[columns.articles]]
title = "一"

[[columns.articles]]
title = "二"
body = \"\"\"第一段。
第二行。\"\"\"

[[ columns ]]

[[columns.articles]]
body = \"\"\"
正文
\"\"\"
tail = 1

[distribution]
copies = 3
a.b.c = 1
"""


@pytest.fixture(scope="module")
def positions():  # type: ignore[no-untyped-def]
    return locate_keys(TEXT)


def test_fixture_text_is_valid_toml() -> None:
    data = tomllib.loads(TEXT)
    assert data["columns"][1]["articles"][0]["tail"] == 1


@pytest.mark.parametrize(
    ("path", "where"),
    [
        (("template",), (2, 1)),
        (("masthead",), (4, 1)),
        (("masthead", "title"), (5, 3)),  # indented key: column 3
        (("masthead", "quoted key"), (6, 1)),
        (("masthead", "site"), (7, 1)),
        (("masthead", "site", "dotted.part"), (7, 1)),
        (("masthead", "note"), (8, 1)),
        (("masthead", "after"), (12, 1)),  # not fooled by [fake] / number = inside the string
        (("masthead", "literal"), (13, 1)),
        (("masthead", "recipients"), (15, 1)),
        (("masthead", "inline"), (19, 1)),  # not fooled by ] inside strings and comments
        (("columns",), (22, 1)),
        (("columns", 0), (22, 1)),
        (("columns", 0, "name"), (23, 1)),
        (("columns", 0, "articles", 0), (25, 1)),
        (("columns", 0, "articles", 0, "title"), (26, 1)),
        (("columns", 0, "articles", 1), (28, 1)),
        (("columns", 0, "articles", 1, "title"), (29, 1)),
        (("columns", 0, "articles", 1, "body"), (30, 1)),
        (("columns", 1), (33, 1)),  # [[ columns ]] with spaces
        (("columns", 1, "articles", 0), (35, 1)),
        (("columns", 1, "articles", 0, "body"), (36, 1)),
        (("columns", 1, "articles", 0, "tail"), (39, 1)),
        (("distribution",), (41, 1)),
        (("distribution", "copies"), (42, 1)),
        (("distribution", "a", "b", "c"), (43, 1)),
        (("distribution", "a"), (43, 1)),
    ],
)
def test_key_positions(positions, path, where) -> None:  # type: ignore[no-untyped-def]
    assert positions.find(path) == where
    assert positions.has(path)


def test_keys_inside_strings_are_not_keys(positions) -> None:  # type: ignore[no-untyped-def]
    assert not positions.has(("masthead", "number"))
    assert not positions.has(("fake",))
    assert not positions.has(("masthead", "x"))


def test_find_falls_back_to_the_nearest_enclosing_key(positions) -> None:  # type: ignore[no-untyped-def]
    # A key the file does not set is placed at the table it would belong to.
    assert positions.find(("masthead", "editor")) == (4, 1)
    assert positions.find(("columns", 0, "articles", 1, "source")) == (28, 1)
    assert not positions.has(("masthead", "editor"))
    assert positions.find(("nowhere", "at", "all")) is None


def test_line_of_a_character_inside_a_multiline_string(positions) -> None:  # type: ignore[no-untyped-def]
    # Opening """ alone on its line: TOML drops that newline, text starts on the next line.
    assert positions.line_of_offset(("masthead", "note"), 0) == 9
    assert positions.line_of_offset(("masthead", "note"), 1) == 10
    assert positions.line_of_offset(("columns", 1, "articles", 0, "body"), 0) == 37
    # Text right after the opening """: it starts on the key's own line.
    assert positions.line_of_offset(("columns", 0, "articles", 1, "body"), 0) == 30
    assert positions.line_of_offset(("columns", 0, "articles", 1, "body"), 1) == 31
    # Not a multi-line string: no answer rather than a wrong one.
    assert positions.line_of_offset(("masthead", "title"), 0) is None


def test_the_same_array_table_name_under_different_parents() -> None:
    text = "[[a]]\n[[a.b]]\nx = 1\n[[a]]\n[[a.b]]\nx = 2\n[[a.b]]\nx = 3\n"
    found = locate_keys(text)
    assert found.find(("a", 0, "b", 0, "x")) == (3, 1)
    assert found.find(("a", 1, "b", 0, "x")) == (6, 1)
    assert found.find(("a", 1, "b", 1, "x")) == (8, 1)


def test_crlf_line_endings() -> None:
    found = locate_keys('[masthead]\r\ntitle = "x"\r\n\r\nnumber = 1\r\n')
    assert found.find(("masthead", "number")) == (4, 1)


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("[masthead]\ntitle = 工作简报\n", 2, 9),
        ("a = 1\na = 2\n", 2, 6),
        ("[masthead\n", 1, 10),
    ],
)
def test_decode_error_position(text: str, line: int, col: int) -> None:
    with pytest.raises(tomllib.TOMLDecodeError) as caught:
        tomllib.loads(text)
    got_line, got_col, what = decode_error_position(str(caught.value))
    assert (got_line, got_col) == (line, col)
    assert "(at line" not in what and what


def test_decode_error_position_without_a_position() -> None:
    assert decode_error_position("Unterminated string (at end of document)") == (
        None,
        None,
        "Unterminated string",
    )
