"""Parallel batch builds: worker processes that load fonts and templates once and build many issues.

On Linux the workers are forked from this process after it has loaded what every build needs
(the template and fonts of the first issues, the series index), so they start warm and share it;
where there is no fork (Windows) each worker loads it once. A worker is handed chunks of issues
(the unusually large first, then shrinking chunks in input order), and sends back each issue's
small outcome as it is done; the PDF itself is written by the worker.
"""

from __future__ import annotations

import contextlib
import gc
import signal
import statistics
import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.app.batch import IssueBuild, build_one
from pipeline.app.console import shown
from pipeline.diagnostics import Diagnostic
from pipeline.i18n import _
from pipeline.source.series import shared_folders, shared_series_index

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import ForkContext, SpawnContext
    from multiprocessing.process import BaseProcess

    from pipeline.build import Builder


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
    setup = _Setup(project_root, output_root, ofd, strict, shared_folders(issues))
    with shared_series_index(setup.folders):
        context = _context()
        warm = _warm_builder(setup, issues) if context.get_start_method() == "fork" else None
        pool = _Pool(context, setup, warm, max(1, min(jobs, len(issues))))
        try:
            yield from pool.run(issues, on_done)
        finally:
            pool.close()


@dataclass(frozen=True)
class _Setup:
    """What a worker needs to make its Builder (sent to a spawned worker, so plain data)."""

    project_root: Path
    output_root: Path | None
    ofd: bool
    strict: bool
    folders: tuple[Path, ...]  # series folders with a shared index


def _context() -> ForkContext | SpawnContext:
    """fork where there is one: the workers inherit this process's imports, fonts and index."""
    import multiprocessing  # here: ~10 ms of imports that a single build does not need

    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


PRELOAD_FOLDERS = 4  # the first issues of this many folders say which template and fonts to load


def _warm_builder(setup: _Setup, issues: Sequence[Path]) -> Builder:
    """A Builder with the templates and fonts of the batch's first folders loaded, to fork from."""
    from pipeline.build import Builder
    from pipeline.source.load import load_issue

    builder = Builder(setup.project_root, setup.output_root, ofd=setup.ofd)
    firsts = list(dict.fromkeys(issue.parent for issue in issues))[:PRELOAD_FOLDERS]
    for folder in firsts:
        first = next(issue for issue in issues if issue.parent == folder)
        with contextlib.suppress(Exception):  # only a head start: its own build reports a fault
            template = builder.templates.get(load_issue(first, builder.sources).issue.template)
            for chain in builder.fonts.chains(template.style.fonts).values():
                chain.primary  # noqa: B018 - loads the face
    return builder


CHUNK_SHARE = 4  # a chunk is 1/(CHUNK_SHARE × workers) of the issues not yet handed out
OUTSTANDING = 2  # chunks a worker holds at once, so it never waits for this process
LARGE = 2.0  # an issue file this many times the median size is handed out first, on its own
# A worker's collector looks at its young objects after this many more were made than freed,
# not after 700: a bench issue's build leaves no cycles behind (gc.collect() after each finds
# none), and at 700 the collector took ~1.3 ms CPU an issue going over the lines and runs
# being made (~0.3 ms at this threshold; in-process over 50 bench issues).
WORKER_GC_THRESHOLD = 20_000


def _chunks(issues: Sequence[Path], workers: int) -> deque[list[int]]:
    """The issues (as indices) in the order handed out: the large ones first, one a chunk, then
    the rest in input order, in chunks that shrink to one issue at the end of the batch."""
    sizes = [_size(issue) for issue in issues]
    limit = LARGE * statistics.median(sizes)
    large = sorted((i for i, size in enumerate(sizes) if size > limit), key=lambda i: -sizes[i])
    rest = [i for i, size in enumerate(sizes) if size <= limit]
    chunks = deque([i] for i in large)
    while rest:
        size = max(1, len(rest) // (CHUNK_SHARE * workers))
        chunks.append(rest[:size])
        rest = rest[size:]
    return chunks


def _size(issue: Path) -> int:
    try:
        return issue.stat().st_size
    except OSError:
        return 0  # it fails at once when built


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection
    chunks: deque[list[int]] = field(default_factory=deque)  # handed out, not yet done

    def outstanding(self) -> list[int]:
        return [index for chunk in self.chunks for index in chunk]


class _Pool:
    """Worker processes fed chunks of issue indices over pipes; collects their outcomes."""

    def __init__(
        self, context: ForkContext | SpawnContext, setup: _Setup, warm: Builder | None, workers: int
    ) -> None:
        self.context, self.setup, self.warm = context, setup, warm
        self.size = workers
        self.workers: list[_Worker] = []
        self.pending: deque[list[int]] = deque()
        self.issues: Sequence[Path] = ()

    def run(
        self, issues: Sequence[Path], on_done: Callable[[IssueBuild], None] | None
    ) -> Iterator[IssueBuild]:
        """Build every issue; yield the outcomes in input order."""
        from multiprocessing.connection import wait

        self.issues = issues
        self.pending = _chunks(issues, self.size)
        for _n in range(self.size):
            self._start()
        finished: dict[int, IssueBuild] = {}
        next_index = 0
        while next_index < len(issues):
            handles: list[Connection | int] = [w.connection for w in self.workers]
            handles += [w.process.sentinel for w in self.workers]
            by_handle: dict[object, _Worker] = dict(zip(handles, self.workers * 2, strict=True))
            for handle in wait(handles):
                worker = by_handle[handle]
                if worker not in self.workers:
                    continue  # its connection and its sentinel were both ready
                for index, outcome in self._receive(worker):
                    if on_done is not None:
                        on_done(outcome)
                    finished[index] = outcome
            while next_index in finished:
                yield finished.pop(next_index)
                next_index += 1

    def _start(self) -> None:
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(
            target=_serve, args=(child_end, self.setup, self.warm), daemon=True
        )
        frozen = self.warm is not None
        if frozen:
            gc.freeze()  # the child's collector leaves the loaded fonts alone: pages stay shared
        try:
            process.start()
        finally:
            if frozen:
                gc.unfreeze()
        child_end.close()
        worker = _Worker(process, parent_end)
        self.workers.append(worker)
        for _n in range(OUTSTANDING):
            self._hand_out(worker)

    def _hand_out(self, worker: _Worker) -> None:
        if self.pending:
            chunk = self.pending.popleft()
            worker.chunks.append(chunk)
            worker.connection.send([(index, self.issues[index]) for index in chunk])

    def _receive(self, worker: _Worker) -> Iterator[tuple[int, IssueBuild]]:
        """The outcomes a worker sent; if it is gone, the issue it was building fails."""
        try:
            while worker.connection.poll():
                index, outcome = worker.connection.recv()
                if isinstance(outcome, BaseException):
                    raise outcome  # a bug in a build: as it would be raised in one process
                chunk = worker.chunks[0]
                chunk.remove(index)
                if not chunk:
                    worker.chunks.popleft()
                    self._hand_out(worker)
                yield index, outcome
            if worker.process.is_alive():
                return
        except (EOFError, OSError):
            pass
        yield from self._lost(worker)

    def _lost(self, worker: _Worker) -> Iterator[tuple[int, IssueBuild]]:
        """A worker died (killed, out of memory, a crash in a library): the issue it was on
        fails with a message; the rest of its issues go to a new worker."""
        _reap(worker.process)  # it may have closed its end and live on: it is of no more use
        self.workers.remove(worker)
        worker.connection.close()
        left = worker.outstanding()
        if left:
            issue = self.issues[left[0]]
            reason = _(
                "the build process stopped unexpectedly (exit status {status})",
                status=worker.process.exitcode,
            )
            hint = _(
                "build it alone to see whether it stops again: bulletin build {issue} -j 1",
                issue=shown(issue),
            )
            problem = Diagnostic(
                "error", _("cannot build: {reason}", reason=reason), issue, hint=hint
            )
            yield left[0], IssueBuild(issue, None, 0, [problem])
            if left[1:]:
                self.pending.appendleft(left[1:])
        if self.pending:
            self._start()

    def close(self) -> None:
        """Stop the workers: idle ones when told to, busy ones (Ctrl-C) at once, cleaning up."""
        for worker in self.workers:
            if worker.chunks:
                _interrupt(worker.process)
            else:
                with contextlib.suppress(OSError):
                    worker.connection.send(None)
        for worker in self.workers:
            _reap(worker.process)
            worker.connection.close()
        self.workers.clear()


STOP_JOIN_S = 10.0  # a stopped worker removes its temporary file; then it is killed


def _reap(process: BaseProcess) -> None:
    """Wait for a worker to end, killing it after STOP_JOIN_S."""
    process.join(STOP_JOIN_S)
    if process.is_alive():
        process.kill()
        process.join()


def _interrupt(process: BaseProcess) -> None:
    """Ask a worker to stop now: SIGTERM, which it turns into `_Stopped` (files cleaned up)."""
    with contextlib.suppress(OSError):
        process.terminate()


class _Stopped(BaseException):
    """Raised in a worker by SIGTERM: the build in progress unwinds and removes its temporary."""


def _stop(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the unwinding is not interrupted
    raise _Stopped


def _serve(connection: Connection, setup: _Setup, builder: Builder | None) -> None:
    """A worker: build each chunk of issues it is sent, sending back each outcome; None ends it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the batch stops the workers itself
    gc.set_threshold(WORKER_GC_THRESHOLD)  # the older generations' thresholds stay
    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, _stop)
    try:
        if builder is None:  # spawned: load what a build needs once, here
            from pipeline.build import Builder

            builder = Builder(setup.project_root, setup.output_root, ofd=setup.ofd)
        with shared_series_index(setup.folders):  # made already, if this worker was forked
            while (chunk := connection.recv()) is not None:
                for index, issue in chunk:
                    connection.send((index, _outcome(builder, issue, setup.strict)))
    except (_Stopped, EOFError, BrokenPipeError):
        pass  # stopped, or the batch is gone: leave quietly
    finally:
        connection.close()


def _outcome(builder: Builder, issue: Path, strict: bool) -> IssueBuild | BaseException:
    """The outcome of one build, or the exception of a bug in it, in a form that can be sent."""
    try:
        return build_one(builder, issue, strict)
    except Exception as exc:
        import pickle

        try:
            pickle.dumps(exc)
        except Exception:
            return RuntimeError("".join(traceback.format_exception(exc)))
        return exc
