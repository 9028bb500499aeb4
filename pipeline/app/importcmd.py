"""`bulletin import FILE.docx --into ISSUE.toml`: a Word article appended to an issue file."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline.app.console import EXIT_FAILED, EXIT_OK, print_diagnostics, shown
from pipeline.diagnostics import BulletinError
from pipeline.i18n import _


@click.command("import")
@click.argument("docx", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--into",
    "issue",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The issue file the article is added to.",
)
@click.option("--column", help="The column (栏目) to add it to; a new one if no column has it.")
@click.option("--dry-run", is_flag=True, help="Print the TOML it would add; write nothing.")
def import_command(docx: Path, issue: Path, column: str | None, dry_run: bool) -> None:
    """Add a Word document (.docx) to an issue as one article: title, paragraphs, source,
    pictures (saved under photos/ beside the issue) and tables.

    Example:

      bulletin import 调研报告.docx --into issues/work-bulletin/2024-14.toml --column 市州动态
    """
    from pipeline.source.docximport import import_docx

    try:
        result = import_docx(docx, issue, column, dry_run)
    except BulletinError as exc:
        print_diagnostics(exc.diagnostics)
        sys.exit(EXIT_FAILED)
    for skipped in result.article.skipped:
        click.echo(_("{file}: warning: {message}", file=shown(docx), message=skipped), err=True)
    article = result.article
    where = _("column {name}", name=result.column) if result.column else _("the last column")
    if result.new_column:
        where = _("a new column {name}", name=result.column or "")
    if dry_run:
        click.echo(_("would add to {issue}, {where}:", issue=shown(issue), where=where))
        click.echo(result.added_toml, nl=False)
        click.echo(_("nothing was written (--dry-run)"))
        sys.exit(EXIT_OK)
    click.echo(
        _(
            "added   《{title}》 to {issue}, {where}",
            title=article.title,
            issue=shown(issue),
            where=where,
        )
    )
    click.echo("        " + _("{count} paragraphs", count=len(article.paragraphs)))
    if article.source:
        click.echo("        " + _("source （{source}）", source=article.source))
    for picture, path in zip(article.pictures, result.photos, strict=True):
        click.echo(
            "        "
            + _(
                "photo  {file} after paragraph {after}",
                file=shown(path),
                after=max(1, picture.after),
            )
        )
    for table in article.tables:
        click.echo(
            "        "
            + _(
                "table  {rows} rows × {columns} columns after paragraph {after}",
                rows=len(table.rows),
                columns=len(table.rows[0]) if table.rows else 0,
                after=max(1, table.after),
            )
        )
    sys.exit(EXIT_OK)
