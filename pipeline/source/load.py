"""Loading and validating issue files: TOML → series merge → typed model, every problem at once."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.diagnostics import BulletinError, Diagnostic, Severity, did_you_mean, has_errors
from pipeline.i18n import N_, _, language
from pipeline.source.kept import KeptByContent
from pipeline.source.limits import check_limits
from pipeline.source.media import check_media
from pipeline.source.model import Issue
from pipeline.source.schema import (
    KIND_WORDS,
    Problem,
    SchemaError,
    check,
    fields_of,
    schema_at,
)
from pipeline.source.series import SERIES_FILE, series_findings
from pipeline.source.textrules import check_contents, check_text, without_fixed_wording
from pipeline.source.tomlerrors import explain, iso_date, whole_number
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
    return parse_toml(path, read_source(path))


def read_source(path: Path) -> bytes:
    """The bytes of a TOML file; a file that cannot be read raises with what to do."""
    try:
        return path.read_bytes()
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


def parse_toml(path: Path, raw: bytes) -> SourceFile:
    """The TOML file `path` whose bytes are `raw`; malformed TOML raises with line and column."""
    try:
        text = raw.decode("utf-8-sig")  # a BOM (Windows Notepad) is not part of the text
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


@dataclass(frozen=True)
class CheckedSources:
    """What an issue file and its series file say on their own: parsed, merged and checked."""

    source: SourceFile
    series: SourceFile | None
    issue: Issue | None  # None when the schema refused it
    diagnostics: tuple[Diagnostic, ...]


def load_issue(path: Path, kept: KeptByContent[CheckedSources] | None = None) -> LoadedIssue:
    """Load, merge and validate one issue file; raise BulletinError with every problem found.

    With `kept`, an issue whose file and series file hold the bytes they held when it was last
    checked is not parsed and checked again; its photos and its siblings are always looked at.
    """
    raw = read_source(path)
    series_path = path.parent / SERIES_FILE
    try:
        series_raw = read_source(series_path) if series_path.is_file() else None
    except BulletinError:
        parse_toml(path, raw)  # the issue's own slip is reported first
        raise
    name = (path, language())
    checked = kept.get(name, (raw, series_raw)) if kept is not None else None
    if checked is None:
        checked = check_sources(path, raw, series_path, series_raw)
        if kept is not None:
            kept.put(name, (raw, series_raw), checked)
    source, series, issue = checked.source, checked.series, checked.issue
    diagnostics = list(checked.diagnostics)

    def place(severity: Severity, message: str, key: KeyPath, hint: str | None) -> Diagnostic:
        return place_diagnostic(severity, message, key, hint, source, series)

    if issue is not None:
        diagnostics += check_media(issue, path, place)
        diagnostics += [
            place_diagnostic(f.severity, f.message, f.key, f.hint, source, series)
            for f in series_findings(path, issue.masthead)
        ]
    if issue is None or has_errors(diagnostics):
        raise BulletinError(diagnostics)
    return LoadedIssue(path, issue, series, source, diagnostics)


def check_sources(
    path: Path, raw: bytes, series_path: Path, series_raw: bytes | None
) -> CheckedSources:
    """Parse, merge and check an issue file and its series file from their bytes."""
    source = parse_toml(path, raw)
    series = parse_toml(series_path, series_raw) if series_raw is not None else None
    data = merge_series(series.data if series else {}, source.data)

    def place(severity: Severity, message: str, key: KeyPath, hint: str | None) -> Diagnostic:
        return place_diagnostic(severity, message, key, hint, source, series)

    diagnostics = list(check_text(data, place, source.keys.line_of_offset))
    issue: Issue | None = None
    try:
        issue = check(data, Issue)
    except SchemaError as exc:
        diagnostics += diagnostics_from_schema(exc, Issue, source, series)
    if issue is not None:
        issue, warnings = without_fixed_wording(issue, place)
        diagnostics += warnings
        diagnostics += check_contents(issue, place)
    return CheckedSources(source, series, issue, tuple(diagnostics))


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
    "date_type": N_("write the date without quotes, e.g. date = 2024-07-24"),
    "string_type": N_('put the text in double quotes, e.g. title = "工作简报"'),
    "int_type": N_("write the number without quotes, e.g. number = 14"),
    "greater_than": N_("numbers start at 1"),
    "bool_type": N_("write true or false without quotes"),
}

# What to type for a missing key: TOML that a clerk can copy.
_EXAMPLES = {
    "masthead": '[masthead] number = 1, date = 2024-03-08, title = "工作简报", editor = "…"',
    "columns": '[[columns]] [[columns.articles]] title = "…" body = """…"""',
    "articles": '[[columns.articles]] title = "…" body = """…"""',
    "number": "number = 1",
    "date": "date = 2024-03-08",
    "title": 'title = "…"',
    "editor": 'editor = "…"',
    "body": 'body = """…"""',
}


def diagnostics_from_schema(
    exc: SchemaError, root: type[Any], source: SourceFile, series: SourceFile | None = None
) -> list[Diagnostic]:
    """Turn the schema's problems into plain-worded diagnostics placed at their keys.

    A misspelt key is one mistake: its "unknown key, did you mean" error is given, and not also
    a "missing" error for the key it was meant to be.
    """
    meant: set[KeyPath] = set()
    for problem in exc.problems:
        if problem.kind == "extra_forbidden":
            known = fields_of(schema_at(root, problem.loc[:-1]))
            import difflib  # only a misspelt key needs it

            close = difflib.get_close_matches(str(problem.loc[-1]), list(known), n=1, cutoff=0.6)
            meant.update((*problem.loc[:-1], word) for word in close)
    ordered = sorted(exc.problems, key=lambda problem: problem.kind == "missing")
    return [
        _from_problem(problem, root, source, series)
        for problem in ordered
        if not (problem.kind == "missing" and any(problem.loc[: len(m)] == m for m in meant))
    ]


def _from_problem(
    problem: Problem, root: type[Any], source: SourceFile, series: SourceFile | None
) -> Diagnostic:
    loc = problem.loc
    name = key_name(loc) or ""
    if problem.kind == "missing":
        return _missing(root, loc, source)
    if problem.kind == "extra_forbidden":
        known = list(fields_of(schema_at(root, loc[:-1])))
        hint = did_you_mean(str(loc[-1]), known) or (
            _("known keys here: {keys}", keys=", ".join(known)) if known else None
        )
        return place_diagnostic(
            "error", _("unknown key '{key}'", key=loc[-1]), loc, hint, source, series
        )
    value = _value_at(source.data, loc, _value_at(series.data if series else {}, loc))
    header = _single_bracket_header(problem, source, loc, value)
    if header is not None:
        return place_diagnostic(
            "error",
            _(
                "[{table}] is a list of tables: write [[{table}]] with double brackets",
                table=header,
            ),
            loc,
            _("each column is [[columns]] and each article [[columns.articles]]"),
            source,
            series,
        )
    words = problem.message or KIND_WORDS[problem.kind]
    return place_diagnostic(
        "error",
        _("'{key}' must be {words}", key=name or _("the file"), words=_(words)),
        loc,
        _typed_fix(problem.kind, loc, value),
        source,
        series,
    )


def _missing(root: type[Any], loc: KeyPath, source: SourceFile) -> Diagnostic:
    """A missing key, reported in the issue file (where it is to be added) with the TOML to add.

    It stands at the table's header when the issue has one, else at the top of the file, also
    when series.toml holds the rest of the table.
    """
    table = ".".join(str(part) for part in loc[:-1] if isinstance(part, str))
    if table:
        table = f"[[{table}]]" if isinstance(loc[-2], int) else f"[{table}]"
    example = _EXAMPLES.get(str(loc[-1]), f"{loc[-1]} = …")
    line, col = (source.keys.find(loc[:-1]) or (1, 1)) if table else (1, 1)
    return Diagnostic(
        "error",
        _("missing required key '{key}'", key=loc[-1]),
        source.path,
        line,
        col,
        key_name(loc),
        _("add under {table}: {example}", table=table, example=example)
        if table
        else _("add: {example}", example=example),
    )


def _value_at(data: Any, loc: KeyPath, default: Any = None) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return default
    return data


def _single_bracket_header(
    problem: Problem, source: SourceFile, loc: KeyPath, value: Any
) -> str | None:
    """For [columns.articles] written where [[columns.articles]] is meant: the table's name."""
    if problem.kind != "list_type" or not isinstance(value, dict):
        return None
    position = source.keys.find(loc)
    if position is None:
        return None
    for line, path in source.keys.headers:
        if line == position[0] and path[: len(loc)] == loc:
            return ".".join(str(part) for part in path)
    return None


def _typed_fix(kind: str, loc: KeyPath, value: Any) -> str | None:
    """The exact line to type for a value of the wrong kind, when the value shows what was meant."""
    key = str(loc[-1]) if loc else ""
    if kind == "date_type" and isinstance(value, str) and iso_date(value):
        return _("write it without quotes: {key} = {iso}", key=key, iso=iso_date(value))
    if kind in ("int_type", "greater_than") and isinstance(value, str):
        number = whole_number(value)
        if number is not None:
            return _("write it without quotes: {key} = {number}", key=key, number=number)
    hint = _TYPE_HINTS.get(kind)
    return _(hint) if hint else None
