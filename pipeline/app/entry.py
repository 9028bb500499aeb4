"""The console script `bulletin`: a build that a running watch or serve may do is asked first.

`bulletin build …` is handed to the workspace's `watch` or `serve` (`buildclient`) before the
command line itself (click and every command, ~40 ms of CPU) is imported. Everything else, and
any arguments not read here exactly as click reads them, goes to `cli.run` as before.
"""

from __future__ import annotations

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
            from pipeline.app.buildclient import served_build

            try:
                status = served_build(*parsed, echo=_echo)
            except KeyboardInterrupt:  # as click ends a command on Ctrl-C
                from pipeline.i18n import _

                _echo("", err=True)
                _echo(_("Aborted!"), err=True)
                status = 1
            if status is not None:
                sys.exit(status)
    from pipeline.app.cli import run as run_command_line

    run_command_line()


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


def _echo(text: str, err: bool = False) -> None:
    import click  # only now, to print as the command line prints

    click.echo(text, err=err)
