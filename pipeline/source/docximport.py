"""`bulletin import`: a Word article appended to an issue file, its comments and order kept.

The issue file is edited with tomlkit (a style-preserving TOML library), so every comment,
blank line and key order stays as the clerk wrote it; the new [[columns.articles]] table (with
its photos and tables) goes to the end of the column named, or of the last column. Pictures are
saved under photos/ beside the issue as <issue>-<n>.jpg / .png. Everything is written
atomically, pictures first, the issue last, so an issue file is never left half-written.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.diagnostics import BulletinError
from pipeline.files import write_atomically
from pipeline.i18n import _
from pipeline.source.docxread import WordArticle, read_docx
from pipeline.source.load import read_toml

PHOTO_FOLDER = "photos"


@dataclass
class Imported:
    """What an import added (or, for a dry run, would add) to an issue file."""

    issue: Path
    article: WordArticle
    column: str | None
    new_column: bool
    photos: list[Path] = field(default_factory=list)
    added_toml: str = ""  # the lines added to the issue file


def import_docx(
    docx: Path, issue: Path, column: str | None = None, dry_run: bool = False
) -> Imported:
    """Append the article of `docx` to `issue` (its column `column`, else its last column)."""
    article = read_docx(docx)
    read_toml(issue)  # a malformed issue file is reported with its line, as a build reports it
    try:
        original = issue.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BulletinError.single(
            _("the file cannot be read: {reason}", reason=exc.strerror or exc), file=issue
        ) from None
    photos = _photo_paths(issue, article)
    text, chosen, new_column = _edited(original, article, photos, issue, column)
    tomllib.loads(text)  # what tomlkit wrote must read back (it always should)
    result = Imported(issue, article, chosen, new_column, photos, _added(original, text))
    if not dry_run:
        try:
            for picture, path in zip(article.pictures, photos, strict=True):
                write_atomically(path, picture.data)
            write_atomically(issue, text.encode("utf-8"))
        except OSError as exc:
            raise BulletinError.single(
                _("cannot write: {reason}", reason=exc.strerror or exc),
                file=Path(exc.filename) if exc.filename else issue,
                hint=_("check that the folder exists, is writable and the disk is not full"),
            ) from None
    return result


def _photo_paths(issue: Path, article: WordArticle) -> list[Path]:
    """photos/<issue>-1.jpg, -2.png, …: the first numbers no file uses yet."""
    folder = issue.parent / PHOTO_FOLDER
    taken = {p.stem for p in folder.iterdir()} if folder.is_dir() else set()
    paths = []
    number = 0
    for picture in article.pictures:
        number += 1
        while f"{issue.stem}-{number}" in taken:
            number += 1
        paths.append(folder / f"{issue.stem}-{number}{picture.suffix}")
    return paths


def _edited(
    original: str, article: WordArticle, photos: list[Path], issue: Path, column: str | None
) -> tuple[str, str | None, bool]:
    """The issue text with the article appended; the column's name; whether it is new."""
    import tomlkit

    document = tomlkit.parse(original)
    columns: Any = document.get("columns")
    if columns is None:
        columns = tomlkit.aot()
        document.append("columns", columns)
    target = None
    for table in columns:
        if column is None or table.get("name") == column:
            target = table  # the last column, or the one named
            if column is not None:
                break
    new_column = target is None
    before = target if target is not None else (columns[-1] if len(columns) else None)
    moved = _trailing_notes(before) if before is not None else []
    if target is None:
        target = tomlkit.table()
        if column is not None:
            target["name"] = column
        columns.append(target)
    if "articles" not in target:
        target["articles"] = tomlkit.aot()
    added = _article_table(article, photos, issue)
    target["articles"].append(added)
    last = _deepest_last(added)
    for item in moved or [tomlkit.nl()]:
        last.value.append(None, item)  # the comments above what follows stay above it
    return _spaced(original, tomlkit.dumps(document)), target.get("name"), new_column


def _multiline(text: str) -> Any:
    """A TOML multi-line string that starts on the line after its opening quotes."""
    import tomlkit

    escaped = text.replace("\\", "\\\\").replace('"""', '""\\"')
    return tomlkit.value(f'"""\n{escaped}"""')


def _spaced(before: str, after: str) -> str:
    """`after` with a blank line above each table header it added (tomlkit leaves none)."""
    old, new = before.splitlines(), after.splitlines()
    out: list[str] = []
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
        if tag not in ("insert", "replace"):
            out += new[j1:j2]
            continue
        for line in new[j1:j2]:
            if line.startswith("[") and out and out[-1].strip():
                out.append("")
            out.append(line)
    return "\n".join(out) + "\n"


def _article_table(article: WordArticle, photos: list[Path], issue: Path) -> Any:
    import tomlkit

    table = tomlkit.table()
    table["title"] = article.title
    if article.source:
        table["source"] = article.source
    table["body"] = _multiline("\n\n".join(article.paragraphs) + "\n")
    if photos:
        listed = tomlkit.aot()
        for picture, path in zip(article.pictures, photos, strict=True):
            entry = tomlkit.table()
            entry["file"] = path.relative_to(issue.parent).as_posix()
            if picture.caption:
                entry["caption"] = picture.caption
            entry["after"] = max(1, picture.after)
            listed.append(entry)
        table["photos"] = listed
    if article.tables:
        tables = tomlkit.aot()
        for word_table in article.tables:
            entry = tomlkit.table()
            entry["after"] = max(1, word_table.after)
            rows = tomlkit.array()
            for row in word_table.rows:
                rows.append(row)
            entry["rows"] = rows.multiline(True)
            tables.append(entry)
        table["tables"] = tables
    return table


def _deepest_last(table: Any) -> Any:
    """The table whose end is the end of `table` in the file (its last sub-table's, …)."""
    import tomlkit.items

    while True:
        body = table.value.body
        items = [item for key, item in body if key is not None]
        if not items:
            return table
        last = items[-1]
        if isinstance(last, tomlkit.items.AoT) and len(last):
            table = last[-1]
        elif isinstance(last, tomlkit.items.Table):
            table = last
        else:
            return table


def _trailing_notes(table: Any) -> list[Any]:
    """Take the comments and blank lines that end `table`'s text: tomlkit keeps a comment
    written above the next table with the table before it."""
    import tomlkit.items

    body = _deepest_last(table).value.body
    notes: list[Any] = []
    while body and body[-1][0] is None:
        if not isinstance(body[-1][1], tomlkit.items.Comment | tomlkit.items.Whitespace):
            break
        notes.insert(0, body.pop()[1])
    return notes


def _added(before: str, after: str) -> str:
    """The lines of `after` that `before` did not have, in order."""
    old, new = before.splitlines(), after.splitlines()
    added: list[str] = []
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
        if tag in ("insert", "replace"):
            added += new[j1:j2]
    return "\n".join(added).strip("\n") + "\n"
