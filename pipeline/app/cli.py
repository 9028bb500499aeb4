"""The `bulletin` command: a thin layer that turns library errors into messages and exit codes."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from pipeline.app.console import (
    EXIT_FAILED,
    EXIT_OK,
    ofd_option,
    paths_and_output,
    print_diagnostics,
    require_existing,
    shown,
)
from pipeline.app.distribute_cli import distribute
from pipeline.app.helptext import TranslatingGroup
from pipeline.app.importcmd import import_command
from pipeline.diagnostics import BulletinError
from pipeline.i18n import _


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


@dataclass
class _Ending:
    """How the console script ends: a finished build may skip the interpreter's teardown."""

    skip_teardown: bool = False


def run() -> None:
    """The console script `bulletin`: the commands of `main`, ending a build at once.

    When `bulletin build` is done, every PDF is written, closed and renamed into place, and the
    process has nothing left to clean up; the interpreter's teardown would still free the loaded
    fonts' ~300,000 objects one by one (~30 ms of a 300 ms build; over a second after a long
    `serve`). So build and serve flush their output and end with os._exit. Other commands end as
    usual.
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
        with contextlib.suppress(OSError):  # a closed pipe: nothing more can be said anyway
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)


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

    Examples:

      bulletin build
      bulletin build issues/work-bulletin/2024-14.toml
      bulletin build issues -o out -j 2 --strict
    """
    from pipeline.build import find_issue_files, find_project_root
    from pipeline.source.series import misnamed_issue_files

    targets = list(paths) or [Path("issues")]
    require_existing(targets)
    root = find_project_root(targets[0])
    issue_files = list(find_issue_files(targets))
    print_diagnostics(misnamed_issue_files(targets))
    if not issue_files:
        click.echo("no issue files found", err=True)
        sys.exit(EXIT_FAILED)
    status = _build_all(root, output_dir, issue_files, strict, jobs, ofd)
    ending = click.get_current_context().obj
    if isinstance(ending, _Ending):
        ending.skip_teardown = True
    sys.exit(status)


PROGRESS_FROM = 8  # issues: a batch this long shows a progress bar on a terminal


def _build_all(
    root: Path,
    output_dir: Path | None,
    issues: list[Path],
    strict: bool,
    jobs: int | None,
    ofd: bool,
) -> int:
    """Build the issues (in parallel with jobs > 1), print what happened; the exit status."""
    import time

    from pipeline.app.batch import Outcome, Summary, build_parallel, build_sequential, default_jobs

    started = time.perf_counter()
    jobs = min(jobs or default_jobs(), len(issues))
    progress = _progress_bar(len(issues))
    if jobs > 1:

        def done(_outcome: Outcome) -> None:
            if progress is not None:
                progress.update()

        outcomes = build_parallel(root, output_dir, issues, strict, jobs, on_done=done, ofd=ofd)
    else:
        from pipeline.build import Builder

        outcomes = build_sequential(Builder(root, output_dir, ofd=ofd), issues, strict)
    summary = Summary()
    for outcome in outcomes:
        summary.add(outcome)
        if progress is not None and jobs == 1:
            progress.update()
        with _above(progress):
            print_diagnostics(outcome.diagnostics)
            if outcome.pdf is None:
                click.echo(f"failed  {shown(outcome.source)}", err=True)
            else:
                click.echo(
                    f"built   {shown(outcome.source)} → {shown(outcome.pdf)} "
                    f"({outcome.pages} pages, {outcome.seconds * 1000:.0f} ms)"
                )
    if progress is not None:
        progress.close()
    summary.seconds = time.perf_counter() - started
    if len(issues) > 1:
        click.echo(summary.line())
    return EXIT_FAILED if summary.failed else EXIT_OK


def _progress_bar(total: int) -> Any:
    """A tqdm bar on stderr for a long batch on a terminal; None otherwise."""
    if total < PROGRESS_FROM or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="issue", file=sys.stderr, leave=False, dynamic_ncols=True)


def _above(progress: Any) -> contextlib.AbstractContextManager[object]:
    """Lines printed inside this appear above the progress bar, if there is one."""
    if progress is None:
        return contextlib.nullcontext()
    return progress.external_write_mode(file=sys.stderr)  # type: ignore[no-any-return]


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
    click.echo(f"wrote   {shown(path)}")


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
        click.echo(f"wrote   {shown(path)}")
    click.echo(
        _(
            "next: write your office's names where the files say ××××, then: "
            "cd {folder} && bulletin build",
            folder=shown(folder),
        )
    )


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
    click.echo(f"archived {shown(issue)} → {shown(done.path)} ({inside})")


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
    import signal

    from pipeline.app.watch import Watcher
    from pipeline.app.watch_status import StatusLines
    from pipeline.build import Builder, find_project_root

    targets = list(paths) or [Path("issues")]
    require_existing(targets)
    root = find_project_root(targets[0])
    status = StatusLines(echo=click.echo)
    builder = Builder(root, output_dir, ofd=ofd)
    watcher = Watcher(builder, targets, [status], quiet_s=quiet_ms / 1000)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # a service manager's stop is a Ctrl-C too
    with contextlib.suppress(KeyboardInterrupt):
        watcher.run()
    click.echo("stopped")
    sys.exit(EXIT_OK)


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
    from pipeline.build import Builder, find_issue_files, find_project_root
    from pipeline.fonts.chains import role_fonts, role_table
    from pipeline.fonts.find import ScanningCatalog
    from pipeline.fonts.roles import ROLES, Role
    from pipeline.source.load import LoadedIssue, load_issue

    require_existing(issues)
    start = issues[0] if issues else Path.cwd()
    builder = Builder(find_project_root(start))
    failed = False
    loaded: list[LoadedIssue] = []
    for path in find_issue_files(issues):
        try:
            loaded.append(load_issue(path))
        except BulletinError as exc:
            print_diagnostics(exc.diagnostics)
            failed = True
    names = sorted({i.issue.template for i in loaded}) if issues else builder.templates.names()
    by_fonts: dict[tuple[tuple[str, ...], ...], list[str]] = {}
    for name in names:
        try:
            style = builder.templates.get(name).style
        except BulletinError as exc:
            print_diagnostics(exc.diagnostics)
            failed = True
            continue
        by_fonts.setdefault(tuple(tuple(style.fonts.get(r, [])) for r in ROLES), []).append(name)
    used: set[tuple[Path, int]] = set()
    for families, templates in by_fonts.items():
        wanted: dict[Role, list[str]] = {r: list(f) for r, f in zip(ROLES, families, strict=True)}
        chains = builder.fonts.chains(wanted)
        rows = role_fonts(chains)
        click.echo(f"Fonts by role (template {', '.join(templates)}):")
        for line in role_table(rows, shown):
            click.echo(f"  {line}")
        click.echo(
            "Fallback order (a character a role's font lacks comes from the first that has it):"
        )
        for row in rows:
            click.echo(f"  {row.role:<8} " + " → ".join(face.family for face in row.chain))
            used.update(face.where for face in row.chain)
        stand_ins = [r for r in rows if r.face.origin == "bundled" and wanted.get(r.role)]
        if stand_ins:
            click.echo("Bundled stand-ins: no font of these names was found; put one into fonts/:")
        for row in stand_ins:
            click.echo(f"  {row.role:<8} " + ", ".join(wanted[row.role]))
        for warning in builder.fonts.warnings(chains):
            click.echo(warning.format(relative_to=Path.cwd()))
    catalog = builder.fonts.catalog
    if isinstance(catalog, ScanningCatalog):
        for face in catalog.user_faces():
            if not face.refusal and (Path(face.path), face.index) not in used:
                family = (face.families or face.typographic or ("?",))[0]
                click.echo(
                    f"{shown(Path(face.path))}: note: no role names the family {family}; "
                    "add it to [fonts] in the template's style.toml to use it"
                )
    for issue in loaded:
        try:
            reports = builder.char_reports(issue)
        except BulletinError as exc:
            print_diagnostics(exc.diagnostics)
            failed = True
            continue
        if not reports:
            click.echo(f"{shown(issue.path)}: every character has a font of its role")
        for report in reports:
            click.echo(report.format(relative_to=Path.cwd()))
            failed = failed or report.is_error
    sys.exit(EXIT_FAILED if failed else EXIT_OK)
