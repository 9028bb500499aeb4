"""Watching: rebuild on every save what depends on the changed file; the last good PDF stays.

Three parts: `watch_events` (file events, filtered and debounced), `watch_plan` (pure: changed
files → issues to rebuild, from the dependencies each build reports), and this loop, which builds
and tells its listeners (`WatchListener`: the status lines of `watch_status`, `bulletin serve`).
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

from pipeline.app.watch_events import MAX_WAIT_S, QUIET_S, EventSource
from pipeline.app.watch_plan import Change, Planner
from pipeline.build import Builder, BuildResult, Dependency, find_issue_files, output_path
from pipeline.diagnostics import BulletinError, Diagnostic
from pipeline.i18n import _
from pipeline.source.series import shared_folders, shared_series_index

STOP_JOIN_S = 10.0  # a build in progress is let finish, so no partial file is left behind
# A change of a file's attributes only (no write), whose events came while the last rebuild ran
# or this soon after it, is an echo of the save that rebuild was for (vim sets the attributes
# after closing the file): nothing is built again for it. Later, it is built (a chmod that
# makes a file readable again retries its issue).
ECHO_S = QUIET_S
RebuildStatus = Literal["built", "failed", "deleted"]


@dataclass(frozen=True)
class Rebuild:
    """What the watcher did for one issue: built it, failed to, or saw its file deleted.

    `trigger` is the changed file that caused it (the issue itself on the first build); `pdf` is
    the PDF in place now: the new one, the last good one a failure kept, or None.
    """

    issue: Path
    trigger: Path
    status: RebuildStatus
    result: BuildResult | None = None
    problems: tuple[Diagnostic, ...] = ()
    seconds: float = 0.0
    pdf: Path | None = None

    @property
    def pages(self) -> int:
        """Pages of the PDF built (0 when nothing was built)."""
        return self.result.pages if self.result else 0


class WatchListener:
    """Hears what a Watcher does; subclasses override what they need (these do nothing).

    Every method is called on the watcher's build thread, one at a time, in order.
    """

    def building(self, issue: Path, trigger: Path) -> None:
        """A build of `issue` starts because `trigger` changed."""

    def rebuilt(self, rebuild: Rebuild) -> None:
        """A build finished (built or failed), or an issue file was deleted."""

    def watching(self, folders: Sequence[Path], issues: int) -> None:
        """The first build of all `issues` is done; these folders are watched from now on."""

    def internal_error(self, exc: Exception) -> None:
        """A bug outside any one build; the watcher goes on."""


class Watcher:
    """Builds every issue once, then on each save rebuilds what depends on the changed files."""

    def __init__(
        self,
        builder: Builder,
        targets: Sequence[Path],
        listeners: Sequence[WatchListener] = (),
        *,
        quiet_s: float = QUIET_S,
        max_wait_s: float = MAX_WAIT_S,
    ) -> None:
        self.builder = builder
        self.root = builder.project_root.resolve()
        self.output_root = builder.output_root.resolve()
        resolved = [t.resolve() for t in targets]
        self.target_dirs = [t for t in resolved if t.is_dir()]
        self.target_files = [t for t in resolved if not t.is_dir()]
        self.listeners = list(listeners)
        self.events = EventSource(
            self.root, self.output_root, quiet_s=quiet_s, max_wait_s=max_wait_s
        )
        self.planner = Planner(self.target_dirs, self.target_files, self._possible_dependencies)
        self._built_s = -math.inf  # when the last rebuild ended (time.monotonic())
        self.lock = threading.Lock()  # held while the Builder builds: the build server shares it
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start watching, then build everything once on the build thread."""
        folders = [*self.target_dirs, self.root / "templates", self.root / "fonts"]
        self.events.start(folders, self.target_files)
        self._thread = threading.Thread(target=self._loop, name="bulletin-watch")
        self._thread.start()

    def stop(self) -> None:
        """Stop watching; a build in progress finishes first, so no partial file is left."""
        self._stopping.set()
        self.events.stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(STOP_JOIN_S)

    def run(self) -> None:
        """Start, then block until stop() or Ctrl-C (KeyboardInterrupt), stopping cleanly."""
        self.start()
        try:
            while not self._stopping.wait(0.5):
                pass
        finally:
            self.stop()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until the first build of everything is done."""
        return self._ready.wait(timeout)

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the build loop -----------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            self._build_all()
        finally:
            self._ready.set()
        # What is loaded now (fonts, templates) stays: the collector need not scan it on every
        # rebuild (~1 ms of a 40 ms one).
        gc.collect()
        gc.freeze()
        while not self._stopping.is_set():
            changes = self.events.next_batch()
            if changes and not self._stopping.is_set():
                self.rebuild(changes)

    def _build_all(self) -> None:
        found = (p.resolve() for p in find_issue_files(self.target_dirs))
        issues = [p for p in found if not self.events.ignored(p)]
        issues += sorted(p for p in self.target_files if p.exists())
        with shared_series_index(shared_folders(issues)):  # each folder's mastheads read once
            for issue in issues:
                if self._stopping.is_set():
                    return
                self._build(issue, issue)
        for listener in self.listeners:
            listener.watching(list(self.events.watched), len(issues))

    def rebuild(self, changes: Sequence[Change]) -> None:
        """Rebuild what the changes reach and report deleted issues (on the calling thread).

        A change that only echoes the save the last rebuild was for is left out (ECHO_S).
        """
        changes = [change for change in changes if not self._echo(change)]
        if not changes:
            return
        try:
            plan = self.planner.plan(changes)
            for issue, trigger in plan.gone.items():
                self._deleted(issue, trigger)
            for issue, trigger in plan.builds.items():
                if self._stopping.is_set():
                    return
                if issue.exists():
                    self._build(issue, trigger)
                elif issue in self.planner.issues:
                    self._deleted(issue, trigger)
        except Exception as exc:  # the watcher must outlive any one bad rebuild
            for listener in self.listeners:
                listener.internal_error(exc)
        finally:
            self._built_s = time.monotonic()

    def _echo(self, change: Change) -> bool:
        """Whether a change only echoes the save the last rebuild was for (ECHO_S)."""
        return change.attributes_only and change.seen_s <= self._built_s + ECHO_S

    def _build(self, issue: Path, trigger: Path) -> None:
        for listener in self.listeners:
            listener.building(issue, trigger)
        started = time.perf_counter()
        pdf = output_path(issue, self.output_root)
        try:
            with self.lock:
                result = self.builder.build(issue)
        except BulletinError as exc:
            problems = tuple(exc.diagnostics)
        except Exception as exc:  # a bug in one build must not stop the watcher
            problems = (
                Diagnostic(
                    "error",
                    _("internal error: {error}", error=f"{type(exc).__name__}: {exc}"),
                    issue,
                    hint=_("the last good PDF is kept; please report this"),
                ),
            )
        else:
            self.planner.built(issue, _resolved(result.dependencies))
            self._watch_templates(issue)
            built = Rebuild(
                issue, trigger, "built", result, tuple(result.warnings), result.seconds, result.pdf
            )
            self._tell(built)
            return
        self.planner.failed(issue)
        self._watch_templates(issue)
        seconds = time.perf_counter() - started
        kept = pdf if pdf.exists() else None
        self._tell(Rebuild(issue, trigger, "failed", None, problems, seconds, kept))

    def _deleted(self, issue: Path, trigger: Path) -> None:
        self.planner.forget(issue)
        pdf = output_path(issue, self.output_root)
        self._tell(Rebuild(issue, trigger, "deleted", pdf=pdf if pdf.exists() else None))

    def _tell(self, rebuild: Rebuild) -> None:
        for listener in self.listeners:
            listener.rebuilt(rebuild)

    def _possible_dependencies(self, issue: Path) -> list[Dependency]:
        return _resolved(self.builder.possible_dependencies(issue))

    def _watch_templates(self, issue: Path) -> None:
        """Template folders an issue reads outside the watched ones (e.g. the package's own)."""
        for dependency in self.planner.dependencies(issue):
            if dependency.kind == "template":
                self.events.watch(dependency.path.resolve())


def _resolved(dependencies: Iterable[Dependency]) -> list[Dependency]:
    """Dependencies by their real paths, as the file events name them."""
    return [Dependency(d.path.resolve(), d.kind) for d in dependencies]
