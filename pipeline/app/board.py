"""What `bulletin serve` knows of every issue, and the fan-out of each rebuild to the browsers."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pipeline.app.watch import Rebuild, WatchListener
from pipeline.build import output_path
from pipeline.diagnostics import Diagnostic

State = Literal["built", "failed", "building"]
Event = tuple[Literal["built", "failed"], "IssueView"]


@dataclass(frozen=True)
class IssueView:
    """One issue as the web pages and the API show it; its PDF is the last good one."""

    source: Path
    series: str
    name: str
    path: str
    state: State
    pdf_file: Path
    pages: int = 0
    built_at: str | None = None
    problems: tuple[Diagnostic, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """How the URLs name it: (series, name)."""
        return self.series, self.name

    @property
    def has_pdf(self) -> bool:
        """Whether there is a last good PDF to show."""
        return self.pdf_file.is_file()

    @property
    def pdf_url(self) -> str:
        """The URL of its PDF."""
        return f"/pdf/{quote(self.series)}/{quote(self.name)}.pdf"

    @property
    def page_url(self) -> str:
        """The URL of its HTML page."""
        return f"/issues/{quote(self.series)}/{quote(self.name)}"

    def as_json(self, root: Path) -> dict[str, object]:
        """The shape of one item of `/api/issues` and of an event's data."""
        return {
            "series": self.series,
            "name": self.name,
            "path": self.path,
            "state": self.state,
            "pages": self.pages,
            "pdf": self.pdf_url if self.has_pdf else None,
            "built_at": self.built_at,
            "problems": [_problem(d, root) for d in self.problems],
        }


def _problem(diagnostic: Diagnostic, root: Path) -> dict[str, object]:
    file = None
    if diagnostic.file is not None:
        resolved = diagnostic.file.resolve()
        file = str(resolved.relative_to(root) if resolved.is_relative_to(root) else resolved)
    return {
        "file": file,
        "line": diagnostic.line,
        "col": diagnostic.col,
        "severity": diagnostic.severity,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
        "key": diagnostic.key,
    }


def now_iso() -> str:
    """The time now as ISO 8601 with the local UTC offset."""
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


class Board(WatchListener):
    """Every issue's view, updated from the watcher's thread, read by the web server's loop."""

    def __init__(
        self, project_root: Path, output_root: Path, count_pages: Callable[[Path], int]
    ) -> None:
        self.root = project_root.resolve()
        self.output_root = output_root.resolve()
        self.issues_root = self.root / "issues"
        self._count_pages = count_pages
        self._views: dict[tuple[str, str], IssueView] = {}
        self._lock = threading.Lock()
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event | None]]] = []

    # -- reading ------------------------------------------------------------------------------

    def views(self) -> list[IssueView]:
        """Every known issue, by series, then name."""
        with self._lock:
            return sorted(self._views.values(), key=lambda v: v.key)

    def find(self, series: str, name: str) -> IssueView | None:
        """The issue the URL names, if it is one the board knows; nothing else is ever served."""
        with self._lock:
            return self._views.get((series, name))

    # -- updates from the watcher -------------------------------------------------------------

    def discover(self, issues: Iterable[Path]) -> None:
        """Show these issue files as building, with the PDF a previous run left, if any."""
        for issue in issues:
            self.building(issue, issue)

    def building(self, issue: Path, trigger: Path) -> None:
        """An issue's build begins: it shows as building; its last good PDF stays."""
        view = self._current(issue.resolve())
        with self._lock:
            self._views[view.key] = replace(view, state="building")

    def rebuilt(self, rebuild: Rebuild) -> None:
        """Record a finished rebuild and send it to every browser; forget a deleted issue."""
        view = self._current(rebuild.issue.resolve())
        if rebuild.status == "deleted":
            with self._lock:
                self._views.pop(view.key, None)
            return
        if rebuild.result is not None:
            view = replace(
                view,
                state="built",
                pages=rebuild.result.pages,
                built_at=now_iso(),
                problems=rebuild.problems,
            )
        else:
            view = replace(view, state="failed", problems=rebuild.problems)
        with self._lock:
            self._views[view.key] = view
        self._publish(("built" if view.state == "built" else "failed", view))

    def _current(self, issue: Path) -> IssueView:
        """The view known for an issue, or a new one from the PDF a previous run left."""
        series, name = self._names(issue)
        with self._lock:
            known = self._views.get((series, name))
        if known is not None:
            return known
        pdf = output_path(issue, self.output_root)
        shown = issue.relative_to(self.root) if issue.is_relative_to(self.root) else issue
        view = IssueView(issue, series, name, str(shown), "building", pdf)
        if pdf.is_file():
            built = datetime.fromtimestamp(pdf.stat().st_mtime, UTC).astimezone()
            view = replace(
                view, pages=self._count_pages(pdf), built_at=built.isoformat(timespec="seconds")
            )
        return view

    def _names(self, issue: Path) -> tuple[str, str]:
        """(series, name): the series is the folder's path below issues/, the name the stem."""
        folder = issue.parent
        if folder.is_relative_to(self.issues_root) and folder != self.issues_root:
            return folder.relative_to(self.issues_root).as_posix(), issue.stem
        return folder.name, issue.stem

    # -- the browsers' event streams ----------------------------------------------------------

    def subscribe(self) -> asyncio.Queue[Event | None]:
        """A queue on the running loop that receives every finished rebuild from now on.

        None in the queue means the server is stopping: the stream ends.
        """
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        with self._lock:
            self._subscribers.append((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        """Stop sending to a queue (its browser went away)."""
        with self._lock:
            self._subscribers = [s for s in self._subscribers if s[1] is not queue]

    def close_streams(self) -> None:
        """End every event stream (the server is stopping)."""
        self._publish(None)

    def _publish(self, event: Event | None) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, queue in subscribers:
            with contextlib.suppress(RuntimeError):  # its loop has closed: the server stopped
                loop.call_soon_threadsafe(queue.put_nowait, event)
