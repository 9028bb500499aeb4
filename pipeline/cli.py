"""The `bulletin` command: a thin layer that turns library errors into messages and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from pipeline.diagnostics import BulletinError, Diagnostic

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    """Print diagnostics to stderr, paths relative to the working folder."""
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(relative_to=Path.cwd()), err=True)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bulletin-pipeline")
def main() -> None:
    """Typeset official work bulletins (工作简报) from TOML into GB/T 9704-style PDFs."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", "output_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the PDFs (default: output/ of the project).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def build(paths: tuple[Path, ...], output_dir: Path | None, strict: bool) -> None:
    """Build issue files (or every issue below the folders given; default issues/) into PDFs."""
    from pipeline.build import Builder, find_issue_files, find_project_root

    targets = list(paths) or [Path("issues")]
    missing = [p for p in targets if not p.exists()]
    if missing:
        for path in missing:
            print_diagnostics([Diagnostic("error", "no such file or folder", path,
                                          hint="give an issue file or a folder of issues")])
        sys.exit(EXIT_FAILED)
    root = find_project_root(targets[0] if targets[0].is_dir() else targets[0].parent)
    builder = Builder(root, output_dir)
    issue_files = list(find_issue_files(targets))
    if not issue_files:
        click.echo("no issue files found", err=True)
        sys.exit(EXIT_FAILED)
    failed = 0
    for issue_path in issue_files:
        try:
            result = builder.build(issue_path, strict=strict)
        except BulletinError as exc:
            failed += 1
            print_diagnostics(exc.diagnostics)
            click.echo(f"failed  {_shown(issue_path)}", err=True)
            continue
        print_diagnostics(result.warnings)
        click.echo(f"built   {_shown(issue_path)} → {_shown(result.pdf)} "
                   f"({result.pages} pages, {result.seconds * 1000:.0f} ms)")
    if len(issue_files) > 1:
        click.echo(f"{len(issue_files) - failed} built, {failed} failed")
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


@main.command()
@click.argument("series_folder", type=click.Path(path_type=Path, file_okay=False))
def new(series_folder: Path) -> None:
    """Write the next issue file of a series, with every optional field as a comment."""
    from pipeline.scaffold import write_next_issue

    try:
        path = write_next_issue(series_folder)
    except BulletinError as exc:
        print_diagnostics(exc.diagnostics)
        sys.exit(EXIT_FAILED)
    click.echo(f"wrote   {_shown(path)}")
