"""The watcher's event source: file events from watchdog, filtered, debounced into one batch."""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from watchdog.events import (
    EVENT_TYPE_ATTRIB,
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CLOSED_NO_WRITE,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    EVENT_TYPE_OPENED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from pipeline.app.watch_plan import Change

QUIET_S = 0.050  # research: any quiet period of 50 ms or more gave one build per save
# When every changed file's last event says it is complete (closed after writing, or renamed into
# place) and the file is still as it was then, the build starts at once; any other event brings
# back the full quiet period. An editor's last step after that event, setting the attributes,
# changes no content: it leaves the file complete, and after the build starts it builds nothing
# again (`Watcher`, ECHO_S).
SETTLE_S = 0.0
MAX_WAIT_S = 0.500  # a constant stream of events still builds this long after the first
JOIN_S = 10.0
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


# What an event says of its file: it may be half written; it is complete (written and closed, or
# renamed into place); or only its attributes changed (inotify's IN_ATTRIB), not its content.
Completion = Literal["partial", "complete", "same"]


class _Handler(FileSystemEventHandler):
    """Turns watchdog events into changed paths; does no other work on the observer thread."""

    def __init__(self, accept: Callable[[Path, Completion], None]) -> None:
        self._accept = accept

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Pass on the paths of an event that may change a file (both ends of a move), each with
        what the event says of it (`Completion`)."""
        kind = event.event_type
        if kind in NOISE_EVENTS or (event.is_directory and kind == EVENT_TYPE_MODIFIED):
            return
        if event.src_path:
            said: Completion = "partial"
            if kind == EVENT_TYPE_CLOSED:
                said = "complete"
            elif kind == EVENT_TYPE_ATTRIB and not event.is_directory:
                said = "same"
            self._accept(Path(os.fsdecode(event.src_path)), said)
        if event.dest_path:
            self._accept(
                Path(os.fsdecode(event.dest_path)),
                "complete" if kind == EVENT_TYPE_MOVED else "partial",
            )


class EventSource:
    """Watches folders; `next_batch()` waits for a change and returns it debounced as Changes."""

    def __init__(
        self,
        root: Path,
        output_root: Path,
        *,
        quiet_s: float = QUIET_S,
        max_wait_s: float = MAX_WAIT_S,
        settle_s: float = SETTLE_S,
    ) -> None:
        self.root, self.output_root = root, output_root
        self.quiet_s, self.max_wait_s = quiet_s, max_wait_s
        self.settle_s = min(settle_s, quiet_s)
        self.watched: dict[Path, None] = {}  # recursively watched folders, in the order shown
        # (when, path, what the event said, the file's identity then if it was not "partial")
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._observer: BaseObserver | None = None
        self._handler = _Handler(self._accept)

    def ignored(self, path: Path) -> bool:
        """Whether a path is noise for this project (output, hidden, editors' temporary files)."""
        return is_ignored(path, self.output_root, self.root)

    def start(self, folders: Iterable[Path], files: Iterable[Path]) -> None:
        """Watch folders (recursively) and single files (their folder, not below it)."""
        self._observer = Observer()
        for folder in _outermost(f for f in folders if f.is_dir()):
            self.watch(folder)
        for file in files:
            if not any(file.is_relative_to(w) for w in self.watched):
                self._observer.schedule(self._handler, str(file.parent), recursive=False)
        self._observer.start()

    def watch(self, folder: Path) -> None:
        """Also watch a folder not below a watched one (e.g. the package's own templates)."""
        if self._observer is None or any(folder.is_relative_to(w) for w in self.watched):
            return
        if folder.is_dir():
            self._observer.schedule(self._handler, str(folder), recursive=True)
            self.watched[folder] = None

    def stop(self) -> None:
        """Stop watching and wake a `next_batch()` that is waiting (it returns no change)."""
        self._queue.put(None)
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(JOIN_S)

    def _accept(self, path: Path, said: Completion = "partial") -> None:
        if not self.ignored(path):
            known = identity(path) if said != "partial" else None
            self._queue.put((time.monotonic(), path, said, known))

    def next_batch(self) -> list[Change]:
        """Wait for a change, then until none came for the quiet period (capped); [] on stop.

        The quiet period is `settle_s` (none) when every changed file's last event said the file
        is complete and it has not changed since, else `quiet_s`: a save is built once, and at
        once when the editor's events say that it is done. Changes that came while the last
        build ran (saves in quick succession) always wait `quiet_s`, so that a burst of saves is
        built once more, not once each.
        """
        try:  # a change that came during the last build: saves in quick succession
            first, burst = self._queue.get_nowait(), True
        except queue.Empty:
            first, burst = self._queue.get(), False
        if first is None:
            return []
        started, last = time.monotonic(), first[0]
        complete: dict[Path, FileIdentity | None] = {}  # each path: its identity if complete
        seen: dict[Path, float] = {}  # each path: when its last event came
        written: set[Path] = set()  # the paths with an event other than of their attributes
        _note(first, complete, seen, written)
        while time.monotonic() < started + self.max_wait_s:
            try:  # what is queued already counts, even if it came in during the last build
                item = self._queue.get_nowait()
            except queue.Empty:
                done = not burst and all(v is not None for v in complete.values())
                quiet = self.settle_s if done else self.quiet_s
                timeout = min(last + quiet, started + self.max_wait_s) - time.monotonic()
                try:
                    if timeout <= 0:
                        raise queue.Empty
                    item = self._queue.get(timeout=timeout)
                except queue.Empty:
                    if done and not _unchanged(complete):  # written again: its events will come
                        last = time.monotonic()
                        continue
                    break
            if item is None:
                return []
            last = max(last, item[0])
            _note(item, complete, seen, written)
        return self.changes(seen, written)

    def changes(self, seen: dict[Path, float], written: set[Path]) -> list[Change]:
        """What the changed paths are now: a folder that came stands for the files in it.

        `seen`: when each path's last event came (`Change.seen_s`); a file not in `written` had
        only its attributes changed.
        """
        found: list[Change] = []
        for path in sorted(seen):
            if path.is_dir():
                found += [
                    Change(child, seen_s=seen[path])
                    for child in sorted(path.rglob("*"))
                    if child.is_file() and not self.ignored(child)
                ]
            else:
                found.append(Change(path, path.exists(), seen[path], path not in written))
        return found


FileIdentity = tuple[int, int, int]  # inode, size, mtime in ns
_Item = tuple[float, Path, Completion, FileIdentity | None]


def _note(
    item: _Item,
    complete: dict[Path, FileIdentity | None],
    seen: dict[Path, float],
    written: set[Path],
) -> None:
    """Note an event: a file is complete from a completing event until a partial one; a change
    of attributes leaves it as it was (and a file first seen so is complete: nothing is
    half written)."""
    when, path, said, known = item
    seen[path] = when
    if said == "same":
        complete[path] = known if complete.get(path, known) is not None else None
    else:
        complete[path] = known if said == "complete" else None
        written.add(path)


def identity(path: Path) -> FileIdentity | None:
    """What changes whenever a file is written or replaced; None if there is no file."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _unchanged(complete: dict[Path, FileIdentity | None]) -> bool:
    """Whether each file is as its completing event left it; a changed one is complete no more."""
    changed = [path for path, known in complete.items() if identity(path) != known]
    for path in changed:
        complete[path] = None
    return not changed


def _outermost(folders: Iterable[Path]) -> list[Path]:
    """The folders not below another of them, shallowest first."""
    kept: list[Path] = []
    for folder in sorted(folders, key=lambda f: len(f.parts)):
        if not any(folder.is_relative_to(k) for k in kept):
            kept.append(folder)
    return kept
