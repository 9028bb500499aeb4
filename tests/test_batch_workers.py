"""Batch workers: chunks handed out, a dead worker's issue reported, spawn like fork, Ctrl-C."""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import five_issue_series, issue_toml, write

from pipeline.app import batch_workers
from pipeline.app.batch import IssueBuild
from pipeline.app.batch_workers import build_parallel
from pipeline.build import Builder

BROKEN = "2024-03.toml"


@pytest.fixture
def series(tmp_path: Path) -> Path:
    """A folder of five issues, the third with an unknown key."""
    return five_issue_series(tmp_path)


def test_chunks_hand_out_large_issues_first_then_shrinking_chunks_in_order(
    tmp_path: Path,
) -> None:
    issues = [write(tmp_path / f"{n:03}.toml", "x" * 100) for n in range(40)]
    issues[30].write_text("x" * 1000)
    issues[7].write_text("x" * 500)
    chunks = list(batch_workers._chunks(issues, 2))
    assert chunks[:2] == [[30], [7]]  # the large, largest first, each on its own
    rest = [index for chunk in chunks[2:] for index in chunk]
    assert rest == [n for n in range(40) if n not in (7, 30)]  # then input order, each once
    sizes = [len(chunk) for chunk in chunks[2:]]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 1 and sizes[-1] == 1


fork_only = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork"
)


@fork_only
def test_workers_collect_their_young_objects_less_often(
    series: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (series / BROKEN).unlink()
    build_one = batch_workers.build_one

    def reporting(builder: Builder, issue: Path, strict: bool) -> IssueBuild:
        built = build_one(builder, issue, strict)  # seconds: what the worker's collector waits for
        return dataclasses.replace(built, seconds=float(gc.get_threshold()[0]))

    monkeypatch.setattr(batch_workers, "build_one", reporting)  # the forked workers inherit it
    issues = sorted(series.glob("2024-*.toml"))
    outcomes = list(build_parallel(series.parent.parent, tmp_path / "out", issues, False, 2))
    assert {o.seconds for o in outcomes} == {batch_workers.WORKER_GC_THRESHOLD}
    assert gc.get_threshold()[0] != batch_workers.WORKER_GC_THRESHOLD  # this process's stays


@fork_only
def test_an_issue_whose_worker_dies_fails_and_the_batch_goes_on(
    series: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (series / BROKEN).unlink()
    build_one = batch_workers.build_one

    def dying(builder: Builder, issue: Path, strict: bool) -> IssueBuild:
        if issue.name == "2024-02.toml":
            os._exit(7)  # as if killed, or a crash in a C library
        return build_one(builder, issue, strict)

    monkeypatch.setattr(batch_workers, "build_one", dying)  # the forked workers inherit it
    issues = sorted(series.glob("2024-*.toml"))
    outcomes = list(build_parallel(series.parent.parent, tmp_path / "out", issues, False, 2))
    assert [o.source for o in outcomes] == issues
    assert [o.ok for o in outcomes] == [True, False, True, True]
    problem = outcomes[1].diagnostics[0]
    assert problem.message == "cannot build: the build process stopped unexpectedly (exit status 7)"
    assert problem.hint is not None and "-j 1" in problem.hint


def test_spawned_workers_build_what_forked_ones_build(
    series: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows has no fork: each worker loads its own Builder and series index."""
    issues = sorted(series.glob("2024-*.toml"))
    forked = list(build_parallel(series.parent.parent, tmp_path / "fork", issues, False, 2))
    monkeypatch.setattr(batch_workers, "_context", lambda: multiprocessing.get_context("spawn"))
    spawned = list(build_parallel(series.parent.parent, tmp_path / "spawn", issues, False, 2))
    assert [(o.source, o.ok, o.pages) for o in spawned] == [
        (o.source, o.ok, o.pages) for o in forked
    ]
    assert [d.message for o in spawned for d in o.diagnostics] == [
        d.message for o in forked for d in o.diagnostics
    ]
    for outcome in spawned:
        if outcome.pdf is not None:
            twin = tmp_path / "fork" / outcome.pdf.relative_to(tmp_path / "spawn")
            assert outcome.pdf.read_bytes() == twin.read_bytes()


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def _state(pid: int) -> str:
    """A process's state letter (Z: a zombie, as good as gone); "" once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except FileNotFoundError:
        return ""


def _all_gone(pids: list[int]) -> bool:
    deadline = time.monotonic() + 10  # a loaded machine may take a moment to reap them
    while any(_state(pid) not in ("", "Z") for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@fork_only
@pytest.mark.parametrize("whole_group", [True, False], ids=["terminal", "parent only"])
def test_ctrl_c_stops_the_batch_and_its_workers_cleanly(
    series: Path, tmp_path: Path, whole_group: bool
) -> None:
    (series / BROKEN).unlink()
    for number in range(6, 400):  # enough work that Ctrl-C comes in the middle (builds are fast)
        write(series / f"2024-{number:02}.toml", issue_toml(number, total=100 + number))
    command = [sys.executable, "-c", "from pipeline.app.cli import main; main()"]
    process = subprocess.Popen(
        [*command, "build", str(series), "-o", str(tmp_path / "out"), "-j", "2"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("built")
        workers = _children(process.pid)
        assert len(workers) == 2
        if whole_group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 1
    assert "Traceback" not in err and "Aborted!" in err
    assert _all_gone(workers), [(pid, _state(pid)) for pid in workers]
    assert not list((tmp_path / "out").rglob("*.tmp"))  # no half-written PDF left behind
