"""Fuzzing the loader and the build: no mutated issue file gives a traceback or takes long."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fuzzing import inputs, run

from pipeline.build import Builder

INPUTS = 300
RENDERED = 10  # of the inputs that load, these many (under 20,000 characters) are typeset too
SLOWEST_S = 5.0  # generous for a loaded machine; one input took 40-186 s before the limits


def test_mutated_issue_files_give_messages_not_tracebacks(
    tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    """Each input loads (some are typeset) or fails with a message; none takes long."""
    texts = list(inputs(INPUTS, seed=13))
    rendered: list[int] = []

    def render(index: int) -> bool:
        if len(texts[index]) < 20_000 and len(rendered) < RENDERED:
            rendered.append(index)
        return index in rendered

    found = run(iter(texts), tmp_path / "issues" / "fuzz", make_builder(tmp_path), render)
    assert not found.tracebacks, found.tracebacks[0][1]
    assert found.refused > INPUTS // 2  # the mutations do break most files
    assert found.built > 0 and len(rendered) == RENDERED  # and some still build
    assert max(found.seconds) < SLOWEST_S, found.slowest[1][:300]
