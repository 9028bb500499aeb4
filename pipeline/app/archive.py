"""`bulletin archive`: an issue's PDF/A-3b archive copy with its sources and its ledger rows."""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.build import Builder, find_project_root, issue_identity, output_path
from pipeline.deliver.ledger import LEDGER_FILE, Delivery, Ledger
from pipeline.diagnostics import BulletinError, Diagnostic
from pipeline.files import write_atomically
from pipeline.formats.archive import Attachment, archive_copy
from pipeline.i18n import _
from pipeline.source.load import load_issue

# Written into the PDF, so fixed (not in the clerk's language): the same input, the same bytes.
ISSUE_NOTE = "the issue file (TOML) this document was typeset from"
SERIES_NOTE = "the series file (TOML) the issue file inherits from"
LEDGER_NOTE = "the distribution ledger's rows for this issue: every delivery attempt (CSV)"


@dataclass
class Archived:
    """What `archive` wrote: the archive copy, the names of the files inside, the ledger rows."""

    path: Path
    attached: list[str]
    ledger_rows: int
    warnings: list[Diagnostic] = field(default_factory=list)


def archive_path(issue_path: Path, output_root: Path) -> Path:
    """<output>/<series>/<issue>-archive.pdf, beside the issue's PDF."""
    pdf = output_path(issue_path, output_root)
    return pdf.with_name(f"{pdf.stem}-archive.pdf")


def write_archive(issue_path: Path, output_root: Path | None = None) -> Archived:
    """Typeset the issue and write its archive copy; raise BulletinError (writing nothing)."""
    if not issue_path.is_file():
        raise BulletinError.single(
            _("no such issue file"), file=issue_path, hint=_("give the issue's .toml file")
        )
    builder = Builder(find_project_root(issue_path), output_root)
    loaded = load_issue(issue_path)
    pdf, _pages, warnings, _deps = builder.render(loaded)
    files = [
        Attachment(
            issue_path.name, issue_path.read_bytes(), "application/toml", "Source", ISSUE_NOTE
        )
    ]
    if loaded.series is not None:
        series = loaded.series.path
        files.append(
            Attachment(series.name, series.read_bytes(), "application/toml", "Source", SERIES_NOTE)
        )
    # The ledger names an issue by its identity; a ledger not used since older versions, by
    # the folder and file name as typed.
    for key in (issue_identity(loaded).key, f"{issue_path.parent.name}/{issue_path.stem}"):
        rows = ledger_csv(builder.output_root / LEDGER_FILE, key)
        if rows.count(b"\n") > 1:
            break
    count = rows.count(b"\n") - 1
    if count > 0:
        files.append(
            Attachment(f"{issue_path.stem}-ledger.csv", rows, "text/csv", "Data", LEDGER_NOTE)
        )
    target = archive_path(issue_path, builder.output_root)
    write_atomically(target, archive_copy(pdf, files))
    return Archived(target, [f.name for f in files], max(count, 0), warnings)


def ledger_csv(ledger_path: Path, issue: str) -> bytes:
    """The ledger's delivery rows of an issue as CSV (UTF-8) under a header line."""
    names = [f.name for f in dataclasses.fields(Delivery)]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(names)
    if ledger_path.is_file():
        ledger = Ledger(ledger_path, create=False)
        try:
            for row in ledger.deliveries(issue):
                writer.writerow(["" if v is None else v for v in dataclasses.astuple(row)])
        finally:
            ledger.close()
    return text.getvalue().encode("utf-8")
