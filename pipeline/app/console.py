"""What every command shares: exit codes, printing, problems on stderr, ending a build at once.

It does not import click: a plain `bulletin build` runs without the command line (`entry.py`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline import startup
from pipeline.diagnostics import Diagnostic
from pipeline.i18n import _

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    """Print diagnostics to stderr, paths relative to the working folder."""
    for diagnostic in diagnostics:
        echo(diagnostic.format(relative_to=Path.cwd()), err=True)


def echo(text: str = "", err: bool = False) -> None:
    """Print a line to stdout (or stderr) and flush it, as click.echo does for text.

    A console that cannot encode a character (a legacy code page) shows it as "?" instead of
    failing the command.
    """
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # pythonw: no console
        return
    line = text + "\n"
    try:
        stream.write(line)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(line.encode(encoding, "replace").decode(encoding, "replace"))
    stream.flush()


def end_at_once(status: int) -> None:
    """End a finished build without the interpreter's teardown; what atexit would keep is kept.

    Every PDF is written, closed and renamed into place, and nothing is left to clean up, but
    the teardown would still free the loaded fonts' ~300,000 objects one by one (~30 ms of a
    300 ms build; over a second after a long `serve`).
    """
    startup.save_kept()
    with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more can be said
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)


def require_existing(paths: Sequence[Path]) -> None:
    """Report every path that does not exist and exit 1 if there is any."""
    missing = [path for path in paths if not path.exists()]
    print_diagnostics(
        [
            Diagnostic(
                "error",
                _("no such file or folder"),
                path,
                hint=_("give an issue file or a folder of issues"),
            )
            for path in missing
        ]
    )
    if missing:
        sys.exit(EXIT_FAILED)


def shown(path: Path, cwd: Path | None = None) -> str:
    """A path as the user sees it: relative to the working folder (or `cwd`) where below it."""
    folder = Path.cwd() if cwd is None else cwd
    try:
        return str((folder / path).resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path)
