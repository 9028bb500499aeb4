"""Rules across the issues of one series folder: which files are issues, numbers and totals."""

from __future__ import annotations

import bisect
import contextlib
import datetime
import itertools
import math
import os
import re
import tomllib
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.diagnostics import Diagnostic, Severity
from pipeline.files import file_stat
from pipeline.i18n import _
from pipeline.source.model import Masthead
from pipeline.source.siblingstore import Fields, SiblingStore
from pipeline.source.tomlpos import KeyPath

SERIES_FILE = "series.toml"


def is_issue_file(path: Path) -> bool:
    """Whether a path names an issue file: *.toml, not series.toml, not starting with _ or ."""
    return is_issue_name(path.name)


def is_issue_name(name: str) -> bool:
    """Whether a file name is an issue file's (`is_issue_file` of a path with that name)."""
    # Not starting with '.', a name ending in .toml has the suffix .toml and the rest as stem.
    return (
        name.endswith(".toml")
        and not name.startswith(("_", "."))
        and name not in (SERIES_FILE, "recipients.toml")
    )


def _issue_names(folder: Path) -> list[str]:
    """The issue files of a folder in the order of sorted(folder.glob("*.toml")), as names."""
    try:
        with os.scandir(folder) as found:
            names = [entry.name for entry in found if is_issue_name(entry.name)]
    except OSError:  # as glob: a folder that is gone or cannot be listed has no files
        return []
    return sorted(names, key=str.lower if os.name == "nt" else None)  # as Paths compare


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
    index = _SHARED.get(path.parent.absolute())
    if index is None:
        siblings = _read_siblings(path.parent, skip=path.name)
    elif index.clear(path.name, me):
        yield from index.gap(me)
        return
    else:
        siblings = index.entries
    siblings = [(other, fields) for other, fields in siblings if other.name != path.name]
    same_year = {me.number}
    for other, (number, total, day) in siblings:
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
    yield from _gap(me, same_year)


def _gap(me: Masthead, same_year: set[int]) -> Iterator[Finding]:
    """The warning of the year's last issue when numbers below it are missing."""
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


def _fields(head: dict[str, Any]) -> Fields:
    """A masthead's number, total and date (None unless a date: a date-time is reported by its
    own file's build)."""
    day = head.get("date")
    return head.get("number"), head.get("total"), day if type(day) is datetime.date else None


def _read_siblings(folder: Path, skip: str | None = None) -> list[tuple[Path, Fields]]:
    """Each issue file of the folder with its masthead's fields, in sorted order (those with a
    masthead); read from the folder's SiblingStore where a file's stat is the one kept.

    The file named `skip` (the issue being built, just edited) is neither read nor listed, and
    its kept entry is left as it was: the store is then not written after an edit of it.
    """
    store = SiblingStore(folder)
    found = []
    names = set()
    for name in _issue_names(folder):
        names.add(name)
        if name == skip:
            continue
        other = folder / name
        stat = file_stat(other)
        known, fields = store.get(name, stat) if stat is not None else (False, None)
        if not known:
            masthead = peek_masthead(other)
            fields = None if masthead is None else _fields(masthead)
            if stat is not None:
                store.put(name, stat, fields)
        if fields is not None:
            found.append((other, fields))
    store.keep_only(names)
    store.save()
    return found


class SeriesIndex:
    """One folder's issue mastheads read once, with what proves quickly that an issue has no
    clash with its siblings: a batch checks each issue against these instead of every file."""

    def __init__(self, folder: Path) -> None:
        self.entries = _read_siblings(folder)
        self._own: dict[str, Fields] = {}
        self._numbers: dict[tuple[int, object], list[str]] = {}
        self._totals: dict[object, list[str]] = {}
        self._years: dict[int, set[int]] = {}
        dated: list[tuple[datetime.date, int]] = []
        for path, fields in self.entries:
            number, total, day = fields
            self._own[path.name] = fields
            if day is not None and isinstance(number, int):
                self._numbers.setdefault((day.year, number), []).append(path.name)
                self._years.setdefault(day.year, set()).add(number)
            if isinstance(total, Hashable):
                self._totals.setdefault(total, []).append(path.name)
            if day is not None and isinstance(total, int):
                dated.append((day, total))
        dated.sort(key=lambda pair: pair[0])
        self._days = [day for day, _ in dated]
        totals = [total for _, total in dated]
        self._max_before = list(itertools.accumulate(totals, max, initial=-math.inf))
        self._min_after = list(itertools.accumulate(reversed(totals), min, initial=math.inf))
        self._min_after.reverse()

    def clear(self, name: str, me: Masthead) -> bool:
        """Whether the issue file `name`, whose masthead is `me`, certainly has no clash with a
        sibling and no total out of date order (False: check it sibling by sibling)."""
        own, mine = self._own.get(name), (me.number, me.total, me.date)
        if own is None or any(
            type(a) is not type(b) or a != b for a, b in zip(own, mine, strict=True)
        ):
            return False  # its own file says otherwise (or series.toml sets what it lacks)
        if any(other != name for other in self._numbers.get((me.date.year, me.number), ())):
            return False
        if me.total is None:
            return True
        if any(other != name for other in self._totals.get(me.total, ())):
            return False
        earlier = bisect.bisect_left(self._days, me.date)  # totals [:earlier] are before me.date
        later = bisect.bisect_right(self._days, me.date)  # and [later:] after it
        return self._max_before[earlier] < me.total < self._min_after[later]

    def gap(self, me: Masthead) -> Iterator[Finding]:
        """The gap warning of an issue that `clear` passed (its own number is in the index)."""
        return _gap(me, self._years[me.date.year])


# Folders whose SeriesIndex a batch shares (see shared_series_index), by absolute path.
_SHARED: dict[Path, SeriesIndex] = {}


def shared_folders(issues: Sequence[Path]) -> tuple[Path, ...]:
    """The folders holding more than one of the issues: a series index is worth making for them."""
    counts = Counter(issue.parent for issue in issues)
    return tuple(folder for folder, count in counts.items() if count > 1)


@contextlib.contextmanager
def shared_series_index(folders: Iterable[Path]) -> Iterator[None]:
    """Inside this, issues of these folders are checked against their folder as it was when the
    index was made (a batch: built from one state of the folder); outside, against the files."""
    wanted = {folder.absolute(): folder for folder in folders}
    made = {key: SeriesIndex(folder) for key, folder in wanted.items() if key not in _SHARED}
    _SHARED.update(made)  # a folder shared already (a forked worker's) is left as it is
    try:
        yield
    finally:
        for folder in made:
            del _SHARED[folder]


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
