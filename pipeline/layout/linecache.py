"""What composing a block leaves for the next build: its lines and its reports, by block."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.layout.glyphs import Run


@dataclass(frozen=True)
class CharReport:
    """A character that was drawn from a fallback font, or that no font has."""

    char: str
    origin: str
    font: str = ""


@dataclass(frozen=True)
class LayoutProblem:
    """Text the layout cannot set as the house standard says: an error on the issue's key."""

    origin: str
    message: str
    hint: str


@dataclass(frozen=True)
class Composed:
    """A block's composed lines and reports, as kept in the LineCache."""

    lines: tuple[tuple[tuple[Run, ...], float, int, float], ...]
    fallbacks: tuple[CharReport, ...]
    missing: tuple[CharReport, ...]
    problems: tuple[LayoutProblem, ...]
    keep_alive: tuple[object, ...]


class LineCache:
    """One document's composed blocks, reused by its next build so only edits are recomposed.

    Generational: sweep() after a build keeps exactly the blocks that build used, so memory
    follows the document's size, not the number of edits a long-running watcher has seen.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[object, ...], Composed] = {}
        self._used: dict[tuple[object, ...], Composed] = {}

    def get(self, key: tuple[object, ...]) -> Composed | None:
        """The cached composition of a block, or None."""
        found = self._used.get(key)
        if found is None:
            found = self._entries.get(key)
            if found is not None:
                self._used[key] = found
        return found

    def put(self, key: tuple[object, ...], value: Composed) -> None:
        """Keep a composition for the next build."""
        self._used[key] = value

    def sweep(self) -> None:
        """Forget every block the build just finished did not use."""
        self._entries, self._used = self._used, {}
