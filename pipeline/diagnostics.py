"""Diagnostics as data: every problem carries file, line, column, key and a hint."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, get_args

from pipeline.i18n import N_, _

Severity = Literal["error", "warning"]
SEVERITIES: frozenset[str] = frozenset(get_args(Severity))


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a user's file, in the shape `file:line:col: error: message`."""

    severity: Severity
    message: str
    file: Path | None = None
    line: int | None = None
    col: int | None = None
    key: str | None = None
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:  # a typo such as "eror" must not pass as a warning
            raise ValueError(f"severity must be one of {sorted(SEVERITIES)}, not {self.severity!r}")

    @property
    def is_error(self) -> bool:
        """Whether this diagnostic fails the build."""
        return self.severity == "error"

    def at(self, line: int | None, col: int | None) -> Diagnostic:
        """Return a copy placed at the given line and column."""
        return replace(self, line=line, col=col)

    def format(self, relative_to: Path | None = None) -> str:
        """Render as `path:line:col: severity: message [key]` plus an indented hint line."""
        where = ""
        if self.file is not None:
            shown = self.file
            if relative_to is not None:
                try:
                    shown = self.file.resolve().relative_to(relative_to.resolve())
                except ValueError:
                    shown = self.file
            where = str(shown)
            if self.line is not None:
                where += f":{self.line}"
                if self.col is not None:
                    where += f":{self.col}"
            where += ": "
        key = f" [{self.key}]" if self.key else ""
        text = f"{where}{_(_SEVERITY_WORDS[self.severity])}: {self.message}{key}"
        if self.hint:
            text += "\n  " + _("hint: {hint}", hint=self.hint)
        return text


_SEVERITY_WORDS: dict[Severity, str] = {"error": N_("error"), "warning": N_("warning")}


class BulletinError(Exception):
    """Raised by library code when a build cannot go on; carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    @classmethod
    def single(
        cls,
        message: str,
        *,
        file: Path | None = None,
        line: int | None = None,
        col: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> BulletinError:
        """Build an error that carries exactly one diagnostic."""
        return cls([Diagnostic("error", message, file, line, col, key, hint)])


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Return a 'did you mean' hint for a misspelt word, or None when nothing is close."""
    import difflib  # only a misspelling needs it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return _("did you mean '{word}'?", word=close[0]) if close else None


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """Whether any diagnostic in the collection is an error."""
    return any(d.is_error for d in diagnostics)
