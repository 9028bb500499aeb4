"""Watching: rebuild on every save what depends on the changed file; the last good PDF stays."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from watchdog.events import (
    EVENT_TYPE_CLOSED_NO_WRITE,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_OPENED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from pipeline.build import Builder, BuildResult, find_issue_files, output_path
from pipeline.diagnostics import BulletinError, Diagnostic
from pipeline.fonts.find import FONT_SUFFIXES
from pipeline.source.series import SERIES_FILE, is_issue_file

QUIET_S = 0.050  # research: any quiet period of 50 ms or more gave one build per save
MAX_WAIT_S = 0.500  # a constant stream of events still builds this long after the first
STOP_JOIN_S = 10.0  # a build in progress is let finish, so no partial file is left behind
TEMP_SUFFIXES = (
    ".swp",
    ".swx",
    ".swo",
    ".tmp",
    ".part",
    ".crdownload",
    ".kate-swp",
    "~",
    "___jb_tmp___",
    "___jb_old___",
)
TEMP_NAMES = frozenset({"4913", "__pycache__"})  # 4913: vim's probe for a writable folder
# Opening or reading a file changes nothing; a folder's "modified" only echoes its entries.
NOISE_EVENTS = frozenset({EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE})


def is_ignored(path: Path, output_root: Path | None = None, root: Path | None = None) -> bool:
    """Whether a changed path is noise: output, hidden, or an editor's temp, swap or backup file."""
    if output_root is not None and path.is_relative_to(output_root):
        return True
    parts = path.relative_to(root).parts if root and path.is_relative_to(root) else (path.name,)
    if any(part.startswith(".") or part == "output" for part in parts):
        return True
    name = path.name
    return (
        name in TEMP_NAMES
        or name.endswith(TEMP_SUFFIXES)
        or (name.startswith("#") and name.endswith("#"))
    )


@dataclass(frozen=True)
class Dependencies:
    """What an issue's PDF was made from: files, and folders (templates) anything under counts."""

    files: frozenset[Path]
    folders: frozenset[Path]

    def touched_by(self, path: Path) -> bool:
        """Whether a change at `path` (a file, or a folder that came or went) reaches this issue."""
        return any(f == path or f.is_relative_to(path) for f in self.files) or any(
            path.is_relative_to(d) or d.is_relative_to(path) for d in self.folders
        )


@dataclass(frozen=True)
class Outcome:
    """What one rebuild did: the issue, the file whose change caused it, its result or errors."""

    issue: Path
    trigger: Path
    result: BuildResult | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    seconds: float = 0.0
    deleted: bool = False

    @property
    def status(self) -> str:
        """One of: built, failed, deleted."""
        return "deleted" if self.deleted else "built" if self.result else "failed"


class _Handler(FileSystemEventHandler):
    """Turns watchdog events into changed paths; does no other work on the observer thread."""

    def __init__(self, accept: Callable[[Path], None]) -> None:
        self._accept = accept

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Pass on the paths of an event that may change a file (both ends of a move)."""
        if event.event_type in NOISE_EVENTS or (
            event.is_directory and event.event_type == EVENT_TYPE_MODIFIED
        ):
            return
        for raw in (event.src_path, event.dest_path):
            if raw:
                self._accept(Path(os.fsdecode(raw)))


class Watcher:
    """Builds every issue once, then on each save rebuilds what depends on the changed files."""

    def __init__(
        self,
        builder: Builder,
        targets: Sequence[Path],
        *,
        quiet_s: float = QUIET_S,
        max_wait_s: float = MAX_WAIT_S,
        echo: Callable[[str], None] = print,
        clock: Callable[[], datetime] = datetime.now,
        on_outcome: Callable[[Outcome], None] | None = None,
        relative_to: Path | None = None,
    ) -> None:
        self.builder = builder
        self.root = builder.project_root.resolve()
        self.output_root = builder.output_root.resolve()
        self.fonts_dir = self.root / "fonts"
        resolved = [t.resolve() for t in targets]
        self.target_dirs = [t for t in resolved if t.is_dir()]
        self.target_files = {t for t in resolved if not t.is_dir()}
        self.quiet_s, self.max_wait_s = quiet_s, max_wait_s
        self._echo, self._clock, self._on_outcome = echo, clock, on_outcome
        self._relative_to = (relative_to or Path.cwd()).resolve()
        self._deps: dict[Path, Dependencies] = {}
        self._failed: set[Path] = set()
        self._queue: queue.Queue[tuple[float, Path] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None
        self._watched: dict[Path, None] = {}  # in the order shown
        self._handler = _Handler(self._accept)

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start watching, then build everything once on the build thread."""
        self._observer = Observer()
        for folder in self._watch_folders():
            self._observer.schedule(self._handler, str(folder), recursive=True)
            self._watched[folder] = None
        for file in self.target_files:
            if not any(file.is_relative_to(w) for w in self._watched):
                self._observer.schedule(self._handler, str(file.parent), recursive=False)
        self._observer.start()
        self._thread = threading.Thread(target=self._loop, name="bulletin-watch")
        self._thread.start()

    def stop(self) -> None:
        """Stop watching; a build in progress finishes first, so no partial file is left."""
        self._stopping.set()
        self._queue.put(None)
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(STOP_JOIN_S)
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

    # -- what to rebuild ----------------------------------------------------------------------

    def plan(self, changed: Iterable[Path]) -> tuple[dict[Path, Path], dict[Path, Path]]:
        """Issues to build and issues deleted, each mapped to the changed path that caused it."""
        builds: dict[Path, Path] = {}
        gone: dict[Path, Path] = {}
        for path in sorted(set(changed)):
            self._plan_path(path, builds, gone)
        for issue in gone:
            builds.pop(issue, None)
        return builds, gone

    def _plan_path(self, path: Path, builds: dict[Path, Path], gone: dict[Path, Path]) -> None:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not self._ignored(child):
                    self._plan_path(child, builds, gone)
            return
        if not path.exists():
            for issue in self._deps:
                if issue.is_relative_to(path):
                    gone.setdefault(issue, path)
        if path.is_relative_to(self.fonts_dir):
            # Everything is rebuilt; FontLibrary itself reloads only the font files that changed.
            if path.suffix.lower() in FONT_SUFFIXES or not (path.exists() or path.suffix):
                for issue in self._deps:
                    builds.setdefault(issue, path)
            return
        if self._in_scope(path):
            if path.exists():
                builds.setdefault(path, path)
            # Issue numbers are checked across a series: a sibling's edit may fix a failed issue.
            for issue in self._failed:
                if issue.parent == path.parent:
                    builds.setdefault(issue, path)
        elif path.suffix == ".toml" and self._in_scope(path.with_name("issue.toml")):
            # series.toml, or another file a series shares (an address book): the whole series.
            for issue in self._deps:
                if issue.parent == path.parent:
                    builds.setdefault(issue, path)
        for issue, deps in self._deps.items():
            if deps.touched_by(path):
                builds.setdefault(issue, path)

    def _in_scope(self, path: Path) -> bool:
        return (
            is_issue_file(path)
            and not self._ignored(path)
            and (path in self.target_files or any(path.is_relative_to(d) for d in self.target_dirs))
        )

    def _ignored(self, path: Path) -> bool:
        return is_ignored(path, self.output_root, self.root)

    # -- the build loop -----------------------------------------------------------------------

    def _accept(self, path: Path) -> None:
        if not self._ignored(path):
            self._queue.put((time.monotonic(), path))

    def _loop(self) -> None:
        try:
            self._build_all()
        finally:
            self._ready.set()
        while not self._stopping.is_set():
            changed = self._collect()
            if changed and not self._stopping.is_set():
                self._rebuild(changed)

    def _collect(self) -> set[Path]:
        """Wait for a change, then until none came for the quiet period (capped); the paths."""
        first = self._queue.get()
        if first is None:
            return set()
        started, last = time.monotonic(), first[0]
        paths = {first[1]}
        while time.monotonic() < started + self.max_wait_s:
            try:  # what is queued already counts, even if it came in during the last build
                item = self._queue.get_nowait()
            except queue.Empty:
                timeout = min(last + self.quiet_s, started + self.max_wait_s) - time.monotonic()
                if timeout <= 0:
                    break
                try:
                    item = self._queue.get(timeout=timeout)
                except queue.Empty:
                    break
            if item is None:
                return set()
            last = max(last, item[0])
            paths.add(item[1])
        return paths

    def _build_all(self) -> None:
        found = (p.resolve() for p in find_issue_files(self.target_dirs))
        issues = [p for p in found if not self._ignored(p)]
        issues += sorted(p for p in self.target_files if p.exists())
        for issue in issues:
            if self._stopping.is_set():
                return
            self._build(issue, issue)
        if not issues:
            self._echo("no issue files yet; a new one is built when it is saved")
        shown = ", ".join(self._shown(f) + "/" for f in self._watched)
        self._echo(f"watching {shown} (Ctrl-C stops)")

    def _rebuild(self, changed: set[Path]) -> None:
        try:
            builds, gone = self.plan(changed)
            for issue, trigger in gone.items():
                self._report_deleted(issue, trigger)
            for issue, trigger in builds.items():
                if self._stopping.is_set():
                    return
                if issue.exists():
                    self._build(issue, trigger)
                elif issue in self._deps:
                    self._report_deleted(issue, trigger)
        except Exception as exc:  # the watcher must outlive any one bad rebuild
            self._echo(f"{self._now()}  internal error: {type(exc).__name__}: {exc}")

    def _build(self, issue: Path, trigger: Path) -> None:
        started = time.perf_counter()
        try:
            result = self.builder.build(issue)
            outcome = Outcome(issue, trigger, result, tuple(result.warnings), result.seconds)
            self._record(issue, result.dependencies)
        except BulletinError as exc:
            outcome = Outcome(
                issue, trigger, None, tuple(exc.diagnostics), time.perf_counter() - started
            )
            self._record(issue, None)
        except Exception as exc:  # a bug in one build must not stop the watcher
            diagnostic = Diagnostic(
                "error",
                f"internal error: {type(exc).__name__}: {exc}",
                issue,
                hint="the last good PDF is kept; please report this",
            )
            outcome = Outcome(issue, trigger, None, (diagnostic,), time.perf_counter() - started)
            self._record(issue, None)
        self._report(outcome)

    def _record(self, issue: Path, dependencies: Iterable[Path] | None) -> None:
        """Remember what an issue was built from; after a failure (None), keep what was known."""
        files = {issue, issue.parent / SERIES_FILE}
        folders: set[Path] = set()
        known = self._deps.get(issue)
        if dependencies is not None:
            self._failed.discard(issue)
            for dependency in (d.resolve() for d in dependencies):
                files.add(dependency)
                if dependency.parent != issue.parent:
                    folders.add(dependency.parent)  # a template folder: a new file there counts
        elif known is not None:
            self._failed.add(issue)
            files |= known.files
            folders |= known.folders
        else:  # never built: its template is unknown, so any template change may fix it
            self._failed.add(issue)
            folders = {r.resolve() for r in self.builder.templates.roots if r.is_dir()}
        self._deps[issue] = Dependencies(frozenset(files), frozenset(folders))
        for folder in folders:
            self._watch(folder)

    def _watch_folders(self) -> list[Path]:
        candidates = [*self.target_dirs, self.root / "templates", self.fonts_dir]
        folders: list[Path] = []
        for folder in sorted((c for c in candidates if c.is_dir()), key=lambda c: len(c.parts)):
            if not any(folder.is_relative_to(f) for f in folders):
                folders.append(folder)
        return folders

    def _watch(self, folder: Path) -> None:
        """Watch a template folder found outside the watched ones (e.g. the package's own)."""
        if self._observer is None or any(folder.is_relative_to(w) for w in self._watched):
            return
        self._observer.schedule(self._handler, str(folder), recursive=True)
        self._watched[folder] = None

    # -- status lines -------------------------------------------------------------------------

    def _report(self, outcome: Outcome) -> None:
        what = self._shown(outcome.issue)
        if outcome.trigger != outcome.issue:
            what = f"{self._shown(outcome.trigger)} → {what}"
        ms = f"{outcome.seconds * 1000:.0f} ms"
        warnings = sum(not d.is_error for d in outcome.diagnostics)
        if outcome.result is not None:
            line = f"built  {outcome.result.pages} pages  {ms}"
            if warnings:
                line += f"  ({_count(warnings, 'warning')})"
        else:
            errors = len(outcome.diagnostics) - warnings
            line = f"failed ({_count(errors, 'error')})  {ms}"
            if output_path(outcome.issue, self.output_root).exists():
                line += "  (the last good PDF is kept)"
        self._echo(f"{self._now()}  {what}  {line}")
        for diagnostic in outcome.diagnostics:
            self._echo(diagnostic.format(relative_to=self._relative_to))
        if self._on_outcome is not None:
            self._on_outcome(outcome)

    def _report_deleted(self, issue: Path, trigger: Path) -> None:
        self._deps.pop(issue, None)
        self._failed.discard(issue)
        pdf = output_path(issue, self.output_root)
        kept = f"its PDF is kept: {self._shown(pdf)}" if pdf.exists() else "it had no PDF"
        self._echo(f"{self._now()}  {self._shown(issue)}  deleted; {kept}")
        if self._on_outcome is not None:
            self._on_outcome(Outcome(issue, trigger, deleted=True))

    def _now(self) -> str:
        return self._clock().strftime("%H:%M:%S")

    def _shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(self._relative_to))
        except ValueError:
            return str(path)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
