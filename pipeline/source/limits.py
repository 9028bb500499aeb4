"""Limits on what an issue file may hold, so that no input makes a build recurse or crawl.

`check_limits` rejects nesting and dotted keys so deep that tomllib would recurse or slow down,
in one linear pass over the text, before tomllib sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.i18n import _

MAX_NESTING = 16  # lists and inline tables within each other; an issue needs two
MAX_KEY_PARTS = 16  # parts of a dotted key or table name; an issue needs three


@dataclass(frozen=True)
class Explained:
    """What a syntax error is, in plain words: where, which key, the message and the fix."""

    line: int
    col: int
    message: str
    hint: str | None
    key: str | None = None


# The characters that end a comment, or may end a basic or literal string or escape in one.
_NEWLINE = re.compile("\n")
_IN_BASIC = re.compile('[\n"\\\\]')
_IN_LITERAL = re.compile("[\n']")


def _next(pattern: re.Pattern[str], text: str, start: int, end: int) -> int:
    """Where pattern next matches text from start, or end."""
    found = pattern.search(text, start)
    return found.start() if found else end


def check_limits(text: str) -> Explained | None:
    """The first place nested or dotted too deeply for an issue file, in one linear pass."""
    depth = key_parts = 0
    line, line_start = 1, 0
    quote = ""  # the open string's delimiter: " ' \"\"\" or '''
    in_comment = after_equals = False
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\n":
            line, line_start = line + 1, i + 1
            in_comment = False
            if depth == 0 and len(quote) != 1:
                after_equals = False
                key_parts = 0
            if len(quote) == 1:
                quote = ""  # a one-line string cannot go on: tomllib reports it
            i += 1
            continue
        if in_comment:
            i = _next(_NEWLINE, text, i + 1, n)
            continue
        if quote:
            if char == "\\" and quote[0] == '"':
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                quote = ""
                continue
            # Nothing else in a string matters: go to the next character that may.
            i = _next(_IN_BASIC if quote[0] == '"' else _IN_LITERAL, text, i + 1, n)
            continue
        if char in "\"'":
            quote = char * 3 if text.startswith(char * 3, i) else char
            i += len(quote)
            continue
        col = i - line_start + 1
        if char == "#":
            in_comment = True
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return Explained(
                    line,
                    col,
                    _("lists or tables are nested more than {limit} deep here", limit=MAX_NESTING),
                    _('an issue needs at most two levels, e.g. rows = [["甲", "乙"]]'),
                )
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif char == "=":
            after_equals = True
            key_parts = 0
        elif char == "." and not (after_equals and depth == 0):
            key_parts += 1
            if key_parts >= MAX_KEY_PARTS:
                return Explained(
                    line,
                    col,
                    _("a key with more than {limit} dotted parts", limit=MAX_KEY_PARTS),
                    _("write keys and tables as the example issue does, e.g. [[columns.articles]]"),
                )
        i += 1
    return None
