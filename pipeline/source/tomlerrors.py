"""Plain, specific messages for the TOML slips clerks make, and limits checked before parsing.

tomllib says `Invalid value` for `title = “工作简报”` and `Expected '=' after a key` for
`title ＝ "…"`; these functions look at the line it points to and say what was typed there and
exactly what to type instead.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from pipeline.i18n import _
from pipeline.source.limits import Explained
from pipeline.source.tomlpos import KeyPositions, key_name, locate_keys

_OPENING_QUOTES = {"“": "”", "‘": "’", "「": "」", "『": "』", "＂": "＂", "”": "”"}
_SEPARATORS = "＝：:"
_LIST_COMMAS = "，、；"
_KEY_AT_START = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"\n]*\"|'[^'\n]*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"\n]*\"|'[^'\n]*'))*)"
)
_DATE = re.compile(
    r"^[\"']?\s*(\d{4})\s*(?:年|[-/.．／－])\s*(\d{1,2})\s*(?:月|[-/.．／－])\s*(\d{1,2})\s*日?\s*[\"']?$"
)
_LONGEST_DATE = 40  # characters: a longer value is no date, and is not matched (\s* backtracks)
_SHOWN = 60  # characters of a typed value quoted back in a message
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_DECLARED_TWICE = re.compile(r"Cannot declare \(([^)]*)\) twice")
_TABLE_HEADER = re.compile(r"\[\[?[A-Za-z0-9_.\"' -]+\]\]?")


def iso_date(value: str) -> str | None:
    """2024年3月8日, 2024-3-8, 2024/03/08 (quoted or not) → '2024-03-08'; None if not a date."""
    match = _DATE.match(value.strip()) if len(value) <= _LONGEST_DATE else None
    if not match:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        return None


def looks_like_date(value: str) -> bool:
    """Whether a value is written like a date, real or not (2024-02-30 is one)."""
    return len(value) <= _LONGEST_DATE and _DATE.match(value.strip()) is not None


def whole_number(value: str) -> int | None:
    """十四, 二十三, １４, "14" → the number; None for anything else."""
    text = value.strip().strip("\"'").strip()
    if text.isdigit():
        return int(text)  # int() reads full-width digits too
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    if all(ch in _CN_DIGITS for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))  # 二〇二四
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
    return total + (digit or 0)


def explain(text: str, line: int | None, col: int | None, what: str) -> Explained:
    """Turn tomllib's error (line, column, words) into a specific message with the fix."""
    lines = text.splitlines() or [""]
    keys = locate_keys(text)
    unclosed = _unclosed_string(lines, keys, line)
    if unclosed is not None:
        return unclosed
    if line is None or col is None:  # at the end of the document: what was left open
        if keys.unclosed is not None:
            line, col = keys.unclosed
            opened = _assignment(lines[line - 1])
            if opened and opened[2][:1] in "[{":
                return Explained(
                    line,
                    col,
                    _("the list of '{key}' that opens here is never closed", key=opened[1]),
                    _("end it with ] after its last item"),
                    _full_key(keys, line, opened[1]),
                )
        else:
            line, col = len(lines), len(lines[-1]) + 1
    raw = lines[line - 1] if 0 < line <= len(lines) else ""
    here = raw[col - 1] if 0 < col <= len(raw) else ""
    key_match = _KEY_AT_START.match(raw)
    written_key = key_match.group(1).replace(" ", "") if key_match else None
    full_key = _full_key(keys, line, written_key)
    repeat = keys.repeats.get(line)
    if repeat is not None and ("overwrite" in what or "twice" in what):
        path, (first, _col) = repeat
        col = len(raw) - len(raw.lstrip()) + 1
        if raw.lstrip().startswith("["):
            table = ".".join(str(p) for p in path if isinstance(p, str))
            return Explained(
                line,
                col,
                _(
                    "the table [{table}] appears twice; first at line {first}",
                    table=table,
                    first=first,
                ),
                _("put all its keys under the first [{table}] and delete this line", table=table),
                key_name(path),
            )
        return Explained(
            line,
            col,
            _(
                "the key '{key}' is set twice; first at line {first}",
                key=written_key or "",
                first=first,
            ),
            _("keep one of lines {first} and {line}", first=first, line=line),
            key_name(path),
        )
    if key_match and here and here in _SEPARATORS + "\u3000" and "Expected '='" in what:
        rest = raw[col:].lstrip("\u3000 \t" + _SEPARATORS)
        fix = f"{written_key} = {_short(rest)}"
        return Explained(
            line,
            col,
            _(
                "'{key}' is followed by {char} (U+{code:04X}) instead of =",
                key=written_key,
                char=here,
                code=ord(here),
            ),
            _("write {fix}", fix=fix),
            full_key,
        )
    if "Illegal character" in what and here and unicodedata.category(here) == "Cc":
        return Explained(
            line,
            col,
            _("control character U+{code:04X} here", code=ord(here)),
            _(
                "delete it: it is invisible and cannot be printed "
                "(often pasted in from another program)"
            ),
            full_key,
        )
    if raw.lstrip().startswith("[") and not _is_table_header(raw):
        return Explained(
            line,
            len(raw) - len(raw.lstrip()) + 1,
            _("this table header is not written right: {header}", header=_short(raw.strip())),
            _("a header is a name in brackets on a line of its own, e.g. [[columns.articles]]"),
        )
    assignment = _assignment(raw)
    if assignment is None:
        return _fallback(line, col, what, full_key)
    indent, key, value = assignment
    value = _without_comment(value)
    value_col = len(indent) + len(key) + raw[len(indent) + len(key) :].find(value) + 1
    if value[:1] in _OPENING_QUOTES:
        closing = _OPENING_QUOTES[value[0]]
        # The text ends at whichever quote the clerk closed it with, full-width or ASCII.
        inner = value[1:-1] if len(value) > 1 and value[-1] in f"{closing}”’\"'" else value[1:]
        return Explained(
            line,
            value_col,
            _(
                "the text of '{key}' is in full-width quotes {open} {close}; TOML needs the ASCII "
                'double quote "',
                key=key,
                open=value[0],
                close=closing,
            ),
            _(
                'change {open} and {close} to the ASCII double quote ": {fix}',
                open=value[0],
                close=closing,
                fix=f'{key} = "{_short(inner)}"',
            ),
            full_key,
        )
    iso = iso_date(value)
    if iso is not None or (looks_like_date(value) and not value.startswith('"')):
        if iso is None:
            return Explained(
                line,
                value_col,
                _("{value} is not a real date", value=_short(value)),
                _("write a real date as year-month-day, e.g. {key} = 2024-03-08", key=key),
                full_key,
            )
        return Explained(
            line,
            value_col,
            _("'{key}': {value} is not written as a TOML date", key=key, value=_short(value)),
            _(
                "write {key} = {iso} (year-month-day, two digits for month and day, no quotes)",
                key=key,
                iso=iso,
            ),
            full_key,
        )
    number = whole_number(value) if value[:1] not in "\"'" else None
    if number is not None:
        return Explained(
            line,
            value_col,
            _("'{key}': {value} is not a number in ASCII digits", key=key, value=_short(value)),
            _("write {key} = {number}", key=key, number=number),
            full_key,
        )
    if value.startswith("[") and here in _LIST_COMMAS:
        return Explained(
            line,
            col,
            _(
                "a full-width {char} separates the items of '{key}'; TOML needs the ASCII comma ,",
                char=here,
                key=key,
            ),
            _("write {fix}", fix=f"{key} = {_short(_replace_commas(value))}"),
            full_key,
        )
    if value.startswith('"') and not value.startswith('"""') and "after a statement" in what:
        inner = value[1:].rstrip()
        inner = inner[:-1] if inner.endswith('"') else inner
        curly = iter("“”" * (inner.count('"') // 2 + 1))
        fixed = "".join(next(curly) if ch == '"' else ch for ch in inner)
        return Explained(
            line,
            col - 1,
            _(
                "the text of '{key}' ends at the \" in column {col}, but more follows: a quote "
                'inside a text cannot be the ASCII "',
                key=key,
                col=col - 1,
            ),
            _("write the quotes inside the text as “ ”: {fix}", fix=f'{key} = "{_short(fixed)}"'),
            full_key,
        )
    if value and value[0] not in "\"'[{+-0123456789" and value not in ("true", "false"):
        return Explained(
            line,
            value_col,
            _("the text of '{key}' needs double quotes", key=key),
            _("write {fix}", fix=f'{key} = "{_short(value)}"'),
            full_key,
        )
    return _fallback(line, col, what, full_key)


def _fallback(line: int, col: int, what: str, key: str | None) -> Explained:
    declared = _DECLARED_TWICE.search(what)
    if declared:  # tomllib shows the table as a Python tuple: ('masthead',)
        table = ".".join(
            part.strip().strip("'\"") for part in declared.group(1).split(",") if part.strip()
        )
        what = f"[{table}] is declared twice"
    return Explained(
        line,
        col,
        _("malformed TOML: {what}", what=what),
        _('text values need double quotes; multi-line text goes between """ and """'),
        key,
    )


def _unclosed_string(
    lines: list[str], keys: KeyPositions, error_line: int | None
) -> Explained | None:
    """A \"\"\" text that swallowed what follows: reported where it opened, not where it broke."""
    opened: tuple[int, str] | None = None
    for number, raw in enumerate(lines, start=1):
        if error_line is not None and number >= error_line and opened is None:
            return None
        if opened is None:
            match = _assignment(raw)
            if match and match[2].startswith('"""') and match[2].count('"""') % 2:
                opened = (number, match[1])
            continue
        if raw.count('"""') % 2:
            start, key = opened
            swallowed = next(
                (n for n in range(start + 1, number) if _is_table_header(lines[n - 1])), None
            )
            if swallowed is not None and (error_line is None or error_line > start):
                return _unclosed_at(start, key, swallowed, keys)
            opened = None
    if opened is not None and error_line is None:
        start, key = opened
        return _unclosed_at(start, key, len(lines) + 1, keys)
    return None


def _unclosed_at(start: int, key: str, before: int, keys: KeyPositions) -> Explained:
    return Explained(
        start,
        1,
        _('the text of \'{key}\' that opens here with """ is never closed', key=key),
        _('end it with a line holding only """ before line {line}', line=before),
        _full_key(keys, start, key),
    )


def _short(text: str) -> str:
    """A typed value as a message quotes it: at most _SHOWN characters."""
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _assignment(raw: str) -> tuple[str, str, str] | None:
    """A `key = value` line as (indent, key, value), in linear time (no regex backtracking)."""
    stripped = raw.lstrip()
    equals = stripped.find("=")
    key = stripped[:equals].rstrip()
    if equals <= 0 or not key or any(char.isspace() for char in key):
        return None
    return raw[: len(raw) - len(stripped)], key, stripped[equals + 1 :].strip()


def _is_table_header(raw: str) -> bool:
    """Whether a line is a table header such as [[columns.articles]] (a comment may follow)."""
    text = raw.strip()
    text = text[: text.index("#")].rstrip() if "#" in text else text
    return _TABLE_HEADER.fullmatch(text) is not None


def _full_key(keys: KeyPositions, line: int, written: str | None) -> str | None:
    if not written:
        return None
    parts = tuple(part.strip().strip("\"'") for part in written.split("."))
    return key_name((*keys.table_at(line), *parts))


def _without_comment(value: str) -> str:
    """A value without a trailing # comment outside quotes."""
    quote = ""
    for index, char in enumerate(value):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#":
            return value[:index].rstrip()
    return value


def _replace_commas(value: str) -> str:
    """A list's value with its full-width commas outside quotes made ASCII ', '."""
    out: list[str] = []
    quote = ""
    for char in value:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in _LIST_COMMAS:
            char = ", "
        out.append(char)
    return re.sub(r",\s+", ", ", "".join(out))
