"""`bulletin --help` in the clerk's language: click's help pages, translated as they are written.

Help texts stay English in the code (docstrings and `help=`); the formatter looks each one up in
the catalogue (pipeline/i18n.py) when a help page is printed, so the language is the one of the
moment, not of import time. The command list shows each command's whole first paragraph, never
cut short with "…". An indented paragraph (the examples) is printed line by line as written.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from typing import Any

import click

from pipeline.i18n import N_, _

# click's own words on a help page, translated here too.
CLICK_WORDS = (
    N_("Usage: "),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
)
_EXTRA = re.compile(r"^(.*?)\s\s\[(.*)\]$", re.DOTALL)  # "help  [default: 50]"


class TranslatingFormatter(click.HelpFormatter):
    """A HelpFormatter that writes every text, heading and option help in the chosen language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """The usage line, with its 'Usage:' translated."""
        super().write_usage(prog, args, prefix if prefix is not None else _("Usage: "))

    def write_heading(self, heading: str) -> None:
        """A section heading such as 'Options:'."""
        self.write(f"{'':>{self.current_indent}}{_('{heading}:', heading=_(heading))}\n")

    def write_text(self, text: str) -> None:
        """A help text: translated; indented paragraphs (examples) kept line by line."""
        for index, paragraph in enumerate(_(text).split("\n\n")):
            if index:
                self.write_paragraph()
            lines = paragraph.split("\n")
            if all(line.startswith("  ") for line in lines):
                for line in lines:
                    self.write(f"{'':>{self.current_indent}}{line}\n")
            else:
                super().write_text(paragraph)

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """Options or commands with their help, the help translated."""
        super().write_dl(
            [(term, translate_help(text)) for term, text in rows], col_max, col_spacing
        )


def translate_help(text: str) -> str:
    """An option's help, with click's '  [default: …]' suffix translated apart."""
    match = _EXTRA.match(text)
    if match is None:
        return _(text)
    extra = match.group(2).replace("default: ", _("default: "))
    return f"{_(match.group(1))}  [{extra}]"


class TranslatingContext(click.Context):
    """A context whose help pages use the TranslatingFormatter."""

    formatter_class = TranslatingFormatter


class TranslatingGroup(click.Group):
    """The `bulletin` group: translated help for itself and every command added to it."""

    context_class = TranslatingContext

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Add a command whose help pages are translated too."""
        cmd.context_class = TranslatingContext
        super().add_command(cmd, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list: each command with its whole summary, translated."""
        rows = [
            (name, summary(command))
            for name, command in self._visible(ctx, self.list_commands(ctx))
        ]
        if rows:
            with formatter.section(N_("Commands")):
                formatter.write_dl(rows)

    def _visible(self, ctx: click.Context, names: Iterable[str]) -> list[tuple[str, Any]]:
        found = ((name, self.get_command(ctx, name)) for name in names)
        return [(name, command) for name, command in found if command and not command.hidden]


def summary(command: click.Command) -> str:
    """A command's first paragraph of help, in the chosen language."""
    return _(help_text(command)).split("\n\n")[0].replace("\n", " ")


def help_text(command: click.Command) -> str:
    """A command's help as click prints it (and as the catalogue holds it)."""
    return inspect.cleandoc(command.help or "").partition("\f")[0]
