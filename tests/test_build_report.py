"""`bulletin build`'s report of a batch, and when its process collects garbage."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import two_issue_project

from pipeline.app import batch_workers
from pipeline.app.batch import IssueBuild
from pipeline.app.cli import main
from pipeline.build import Builder


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with one series of two issues; the working folder for the test."""
    monkeypatch.chdir(tmp_path)
    return two_issue_project(tmp_path)


def test_a_batch_collects_garbage_from_its_second_issue_on(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first issue (a one-shot's only one) is built without collections, the rest with."""
    seen: list[bool] = []
    original = Builder.build

    def build(self: Builder, path: Path, strict: bool = False) -> Any:
        seen.append(gc.isenabled())
        return original(self, path, strict)

    monkeypatch.setattr(Builder, "build", build)
    result = CliRunner().invoke(main, ["build", "issues", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert seen == [False, True]
    assert gc.isenabled()


def test_parallel_workers_start_with_collection_on(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker processes started by `-j 2` do not inherit a disabled collector."""
    seen: list[bool] = []

    def build_parallel(*args: Any, **kwargs: Any) -> Iterator[IssueBuild]:
        seen.append(gc.isenabled())
        return iter([])

    monkeypatch.setattr(batch_workers, "build_parallel", build_parallel)
    CliRunner().invoke(main, ["build", "issues", "-j", "2"])
    assert seen == [True]


def test_collection_is_on_again_after_a_build_that_finds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that ends early (nothing to build) leaves this process collecting."""
    (tmp_path / "issues").mkdir()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 1
    assert gc.isenabled()


def test_a_plain_build_never_collects_after_its_last_issue(project: Path) -> None:
    """`bulletin build ISSUE` (entry.build disables the collector first) builds and returns
    with the collector still off: the process ends without a collection of all it made."""
    from pipeline.app.build_report import build_command

    issue = project / "issues" / "s" / "2024-02.toml"
    collections: list[str] = []

    def note(phase: str, info: dict[str, int]) -> None:
        collections.append(phase)

    gc.disable()
    gc.callbacks.append(note)
    try:
        assert build_command([issue], None, False, None) == 0
        assert not gc.isenabled()
        [[n] for n in range(10_000)]  # what ending allocates (lists: tracked by the collector)
        assert collections == []
    finally:
        gc.callbacks.remove(note)
        gc.enable()
