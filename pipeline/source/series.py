"""Rules across the issues of one series folder: which files are issues, numbers and totals."""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.diagnostics import Diagnostic, Severity
from pipeline.i18n import _
from pipeline.source.model import Masthead
from pipeline.source.tomlpos import KeyPath

SERIES_FILE = "series.toml"


def is_issue_file(path: Path) -> bool:
    """Whether a path names an issue file: *.toml, not series.toml, not starting with _ or ."""
    return (
        path.suffix == ".toml"
        and path.name != SERIES_FILE
        and not path.name.startswith(("_", "."))
        and path.stem != "recipients"
    )


def misnamed_issue_files(paths: Iterable[Path]) -> list[Diagnostic]:
    """A warning for each file below the folders that looks like an issue saved under a wrong
    name (Notepad's 2026-02.toml.txt): it is not built, and the clerk should know why."""
    found = []
    for folder in paths:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.toml.*")):
            if path.is_file() and not path.name.startswith((".", "_")):
                proper = path.name[: path.name.lower().index(".toml.") + len(".toml")]
                found.append(
                    Diagnostic(
                        "warning",
                        _(
                            "this looks like an issue file, but its name does not end in .toml, "
                            "so it is not built"
                        ),
                        path,
                        hint=_(
                            "rename it to {name} (in Notepad, save as type “All files”)",
                            name=proper,
                        ),
                    )
                )
    return found


@dataclass(frozen=True)
class Finding:
    """A problem of an issue within its series, at one of its masthead keys."""

    severity: Severity
    message: str
    key: KeyPath
    hint: str


def series_findings(path: Path, me: Masthead) -> Iterator[Finding]:
    """Numbers unique within a year, totals unique; gaps and falling totals are warnings."""
    siblings = []
    for other in sorted(path.parent.glob("*.toml")):
        if not is_issue_file(other) or other.name == path.name:
            continue
        masthead = peek_masthead(other)
        if masthead is not None:
            siblings.append((other, masthead))
    same_year = {me.number}
    for other, head in siblings:
        number, total, day = head.get("number"), head.get("total"), head.get("date")
        if type(day) is not datetime.date:
            day = None  # not a date (e.g. a date-time): that file's own build reports it
        year = getattr(day, "year", None)
        if year == me.date.year and isinstance(number, int):
            if number == me.number:
                yield Finding(
                    "error",
                    _(
                        "issue number {number} of {year} is also used by {other}",
                        number=number,
                        year=year,
                        other=other.name,
                    ),
                    ("masthead", "number"),
                    _("give each issue of a year its own number"),
                )
            same_year.add(number)
        if me.total is not None and total == me.total:
            yield Finding(
                "error",
                _("total number {total} is also used by {other}", total=total, other=other.name),
                ("masthead", "total"),
                _("each issue has its own total number"),
            )
        if (
            me.total is not None
            and isinstance(total, int)
            and isinstance(day, datetime.date)
            and day != me.date
            and total != me.total
            and (day < me.date) != (total < me.total)
        ):
            yield Finding(
                "warning",
                _(
                    "total number {mine} does not rise with the date: {other} has total {total} "
                    "on {day}",
                    mine=me.total,
                    other=other.name,
                    total=total,
                    day=day,
                ),
                ("masthead", "total"),
                _("check the total numbers"),
            )
    missing = [n for n in range(min(same_year), max(same_year)) if n not in same_year]
    if missing and me.number == max(same_year):
        yield Finding(
            "warning",
            _(
                "issue numbers of {year} have a gap: {numbers} missing",
                year=me.date.year,
                numbers=", ".join(map(str, missing)),
            ),
            ("masthead", "number"),
            _("check the numbering of the series"),
        )


# Sibling mastheads by file, kept while the file's (mtime, size, inode) stay: a batch or a watcher
# builds every issue of a folder, and each build checks all its siblings (O(n²) parses without).
_PEEKED: dict[Path, tuple[tuple[int, int, int], dict[str, Any] | None]] = {}


def peek_masthead(path: Path) -> dict[str, Any] | None:
    """The [masthead] table of an issue file as plain TOML data; None if it has none."""
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    known = _PEEKED.get(path)
    if known is not None and known[0] == key:
        return known[1]
    try:
        masthead = masthead_table(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        masthead = None
    found = masthead if isinstance(masthead, dict) else None
    _PEEKED[path] = (key, found)
    return found


_MASTHEAD_HEADER = re.compile(r"^[ \t]*\[[ \t]*masthead[ \t]*\][ \t]*(#.*)?$", re.MULTILINE)
_TABLE_HEADER = re.compile(r"^[ \t]*\[", re.MULTILINE)


def masthead_table(text: str) -> object:
    """The masthead of a TOML text, parsing only its [masthead] table when that is possible.

    A series folder holds years of issues and every build checks all of them: parsing whole
    files costs ~0.6 ms each, the masthead alone ~0.05 ms. A cut at a line starting with '['
    that is not a table header falls inside a string or an array, and so fails to parse;
    then the whole file is parsed.
    """
    header = _MASTHEAD_HEADER.search(text)
    if header is not None:
        end = _TABLE_HEADER.search(text, header.end())
        try:
            return tomllib.loads(text[header.start() : end.start() if end else None])["masthead"]
        except tomllib.TOMLDecodeError:
            pass
    return tomllib.loads(text).get("masthead")
