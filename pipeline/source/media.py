"""Checks of the photos and tables of an issue's articles: files, formats, places and rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.diagnostics import Diagnostic, Severity
from pipeline.i18n import _
from pipeline.source.model import Issue, Photo, Table, split_paragraphs
from pipeline.source.tomlpos import KeyPath

PHOTO_FORMATS = ("JPEG", "PNG")

# place(severity, message, key, hint) → a diagnostic at the file and line where key is set
Place = Callable[[Severity, str, KeyPath, str | None], Diagnostic]


def photo_path(issue_path: Path, file: str) -> Path:
    """Where a photo named in an issue lives: relative to the issue file's folder."""
    return issue_path.parent / file


def photo_files(issue: Issue, issue_path: Path) -> list[Path]:
    """Every photo file an issue uses, in the order of its articles."""
    return [
        photo_path(issue_path, photo.file)
        for column in issue.columns
        for article in column.articles
        for photo in article.photos
    ]


def check_media(issue: Issue, issue_path: Path, place: Place) -> Iterator[Diagnostic]:
    """Errors for missing, unreadable or unsupported photos, bad `after`s and ragged tables."""
    for c, column in enumerate(issue.columns):
        for a, article in enumerate(column.articles):
            where: KeyPath = ("columns", c, "articles", a)
            count = len(split_paragraphs(article.body))
            for p, photo in enumerate(article.photos):
                key: KeyPath = (*where, "photos", p)
                yield from _check_after(photo.after, count, key, place)
                yield from _check_photo(photo, issue_path, key, place)
            for t, table in enumerate(article.tables):
                key = (*where, "tables", t)
                yield from _check_after(table.after, count, key, place)
                yield from _check_table(table, issue_path, key, place)


def _check_after(after: int | None, count: int, key: KeyPath, place: Place) -> Iterator[Diagnostic]:
    if after is not None and after > count:
        message = (
            _("after = {after}, but the article has only 1 paragraph", after=after)
            if count == 1
            else _(
                "after = {after}, but the article has only {count} paragraphs",
                after=after,
                count=count,
            )
        )
        yield place(
            "error",
            message,
            (*key, "after"),
            _(
                "write a number from 1 to {count}, or remove after to place it after the last one",
                count=count,
            ),
        )


def _check_photo(
    photo: Photo, issue_path: Path, key: KeyPath, place: Place
) -> Iterator[Diagnostic]:
    if not 0 < photo.width <= 1:
        yield place(
            "error",
            _("width = {width} is not a share of the type-area width", width=photo.width),
            (*key, "width"),
            _("write a number above 0 and at most 1, e.g. width = 0.75 for three quarters"),
        )
    path = photo_path(issue_path, photo.file)
    problem = photo_problem(path)
    if problem is not None:
        message, hint = problem
        message = _("photo {file}: {problem}", file=photo.file, problem=message)
        yield place("error", message, (*key, "file"), hint)


def photo_problem(path: Path) -> tuple[str, str] | None:
    """Why a photo file cannot be printed (message, hint), or None when it can."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        return (
            _("file not found") if not path.exists() else _("not a file"),
            _(
                "put the photo at {path}, or correct the path (relative to the issue's folder)",
                path=path,
            ),
        )
    try:
        with Image.open(path) as image:
            kind = image.format
            if kind not in PHOTO_FORMATS:
                return (
                    _(
                        "a {kind} image; only JPEG and PNG photos can be printed",
                        kind=kind or "unknown",
                    ),
                    _("save the photo as .jpg (or .png) and name that file"),
                )
            width, height = image.size
            image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()  # decodes (at a small scale for JPEG), so damage shows now
    except UnidentifiedImageError:
        return _("not a picture Pillow can read"), _(
            "save the photo as .jpg (or .png) and name that file"
        )
    except PermissionError:
        return _("the file cannot be read (permission denied)"), _("allow reading the file")
    except (OSError, SyntaxError, ValueError) as exc:
        return (
            _("the picture is damaged ({reason})", reason=exc),
            _("save the photo again as .jpg or .png"),
        )
    return None


def _check_table(
    table: Table, issue_path: Path, key: KeyPath, place: Place
) -> Iterator[Diagnostic]:
    rows_key: KeyPath = (*key, "rows")
    if not table.rows or not table.rows[0]:
        yield place(
            "error",
            _("the table has no rows") if not table.rows else _("the table's first row is empty"),
            rows_key,
            _('write rows = [["甲", "乙"], ["1", "2"]]: one list of cell texts per row'),
        )
        return
    width = len(table.rows[0])
    for r, row in enumerate(table.rows[1:], start=1):
        if len(row) != width:
            message = (
                _(
                    "row {row} of the table has 1 cell, the first row {width}",
                    row=r + 1,
                    width=width,
                )
                if len(row) == 1
                else _(
                    "row {row} of the table has {count} cells, the first row {width}",
                    row=r + 1,
                    count=len(row),
                    width=width,
                )
            )
            hint = _('give every row {width} cells; write "" for an empty cell', width=width)
            diagnostic = place("error", message, (*rows_key, r), hint)
            line = _item_line(issue_path, diagnostic, r)
            yield diagnostic.at(line, None) if line else diagnostic
    if not 0 <= table.header_rows <= len(table.rows):
        yield place(
            "error",
            _(
                "header_rows = {header_rows}, but the table has {count} rows",
                header_rows=table.header_rows,
                count=len(table.rows),
            ),
            (*key, "header_rows"),
            _("write a number from 0 to {count} (default 1)", count=len(table.rows)),
        )


def _item_line(issue_path: Path, at_rows: Diagnostic, index: int) -> int | None:
    """The line where item `index` of the array starting on the diagnostic's line begins."""
    if at_rows.line is None or at_rows.file is None or at_rows.file != issue_path:
        return None
    try:
        lines = at_rows.file.read_text("utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    depth, seen, quote, escaped = 0, -1, "", False
    for number in range(at_rows.line, len(lines) + 1):
        text = lines[number - 1]
        start = text.find("=") + 1 if number == at_rows.line else 0
        for char in text[start:]:
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
            elif char == "[":
                depth += 1
                if depth == 2:
                    seen += 1
                    if seen == index:
                        return number
            elif char == "]":
                depth -= 1
                if depth == 0:
                    return None
    return None
