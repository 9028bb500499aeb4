"""check_limits: nesting and dotted keys counted outside strings and comments only."""

from __future__ import annotations

from pipeline.source.limits import MAX_NESTING, check_limits

DEEP = "[" * (MAX_NESTING + 1)


def test_nesting_beyond_the_limit_is_found_at_its_bracket() -> None:
    found = check_limits(f"x = 1\nrows = {DEEP}")
    assert found is not None and (found.line, found.col) == (2, 8 + MAX_NESTING)


def test_brackets_in_strings_and_comments_do_not_count() -> None:
    for text in (
        f'title = "{DEEP}"',
        f"title = '{DEEP}'",
        f'body = """\n{DEEP}\n"""',
        f"body = '''\n{DEEP}\n'''",
        f"# {DEEP}\n",
        f'title = "a \\" {DEEP}"',  # an escaped quote does not end the string
    ):
        assert check_limits(text) is None, text


def test_a_string_ends_where_its_quote_does() -> None:
    found = check_limits(f'title = "a" {DEEP}')
    assert found is not None and found.line == 1
    found = check_limits(f'body = """a\n"b"\n""" {DEEP}')
    assert found is not None and found.line == 3


def test_dotted_keys_beyond_the_limit() -> None:
    found = check_limits("a" + ".a" * 16 + " = 1")
    assert found is not None and "dotted" in found.message
    assert check_limits('a = "' + ".a" * 40 + '"') is None
