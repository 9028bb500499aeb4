"""Batch builds: many issues in parallel worker processes, each keeping its own warm Builder."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.diagnostics import BulletinError, Diagnostic
from pipeline.i18n import N_, _

if TYPE_CHECKING:
    from concurrent.futures import Future

    from pipeline.build import Builder


@dataclass(frozen=True)
class IssueBuild:
    """What building one issue gave, as plain data that crosses process boundaries."""

    source: Path
    pdf: Path | None
    pages: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the PDF was written."""
        return self.pdf is not None


@dataclass
class Summary:
    """Totals of a batch: issues, pages, failures and wall-clock seconds."""

    issues: int = 0
    pages: int = 0
    failed: int = 0
    seconds: float = 0.0

    def add(self, outcome: IssueBuild) -> None:
        """Count one issue's outcome."""
        self.issues += 1
        self.pages += outcome.pages
        self.failed += not outcome.ok

    def line(self) -> str:
        """`100 issues, 742 pages, 0 failed, 3.9 s`"""
        words = (
            N_("{issues} issue, {pages} pages, {failed} failed, {seconds} s")
            if self.issues == 1
            else N_("{issues} issues, {pages} pages, {failed} failed, {seconds} s")
        )
        return _(
            words,
            issues=self.issues,
            pages=self.pages,
            failed=self.failed,
            seconds=f"{self.seconds:.1f}",
        )


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def build_one(builder: Builder, issue: Path, strict: bool) -> IssueBuild:
    """Build one issue; a failure is returned with its diagnostics, never raised."""
    started = time.perf_counter()
    try:
        result = builder.build(issue, strict=strict)
    except BulletinError as exc:
        return IssueBuild(issue, None, 0, list(exc.diagnostics), time.perf_counter() - started)
    except OSError as exc:  # a file-system fault the build did not name more precisely
        where = Path(exc.filename) if isinstance(exc.filename, str) else issue
        problem = Diagnostic(
            "error", _("cannot build: {reason}", reason=exc.strerror or exc), where
        )
        return IssueBuild(issue, None, 0, [problem], time.perf_counter() - started)
    return IssueBuild(issue, result.pdf, result.pages, list(result.warnings), result.seconds)


def build_sequential(
    builder: Builder, issues: Sequence[Path], strict: bool
) -> Iterator[IssueBuild]:
    """Build issues one after the other in this process, yielding each outcome in order."""
    for issue in issues:
        yield build_one(builder, issue, strict)


_worker: Builder | None = None


def _start_worker(project_root: Path, output_root: Path | None, ofd: bool) -> None:
    """Process-pool initializer: one Builder per worker, so fonts are loaded once per worker."""
    from pipeline.build import Builder

    global _worker
    _worker = Builder(project_root, output_root, ofd=ofd)


def _build_in_worker(issue: Path, strict: bool) -> IssueBuild:
    if _worker is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker started without a Builder")
    return build_one(_worker, issue, strict)


def build_parallel(
    project_root: Path,
    output_root: Path | None,
    issues: Sequence[Path],
    strict: bool,
    jobs: int,
    on_done: Callable[[IssueBuild], None] | None = None,
    ofd: bool = False,
) -> Iterator[IssueBuild]:
    """Build issues in `jobs` worker processes; yields outcomes in the order of `issues`.

    With `ofd`, each worker also writes the issue's OFD beside its PDF.

    `on_done` is called (in this process and thread) as each issue finishes, in whatever order
    they finish, for a progress display; the outcomes themselves come out in input order, so
    what a batch prints does not depend on timing.
    """
    import multiprocessing  # here: ~10 ms of imports that a single build does not need
    from concurrent.futures import ProcessPoolExecutor, as_completed

    methods = multiprocessing.get_all_start_methods()
    # fork: the workers inherit this process's imports (~0.2 s each with spawn).
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(
        max_workers=max(1, min(jobs, len(issues))),
        mp_context=context,
        initializer=_start_worker,
        initargs=(project_root, output_root, ofd),
    ) as pool:
        futures: list[Future[IssueBuild]] = [
            pool.submit(_build_in_worker, issue, strict) for issue in issues
        ]
        index_of = {future: index for index, future in enumerate(futures)}
        finished: dict[int, IssueBuild] = {}
        next_index = 0
        for future in as_completed(futures):
            outcome = future.result()
            if on_done is not None:
                on_done(outcome)
            finished[index_of[future]] = outcome
            while next_index in finished:
                yield finished.pop(next_index)
                next_index += 1
