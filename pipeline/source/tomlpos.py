"""Where each key of a TOML file stands (line and column), for diagnostics; tomllib gives none."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

KeyPath = tuple[str | int, ...]
MAX_PARTS = 64  # of a dotted key whose position is recorded (source/limits.py allows 16)

_BARE_OR_QUOTED = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_KEY_RE = re.compile(rf"^({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=")
_PART_RE = re.compile(_BARE_OR_QUOTED)
_ERROR_POS_RE = re.compile(r"\(at line (\d+), column (\d+)\)")


def _split_dotted(dotted: str) -> list[str]:
    parts = []
    for match in _PART_RE.finditer(dotted):
        part = match.group(0)
        if part[0] in "\"'":
            part = part[1:-1]
        parts.append(part)
    return parts


def _bracket_balance(value: str) -> int:
    """Net count of [ and { outside strings on one line of a value (for multi-line arrays)."""
    depth = 0
    quote = ""
    escaped = False
    for char in value:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return depth


@dataclass
class KeyPositions:
    """Line and column (1-based) of every key and table header of one TOML text."""

    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    multiline_starts: dict[KeyPath, int] = field(default_factory=dict)
    unclosed: tuple[int, int] | None = None  # a multi-line string or array never closed
    # Line of each table header with the table it opens, in order, for table_at.
    headers: list[tuple[int, KeyPath]] = field(default_factory=list)
    # A line that sets a key or declares a table a second time → (its path, the first position).
    repeats: dict[int, tuple[KeyPath, tuple[int, int]]] = field(default_factory=dict)

    def find(self, path: KeyPath) -> tuple[int, int] | None:
        """Position of the key, or of its nearest enclosing key or table that exists."""
        for end in range(len(path), 0, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found
        return None

    def has(self, path: KeyPath) -> bool:
        """Whether the text itself sets this key or table."""
        return path in self.positions

    def table_at(self, line: int) -> KeyPath:
        """The table that the given line belongs to (() for the top of the file)."""
        index = bisect.bisect_right([start for start, _ in self.headers], line) - 1
        return self.headers[index][1] if index >= 0 else ()

    def line_of_offset(self, path: KeyPath, offset_newlines: int) -> int | None:
        """Line of a character inside a multi-line string value, given newlines before it."""
        start = self.multiline_starts.get(path)
        return None if start is None else start + offset_newlines


def locate_keys(text: str) -> KeyPositions:
    """Scan TOML text for key assignments and table headers, recording where each stands."""
    found = KeyPositions()
    array_counts: dict[KeyPath, int] = {}
    declared: set[KeyPath] = set()  # tables opened by a [header] and keys set, for repeats
    current: KeyPath = ()
    open_string = ""
    depth = 0

    def resolve(keys: list[str]) -> KeyPath:
        path: KeyPath = ()
        for key in keys:
            path = (*path, key)
            if path in array_counts:
                path = (*path, array_counts[path] - 1)
        return path

    for lineno, raw in enumerate(text.splitlines(), start=1):
        if open_string:
            if raw.count(open_string) % 2 == 1:
                open_string = ""
                found.unclosed = None
            continue
        if depth > 0:
            depth += _bracket_balance(raw)
            if depth <= 0:
                found.unclosed = None
            continue
        stripped = raw.lstrip()
        col = len(raw) - len(stripped) + 1
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            double = stripped.startswith("[[")
            close = stripped.find("]]" if double else "]")
            keys = _split_dotted(stripped[2 if double else 1 : close if close > 0 else None])
            if not keys or len(keys) > MAX_PARTS:
                continue  # not a header at all, or absurdly dotted: tomllib or the limits say so
            if double:
                table = (*resolve(keys[:-1]), keys[-1])
                if table in declared:
                    found.repeats[lineno] = (table, found.positions[table])
                index = array_counts.get(table, 0)
                array_counts[table] = index + 1
                current = (*table, index)
            else:
                table = current = resolve(keys)
                if current in declared:
                    found.repeats[lineno] = (current, found.positions[current])
                declared.add(current)
            for end in range(1, len(table)):
                found.positions.setdefault(table[:end], (lineno, col))
            found.positions.setdefault(table, (lineno, col))
            found.positions[current] = (lineno, col)
            found.headers.append((lineno, current))
            continue
        match = _KEY_RE.match(stripped)
        if not match:
            continue
        parts = _split_dotted(match.group(1))
        if len(parts) > MAX_PARTS:
            continue  # the limits report it; recording every prefix would take quadratic time
        path = current + tuple(parts)
        for end in range(len(current) + 1, len(path)):
            found.positions.setdefault(path[:end], (lineno, col))
        if path in declared:
            found.repeats[lineno] = (path, found.positions[path])
        declared.add(path)
        found.positions[path] = (lineno, col)
        value = stripped[match.end() :].lstrip()
        for delimiter in ('"""', "'''"):
            if value.startswith(delimiter):
                # TOML drops a newline right after the opening delimiter.
                first = lineno + 1 if value.rstrip() == delimiter else lineno
                found.multiline_starts[path] = first
                if value.count(delimiter) % 2 == 1:
                    open_string = delimiter
                    found.unclosed = (lineno, col)
                break
        else:
            depth = max(_bracket_balance(value), 0)
            if depth:
                found.unclosed = (lineno, col)
    return found


def key_name(key: KeyPath) -> str | None:
    """Human key path with 1-based positions: columns[2].articles[1].title."""
    text = ""
    for part in key:
        text += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or None


def decode_error_position(message: str) -> tuple[int | None, int | None, str]:
    """Split tomllib's '... (at line L, column C)' message into line, column and text."""
    match = _ERROR_POS_RE.search(message)
    if not match:
        return None, None, message.removesuffix(" (at end of document)")
    text = message[: match.start()].rstrip()
    return int(match.group(1)), int(match.group(2)), text
