"""The console script `bulletin`: a plain `bulletin build` runs without the command line.

`bulletin build …` is handed to the workspace's `watch` or `serve` (`buildclient`) before the
command line itself (click and every command, ~40 ms of CPU) is imported; if none builds it, it
is built here by `build_report.build_command`, still without click, printing and ending as the
command line would. Everything else, and any arguments not read here exactly as click reads
them, goes to `cli.run`.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from pathlib import Path

Arguments = tuple[list[Path], Path | None, bool, int | None, bool]  # paths, -o, strict, -j, ofd
FLAGS = ("--strict", "--ofd")
VALUED = {"-o": "-o", "--output": "-o", "-j": "-j", "--jobs": "-j"}


def run() -> None:
    """`bulletin`: a build its workspace's server did, or the command line."""
    args = sys.argv[1:]
    if args[:1] == ["build"]:
        parsed = build_arguments(args[1:])
        if parsed is not None:
            sys.exit(build(parsed))
    from pipeline.app.cli import run as run_command_line

    run_command_line()


def build(parsed: Arguments) -> int:
    """`bulletin build` with plainly valid arguments: served or built here; the exit status."""
    gc.disable()  # as build_command does, from here: its imports leave no cyclic garbage either
    from pipeline.app.buildclient import served_build
    from pipeline.app.console import echo, end_at_once

    try:
        status = served_build(*parsed, echo=echo)
        if status is not None:
            return status  # as before: a served build ends as usual
        from pipeline.app.build_report import build_command

        end_at_once(build_command(*parsed))
    except KeyboardInterrupt:  # as click ends a command on Ctrl-C
        from pipeline.i18n import _

        echo("", err=True)
        echo(_("Aborted!"), err=True)
    except BrokenPipeError:  # as click: output into a closed pipe ends quietly
        sys.stdout = None  # nothing more is written to it, nor flushed at the end
    return 1


def build_arguments(args: Sequence[str]) -> Arguments | None:
    """`bulletin build`'s arguments when they are plainly valid ones; None for anything else
    (--help, a usage error, a form such as --output=DIR): click reads those."""
    paths: list[Path] = []
    output: Path | None = None
    jobs: int | None = None
    seen: set[str] = set()
    position = 0
    while position < len(args):
        arg = args[position]
        if arg in FLAGS and arg not in seen:
            seen.add(arg)
        elif arg in VALUED and VALUED[arg] not in seen and position + 1 < len(args):
            seen.add(VALUED[arg])
            position += 1
            value = args[position]
            if not value or value.startswith("-"):
                return None
            if VALUED[arg] == "-j":
                if not (value.isascii() and value.isdigit()) or int(value) < 1:
                    return None
                jobs = int(value)
            else:
                output = Path(value)
                if output.exists() and not output.is_dir():
                    return None  # click's usage error
        elif arg and not arg.startswith("-") and not _pattern(arg):
            paths.append(Path(arg))
        else:
            return None
        position += 1
    return paths, output, "--strict" in seen, jobs, "--ofd" in seen


def _pattern(arg: str) -> bool:
    """A wildcard that click expands on Windows (where the shell does not)."""
    return sys.platform == "win32" and any(c in arg for c in "*?[")
