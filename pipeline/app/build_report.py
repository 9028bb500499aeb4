"""`bulletin build`: a batch of issues built, each one's problems and line, then the summary."""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.app.batch import IssueBuild, Summary, build_sequential, default_jobs
from pipeline.app.console import (
    EXIT_FAILED,
    EXIT_OK,
    echo,
    print_diagnostics,
    require_existing,
    shown,
)
from pipeline.build import Builder, find_issue_files, find_project_root
from pipeline.i18n import _
from pipeline.source.series import misnamed_issue_files


def build_command(
    paths: list[Path], output_dir: Path | None, strict: bool, jobs: int | None, ofd: bool = False
) -> int:
    """Build the issue files and folders given (default issues/); the exit status."""
    # No collection until the first issue is built (_build_all enables it then): the imports
    # and one issue leave no cyclic garbage worth the ~70 collections (~9 ms). Nor after the
    # last: the one collection of everything made since (~6 ms) would find nothing to free.
    collecting = gc.isenabled()
    gc.disable()
    try:
        targets = paths or [Path("issues")]
        require_existing(targets)
        issue_files = list(find_issue_files(targets))
        print_diagnostics(misnamed_issue_files(targets))
        if not issue_files:
            echo(_("no issue files found"), err=True)
            return EXIT_FAILED
        root = find_project_root(targets[0])
        return _build_all(root, output_dir, issue_files, strict, jobs, ofd)
    finally:
        if collecting:  # a plain `bulletin build` (entry.build) disabled it before, for good
            gc.enable()


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
    started = time.perf_counter()
    jobs = min(jobs or default_jobs(), len(issues))
    progress = _progress_bar(len(issues))
    if jobs > 1:
        from pipeline.app.batch_workers import build_parallel  # not loaded for one issue

        gc.enable()  # workers started from here collect as usual

        def done(_outcome: IssueBuild) -> None:
            if progress is not None:
                progress.update()

        outcomes = build_parallel(root, output_dir, issues, strict, jobs, on_done=done, ofd=ofd)
    else:
        outcomes = build_sequential(Builder(root, output_dir, ofd=ofd), issues, strict)
    summary = Summary()
    for number, outcome in enumerate(outcomes, 1):
        if number < len(issues):
            gc.enable()  # a batch collects from its second issue on (`bulletin build` disabled it)
        summary.add(outcome)
        if progress is not None and jobs == 1:
            progress.update()
        with _above(progress):
            print_diagnostics(outcome.diagnostics)
            on_stderr, line = outcome_line(outcome)
            echo(line, err=on_stderr)
    if progress is not None:
        progress.close()
    summary.seconds = time.perf_counter() - started
    if len(issues) > 1:
        echo(summary.line())
    return EXIT_FAILED if summary.failed else EXIT_OK


def outcome_line(outcome: IssueBuild, shown_as: Callable[[Path], str] = shown) -> tuple[bool, str]:
    """`built   issue → pdf (7 pages, 41 ms)` for stdout, or `failed  issue` for stderr (True),
    with paths as `shown_as` spells them (a build server: as the client's process would)."""
    if outcome.pdf is None:
        return True, _("failed  {issue}", issue=shown_as(outcome.source))
    return False, _(
        "built   {issue} → {pdf} ({pages} pages, {ms} ms)",
        issue=shown_as(outcome.source),
        pdf=shown_as(outcome.pdf),
        pages=outcome.pages,
        ms=f"{outcome.seconds * 1000:.0f}",
    )


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
