"""The `bulletin` command: a thin layer that turns library errors into messages and exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from pipeline.app import clickwords
from pipeline.app.console import (
    EXIT_FAILED,
    end_at_once,
    print_diagnostics,
    require_existing,
    shown,
)
from pipeline.app.distribute_cli import distribute
from pipeline.app.helptext import TranslatingGroup
from pipeline.app.importcmd import import_command
from pipeline.diagnostics import BulletinError
from pipeline.i18n import _

clickwords.install()  # click's usage errors in the clerk's language too


@click.group(cls=TranslatingGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bulletin-pipeline")
def main() -> None:
    """Typeset official work bulletins (工作简报) from TOML into GB/T 9704-style PDFs.

    Examples:

      bulletin init office                  a new workspace with its first issue
      bulletin new issues/work-bulletin     the next issue of a series
      bulletin build                        every issue below issues/
      bulletin watch                        rebuild on every save

    See `bulletin COMMAND --help` for each command.
    """


main.add_command(import_command)


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
    """--ofd: also write <issue>.ofd (GB/T 33190) beside each PDF (build, watch and serve)."""
    return click.option(
        "--ofd", is_flag=True, help="Also write <issue>.ofd (GB/T 33190) beside each PDF."
    )(command)


@dataclass
class _Ending:
    """How the console script ends: a finished build may skip the interpreter's teardown."""

    skip_teardown: bool = False


def run() -> None:
    """The console script `bulletin`: the commands of `main`, ending a build at once.

    Build and serve end with `console.end_at_once` when done; other commands end as usual.
    """
    ending = _Ending()
    try:
        main(obj=ending)
    except SystemExit as done:
        if not ending.skip_teardown:
            raise
        status = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if isinstance(done.code, str):
            click.echo(done.code, err=True)
        end_at_once(status)


@main.command()
@paths_and_output
@ofd_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Build in this many processes at once (default: the number of cores; 1: in this one).",
)
def build(
    paths: tuple[Path, ...], output_dir: Path | None, ofd: bool, strict: bool, jobs: int | None
) -> None:
    """Build issue files (or every issue below the folders given; default issues/) into PDFs.

    While `bulletin watch` or `bulletin serve` runs in the same workspace, it builds them (up to
    7 issues, without -j N) with its fonts and templates already loaded: the same PDFs and
    messages, several times sooner. BULLETIN_BUILD_SERVER=off always builds in this process.

    Examples:

      bulletin build
      bulletin build issues/work-bulletin/2024-14.toml
      bulletin build issues -o out -j 2 --strict
    """
    from pipeline.app.buildclient import served_build

    status = served_build(paths, output_dir, strict, jobs, ofd, click.echo)
    if status is None:  # no watch or serve of this workspace built it
        from pipeline.app.build_report import build_command

        status = build_command(list(paths), output_dir, strict, jobs, ofd)
    ending = click.get_current_context().obj
    if isinstance(ending, _Ending):
        ending.skip_teardown = True
    sys.exit(status)


@main.command()
@click.argument("series_folder", type=click.Path(path_type=Path, file_okay=False))
def new(series_folder: Path) -> None:
    """Write the next issue file of a series, with every optional field as a comment.

    Example:

      bulletin new issues/work-bulletin
    """
    from pipeline.app.scaffold import write_next_issue

    try:
        path = write_next_issue(series_folder)
    except BulletinError as exc:
        print_diagnostics(exc.diagnostics)
        sys.exit(EXIT_FAILED)
    click.echo(_("wrote   {path}", path=shown(path)))


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
def init(folder: Path) -> None:
    """Write a new workspace into FOLDER: a series with its first issue, templates/, fonts/.

    Example:

      bulletin init office
    """
    from pipeline.app.workspace import init_workspace

    try:
        written = init_workspace(folder)
    except BulletinError as exc:
        print_diagnostics(exc.diagnostics)
        sys.exit(EXIT_FAILED)
    for path in written:
        click.echo(_("wrote   {path}", path=shown(path)))
    click.echo(_("next: cd {folder} && bulletin build", folder=shown(folder)))


main.add_command(distribute)


@main.command()
@click.argument("issue", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    "output_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of the PDFs and the ledger (default: output/ of the project).",
)
def archive(issue: Path, output_dir: Path | None) -> None:
    """Write the PDF/A-3b archive copy of an issue, its TOML, series.toml and ledger rows inside.

    Example:

      bulletin archive issues/work-bulletin/2024-14.toml
    """
    from pipeline.app.archive import write_archive

    try:
        done = write_archive(issue, output_dir)
    except BulletinError as exc:
        print_diagnostics(exc.diagnostics)
        sys.exit(EXIT_FAILED)
    print_diagnostics(done.warnings)
    inside = ", ".join(done.attached)
    click.echo(
        _(
            "archived {issue} → {pdf} ({attached})",
            issue=shown(issue),
            pdf=shown(done.path),
            attached=inside,
        )
    )


@main.command()
@paths_and_output
@ofd_option
@click.option(
    "--quiet-ms",
    type=click.IntRange(0, 5000),
    default=50,
    show_default=True,
    help="Rebuild once no change came for this long (one build per save).",
)
def watch(paths: tuple[Path, ...], output_dir: Path | None, ofd: bool, quiet_ms: int) -> None:
    """Build everything, then rebuild on every save what the changed file affects (Ctrl-C stops).

    Example:

      bulletin watch issues/work-bulletin
    """
    from pipeline.app.watch_status import watch_command

    sys.exit(watch_command(list(paths), output_dir, quiet_ms, ofd))


@main.command()
@paths_and_output
@ofd_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to serve on (0: any free port, printed).",
)
def serve(
    paths: tuple[Path, ...], output_dir: Path | None, ofd: bool, host: str, port: int
) -> None:
    """Build like watch and show the issues in the browser, reloading on save (Ctrl-C stops).

    Example:

      bulletin serve --port 8000
    """
    from pipeline.app.serve import serve_until_stopped

    targets = list(paths) or [Path("issues")]
    require_existing(targets)
    warn = functools.partial(click.echo, err=True)
    status = serve_until_stopped(targets, output_dir, host, port, click.echo, warn, ofd=ofd)
    ending = click.get_current_context().obj
    if isinstance(ending, _Ending):  # everything is stopped: Ctrl-C ends at once
        ending.skip_teardown = True
    sys.exit(status)


@main.command()
@click.argument("issues", nargs=-1, type=click.Path(path_type=Path))
def fonts(issues: tuple[Path, ...]) -> None:
    """Show each role's font and coverage; for the issues given, characters needing a fallback.

    Examples:

      bulletin fonts
      bulletin fonts issues/work-bulletin/2024-14.toml
    """
    from pipeline.app.fonts_report import fonts_command

    sys.exit(fonts_command(issues))
