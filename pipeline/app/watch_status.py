"""The watcher for people: `bulletin watch`, its status lines (one per rebuild, then problems)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import click

from pipeline.app.buildserver import BuildServer
from pipeline.app.console import EXIT_OK, require_existing
from pipeline.app.watch import Rebuild, Watcher, WatchListener
from pipeline.build import Builder, find_project_root
from pipeline.i18n import _


def watch_command(
    paths: list[Path], output_dir: Path | None, quiet_ms: int, ofd: bool = False
) -> int:
    """Build everything, then rebuild on every save until Ctrl-C or SIGTERM; the exit status."""
    targets = paths or [Path("issues")]
    require_existing(targets)
    status = StatusLines(echo=click.echo)
    builder = Builder(find_project_root(targets[0]), output_dir, ofd=ofd)
    watcher = Watcher(builder, targets, [status], quiet_s=quiet_ms / 1000)
    server = BuildServer(watcher, click.echo)
    watcher.listeners.append(server)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # a service manager's stop is a Ctrl-C too
    try:
        with contextlib.suppress(KeyboardInterrupt):
            watcher.run()
    finally:
        server.stop()
    click.echo(_("stopped"))
    return EXIT_OK


class StatusLines(WatchListener):
    """Prints `12:03:04  issues/…/2024-14.toml  built  7 pages  41 ms` and the like."""

    def __init__(
        self,
        echo: Callable[[str], None] = print,
        clock: Callable[[], datetime] = datetime.now,
        relative_to: Path | None = None,
    ) -> None:
        self._echo, self._clock = echo, clock
        self._relative_to = (relative_to or Path.cwd()).resolve()

    def rebuilt(self, rebuild: Rebuild) -> None:
        """One line for the rebuild, then each problem it found."""
        self._echo(f"{self._now()}  {rebuild_line(rebuild, self._shown)}")
        for diagnostic in rebuild.problems:
            self._echo(diagnostic.format(relative_to=self._relative_to))

    def watching(self, folders: Sequence[Path], issues: int) -> None:
        """`watching issues/, templates/ (Ctrl-C stops)` once the first builds are done."""
        if not issues:
            self._echo(_("no issue files yet; a new one is built when it is saved"))
        shown = ", ".join(self._shown(f) + "/" for f in folders)
        self._echo(_("watching {folders} (Ctrl-C stops)", folders=shown))

    def internal_error(self, exc: Exception) -> None:
        """A bug in the watcher itself, on one line."""
        error = f"{type(exc).__name__}: {exc}"
        self._echo(f"{self._now()}  " + _("internal error: {error}", error=error))

    def _now(self) -> str:
        return self._clock().strftime("%H:%M:%S")

    def _shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(self._relative_to))
        except ValueError:
            return str(path)


def rebuild_line(rebuild: Rebuild, shown: Callable[[Path], str] = str) -> str:
    """What happened to one issue, without the time: `… → issue  built  7 pages  41 ms`."""
    what = shown(rebuild.issue)
    if rebuild.status == "deleted":
        if rebuild.pdf:
            return f"{what}  " + _("deleted; its PDF is kept: {pdf}", pdf=shown(rebuild.pdf))
        return f"{what}  " + _("deleted; it had no PDF")
    if rebuild.trigger != rebuild.issue:
        what = f"{shown(rebuild.trigger)} → {what}"
    ms = _("{ms} ms", ms=f"{rebuild.seconds * 1000:.0f}")
    warnings = sum(not d.is_error for d in rebuild.problems)
    if rebuild.status == "built":
        line = _("built  {pages} pages  {ms}", pages=rebuild.pages, ms=ms)
        if warnings:
            counted = _("1 warning") if warnings == 1 else _("{n} warnings", n=warnings)
            line += f"  ({counted})"
    else:
        errors = len(rebuild.problems) - warnings
        counted = _("1 error") if errors == 1 else _("{n} errors", n=errors)
        line = _("failed ({errors})  {ms}", errors=counted, ms=ms)
        if rebuild.pdf is not None:
            line += "  " + _("(the last good PDF is kept)")
    return f"{what}  {line}"
