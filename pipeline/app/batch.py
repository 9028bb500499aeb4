"""Batch builds: each issue's outcome as plain data, the summary, and the sequential build.

The parallel build is in `batch_workers`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.diagnostics import BulletinError, Diagnostic
from pipeline.i18n import N_, _
from pipeline.source.series import shared_folders, shared_series_index

if TYPE_CHECKING:
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
    with shared_series_index(shared_folders(issues)):
        for issue in issues:
            yield build_one(builder, issue, strict)
