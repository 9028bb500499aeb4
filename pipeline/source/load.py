"""Loading and validating issue files: TOML → series merge → typed model, every problem at once."""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.diagnostics import BulletinError, Diagnostic, Severity, did_you_mean, has_errors
from pipeline.i18n import _
from pipeline.source.limits import check_limits
from pipeline.source.media import check_media
from pipeline.source.model import Issue
from pipeline.source.schema import (
    KIND_WORDS,
    Problem,
    SchemaError,
    check,
    description,
    fields_of,
    schema_at,
)
from pipeline.source.series import SERIES_FILE, series_findings
from pipeline.source.tomlerrors import explain
from pipeline.source.tomlpos import (
    KeyPath,
    KeyPositions,
    decode_error_position,
    key_name,
    locate_keys,
)


@dataclass(frozen=True)
class SourceFile:
    """One parsed TOML file with the positions of its keys."""

    path: Path
    data: dict[str, Any]
    keys: KeyPositions


@dataclass
class LoadedIssue:
    """A validated issue with where its values came from, for later stages' diagnostics."""

    path: Path
    issue: Issue
    series: SourceFile | None
    source: SourceFile
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def series_dir(self) -> Path:
        """The folder of the bulletin series this issue belongs to."""
        return self.path.parent

    def diagnostic(
        self, severity: Severity, message: str, key: KeyPath = (), hint: str | None = None
    ) -> Diagnostic:
        """A diagnostic placed at the file and line where `key` was set (issue or series)."""
        return place_diagnostic(severity, message, key, hint, self.source, self.series)


def read_toml(path: Path) -> SourceFile:
    """Read one TOML file; malformed TOML raises with the line, column and the fix."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")  # a BOM (Windows Notepad) is not part of the text
    except FileNotFoundError:
        raise BulletinError.single(
            _("file not found"), file=path, hint=_("check the path and the file name")
        ) from None
    except IsADirectoryError:
        raise BulletinError.single(
            _("this is a folder, not a file"), file=path, hint=_("give the .toml file itself")
        ) from None
    except PermissionError:
        raise BulletinError.single(
            _("cannot read the file: permission denied"),
            file=path,
            hint=_("ask for read access to it, or copy it to a folder of yours"),
        ) from None
    except OSError as exc:
        raise BulletinError.single(
            _("cannot read the file: {reason}", reason=exc.strerror or exc), file=path
        ) from None
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        raise BulletinError.single(
            _("the file is not UTF-8 text"),
            file=path,
            line=raw.count(b"\n", 0, exc.start) + 1,
            col=len(raw[line_start : exc.start].decode("utf-8", "replace")) + 1,
            hint=_(
                "save it as UTF-8 in your editor (first bad byte at offset {offset})",
                offset=exc.start,
            ),
        ) from None
    too_deep = check_limits(text)
    if too_deep is not None:
        raise BulletinError.single(
            too_deep.message, file=path, line=too_deep.line, col=too_deep.col, hint=too_deep.hint
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, col, what = decode_error_position(str(exc))
        found = explain(text, line, col, what)
        raise BulletinError.single(
            found.message, file=path, line=found.line, col=found.col, key=found.key, hint=found.hint
        ) from None
    except RecursionError:  # check_limits keeps nesting shallow; this is the last guard
        raise BulletinError.single(
            _("the file is nested too deeply to read"), file=path, line=1, col=1
        ) from None
    return SourceFile(path, data, locate_keys(text))


def merge_series(series: dict[str, Any], issue: dict[str, Any]) -> dict[str, Any]:
    """Merge series defaults under an issue: tables merge key by key, lists are replaced."""
    merged = dict(series)
    for key, value in issue.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_series(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_issue(path: Path) -> LoadedIssue:
    """Load, merge and validate one issue file; raise BulletinError with every problem found."""
    source = read_toml(path)
    series_path = path.parent / SERIES_FILE
    series = read_toml(series_path) if series_path.is_file() else None
    data = merge_series(series.data if series else {}, source.data)

    diagnostics = list(_control_characters(data, source, series))
    issue: Issue | None = None
    try:
        issue = check(data, Issue)
    except SchemaError as exc:
        diagnostics += diagnostics_from_schema(exc, Issue, source, series)
    if issue is not None:
        diagnostics += _semantic_checks(issue, source, series)
        diagnostics += check_media(
            issue,
            path,
            lambda severity, message, key, hint: place_diagnostic(
                severity, message, key, hint, source, series
            ),
        )
        diagnostics += [
            place_diagnostic(f.severity, f.message, f.key, f.hint, source, series)
            for f in series_findings(path, issue.masthead)
        ]
    if issue is None or has_errors(diagnostics):
        raise BulletinError(diagnostics)
    return LoadedIssue(path, issue, series, source, diagnostics)


def place_diagnostic(
    severity: Severity,
    message: str,
    key: KeyPath,
    hint: str | None,
    source: SourceFile,
    series: SourceFile | None = None,
) -> Diagnostic:
    """A diagnostic at the file, line and column where `key` is set (the issue or its series)."""
    owner = source
    if series is not None and _depth_set(series, key) > _depth_set(source, key):
        owner = series  # the series file sets more of the key's path than the issue does
    position = owner.keys.find(key)
    line, col = position if position else (1, 1)
    return Diagnostic(
        severity,
        message,
        owner.path,
        line,
        col,
        key_name(key),
        hint,
    )


def _depth_set(source: SourceFile, key: KeyPath) -> int:
    """How much of the key's path the file itself sets: its longest prefix found there."""
    return max((end for end in range(1, len(key) + 1) if source.keys.has(key[:end])), default=0)


def parse_key_name(name: str) -> KeyPath:
    """Inverse of the human key path: 'columns[2].body' → ('columns', 1, 'body')."""
    path: list[str | int] = []
    for part in name.split("."):
        head, *indices = part.split("[")
        if head:
            path.append(head)
        path += [int(index.rstrip("]")) - 1 for index in indices]
    return tuple(path)


_TYPE_HINTS = {
    "date_type": "write the date without quotes, e.g. date = 2024-07-24",
    "string_type": 'put the text in double quotes, e.g. title = "工作简报"',
    "int_type": "write the number without quotes, e.g. number = 14",
    "greater_than": "numbers start at 1",
    "bool_type": "write true or false without quotes",
}


def diagnostics_from_schema(
    exc: SchemaError, root: type[Any], source: SourceFile, series: SourceFile | None = None
) -> list[Diagnostic]:
    """Turn the schema's problems into plain-worded diagnostics placed at their keys."""
    return [_from_problem(problem, root, source, series) for problem in exc.problems]


def _from_problem(
    problem: Problem, root: type[Any], source: SourceFile, series: SourceFile | None
) -> Diagnostic:
    loc = problem.loc
    if problem.kind == "missing":
        described = description(schema_at(root, loc[:-1]), str(loc[-1]))
        table = key_name(loc[:-1])
        where = f"under [{table}]" if table else "at the top of the file"
        return place_diagnostic(
            "error",
            f"missing required key '{loc[-1]}'" + (f" ({described})" if described else ""),
            loc,
            f"add {loc[-1]} = … {where}, in the issue or in {SERIES_FILE}",
            source,
            series,
        )
    if problem.kind == "extra_forbidden":
        known = list(fields_of(schema_at(root, loc[:-1])))
        hint = did_you_mean(str(loc[-1]), known) or (
            "known keys here: " + ", ".join(known) if known else None
        )
        return place_diagnostic("error", f"unknown key '{loc[-1]}'", loc, hint, source, series)
    words = problem.message or KIND_WORDS[problem.kind]
    name = key_name(loc) or "the file"
    return place_diagnostic(
        "error", f"'{name}' must be {words}", loc, _TYPE_HINTS.get(problem.kind), source, series
    )


def walk_strings(value: Any, key: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    """Every text value below a TOML value, with its key path."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from walk_strings(item, (*key, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_strings(item, (*key, index))


def _control_characters(
    data: dict[str, Any], source: SourceFile, series: SourceFile | None
) -> Iterator[Diagnostic]:
    for key, text in walk_strings(data):
        for offset, char in enumerate(text):
            if char not in "\n\t" and unicodedata.category(char) == "Cc":
                diagnostic = place_diagnostic(
                    "error",
                    f"control character U+{ord(char):04X} in '{key_name(key)}'",
                    key,
                    "delete it: it is invisible and cannot be printed "
                    "(often pasted in from another program)",
                    source,
                    series,
                )
                line = source.keys.line_of_offset(key, text.count("\n", 0, offset))
                yield diagnostic.at(line, None) if line else diagnostic
                break


def _semantic_checks(
    issue: Issue, source: SourceFile, series: SourceFile | None
) -> Iterator[Diagnostic]:
    if not issue.masthead.title.strip():
        yield place_diagnostic(
            "error",
            "the bulletin name is empty",
            ("masthead", "title"),
            'write the name, e.g. title = "工作简报"',
            source,
            series,
        )
    if not issue.columns:
        yield place_diagnostic(
            "error",
            "the issue has no articles",
            ("columns",),
            "add a [[columns]] table with at least one [[columns.articles]]",
            source,
            series,
        )
    for c, column in enumerate(issue.columns):
        if not column.articles:
            yield place_diagnostic(
                "error",
                "this column has no articles",
                ("columns", c),
                "add a [[columns.articles]] table after it, or remove the column",
                source,
                series,
            )
        for a, article in enumerate(column.articles):
            where: KeyPath = ("columns", c, "articles", a)
            if not article.title.strip():
                yield place_diagnostic(
                    "error",
                    "the article's title is empty",
                    (*where, "title"),
                    "write the title between the quotes",
                    source,
                    series,
                )
            if not article.body.strip():
                yield place_diagnostic(
                    "error",
                    "the article's body is empty",
                    (*where, "body"),
                    'write the text between body = """ and """',
                    source,
                    series,
                )
    dist = issue.distribution
    if dist.print_date is not None and dist.print_date < issue.masthead.date:
        yield place_diagnostic(
            "error",
            f"print_date {dist.print_date} is before the issue date {issue.masthead.date}",
            ("distribution", "print_date"),
            "the 印发 date cannot come before the masthead date; "
            "remove print_date to use the masthead date",
            source,
            series,
        )
