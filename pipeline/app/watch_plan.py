"""The watcher's planner: which issues a set of changed files reaches, from what each build read.

Pure: it looks at no file and starts no thread. A build reports its dependencies with their kind
(`pipeline.build.Dependency`); the planner keeps them per issue and maps each change to the
issues whose dependencies it reaches. An issue that failed keeps what it was known to read plus
everything a build of it may read (`Builder.possible_dependencies`), so any fix retries it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.build import Dependency
from pipeline.fonts.folders import FONT_SUFFIXES
from pipeline.source.series import is_issue_file


@dataclass(frozen=True, order=True)
class Change:
    """A path that changed and whether it exists now (a deleted file or folder does not).

    Also, not part of what the change is: when (time.monotonic(), inf if unknown) its last
    event came, and whether its events changed only its attributes, not its content.
    """

    path: Path
    exists: bool = True
    seen_s: float = field(default=math.inf, compare=False)
    attributes_only: bool = field(default=False, compare=False)


@dataclass
class Plan:
    """Issues to build and issues deleted, each mapped to the changed path that caused it."""

    builds: dict[Path, Path] = field(default_factory=dict)
    gone: dict[Path, Path] = field(default_factory=dict)


def reaches(change: Change, dependency: Dependency) -> bool:
    """Whether a change touches a dependency: the path itself, below it, or a folder above it."""
    path, target = change.path, dependency.path
    font_file = path.suffix.lower() in FONT_SUFFIXES
    if dependency.kind == "font" and not font_file and (change.exists or path.suffix):
        return False  # a README or a licence text in fonts/ changes no font; a folder may
    if path == target or path.is_relative_to(target):
        return True
    return not change.exists and target.is_relative_to(path)  # a folder holding it went away


class Planner:
    """Remembers what each issue was built from, and plans the rebuilds a set of changes needs."""

    def __init__(
        self,
        target_dirs: Sequence[Path],
        target_files: Iterable[Path],
        possible_dependencies: Callable[[Path], Sequence[Dependency]],
    ) -> None:
        self.target_dirs = list(target_dirs)
        self.target_files = set(target_files)
        self._possible = possible_dependencies
        self._dependencies: dict[Path, frozenset[Dependency]] = {}
        self._failed: set[Path] = set()

    @property
    def issues(self) -> list[Path]:
        """The issues known (built or tried), in the order they were first seen."""
        return list(self._dependencies)

    def dependencies(self, issue: Path) -> frozenset[Dependency]:
        """What the planner holds an issue to depend on (empty if unknown)."""
        return self._dependencies.get(issue, frozenset())

    def built(self, issue: Path, dependencies: Iterable[Dependency]) -> None:
        """Record a build that succeeded, with the dependencies it reported."""
        self._failed.discard(issue)
        self._dependencies[issue] = frozenset(dependencies)

    def failed(self, issue: Path) -> None:
        """Record a failed build: keep what was known and add what a build of it may read."""
        self._failed.add(issue)
        self._dependencies[issue] = self.dependencies(issue) | frozenset(self._possible(issue))

    def forget(self, issue: Path) -> None:
        """Drop an issue that was deleted."""
        self._dependencies.pop(issue, None)
        self._failed.discard(issue)

    def in_scope(self, path: Path) -> bool:
        """Whether a path is an issue file of the watched targets."""
        return is_issue_file(path) and (
            path in self.target_files or any(path.is_relative_to(d) for d in self.target_dirs)
        )

    def plan(self, changes: Iterable[Change]) -> Plan:
        """The issues the changes reach: their own file, their dependencies; and those deleted."""
        plan = Plan()
        for change in sorted(set(changes)):
            self._plan_change(change, plan)
        for issue in plan.gone:
            plan.builds.pop(issue, None)
        return plan

    def _plan_change(self, change: Change, plan: Plan) -> None:
        path = change.path
        if not change.exists:
            for issue in self._dependencies:
                if issue == path or issue.is_relative_to(path):
                    plan.gone.setdefault(issue, path)
        if self.in_scope(path):
            if change.exists:
                plan.builds.setdefault(path, path)
            # Issue numbers are checked across a series: a sibling's edit may fix a failed issue.
            for issue in sorted(self._failed):
                if issue.parent == path.parent:
                    plan.builds.setdefault(issue, path)
        for issue, dependencies in self._dependencies.items():
            if any(reaches(change, d) for d in dependencies):
                plan.builds.setdefault(issue, path)
