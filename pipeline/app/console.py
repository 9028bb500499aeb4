"""What every command shares: exit codes, the PATH and -o DIR arguments, problems on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from pipeline.diagnostics import Diagnostic
from pipeline.i18n import _

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    """Print diagnostics to stderr, paths relative to the working folder."""
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(relative_to=Path.cwd()), err=True)


def paths_and_output(command: Callable[..., None]) -> Callable[..., None]:
    """The PATH arguments (issue files or folders) and -o DIR that build, watch and serve share."""
    command = click.option(
        "-o",
        "--output",
        "output_dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Folder for the PDFs (default: output/ of the project).",
    )(command)
    return click.argument("paths", nargs=-1, type=click.Path(path_type=Path))(command)


def ofd_option(command: Callable[..., None]) -> Callable[..., None]:
    """--ofd: also write <issue>.ofd beside each PDF (build, watch and serve)."""
    return click.option(
        "--ofd", is_flag=True, help="Also write <issue>.ofd (GB/T 33190) beside each PDF."
    )(command)


def require_existing(paths: Sequence[Path]) -> None:
    """Report every path that does not exist and exit 1 if there is any."""
    missing = [path for path in paths if not path.exists()]
    print_diagnostics(
        [
            Diagnostic(
                "error",
                _("no such file or folder"),
                path,
                hint=_("give an issue file or a folder of issues"),
            )
            for path in missing
        ]
    )
    if missing:
        sys.exit(EXIT_FAILED)


def shown(path: Path, cwd: Path | None = None) -> str:
    """A path as the user sees it: relative to the working folder (or `cwd`) where below it."""
    folder = Path.cwd() if cwd is None else cwd
    try:
        return str((folder / path).resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path)
