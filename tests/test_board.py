"""The board: each issue's state across builds, and the fan-out of finished rebuilds."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pipeline.app.board import Board
from pipeline.app.watch import Rebuild
from pipeline.build import BuildResult
from pipeline.diagnostics import Diagnostic


def make_board(tmp_path: Path) -> tuple[Board, Path]:
    issue = tmp_path / "issues" / "work-bulletin" / "2024-14.toml"
    issue.parent.mkdir(parents=True)
    issue.write_text("", encoding="utf-8")
    return Board(tmp_path, tmp_path / "output", lambda _pdf: 5), issue


def built(issue: Path, tmp_path: Path, pages: int = 7) -> Rebuild:
    pdf = tmp_path / "output" / "work-bulletin" / "2024-14.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(b"%PDF")
    return Rebuild(issue, issue, "built", BuildResult(issue, pdf, pages), pdf=pdf)


def failure(issue: Path, *problems: Diagnostic) -> Rebuild:
    return Rebuild(issue, issue, "failed", problems=problems)


def test_a_discovered_issue_is_building_with_the_pdf_a_previous_run_left(tmp_path: Path) -> None:
    board, issue = make_board(tmp_path)
    board.discover([issue])
    (view,) = board.views()
    assert (view.series, view.name, view.state, view.pages) == (
        "work-bulletin",
        "2024-14",
        "building",
        0,
    )
    assert not view.has_pdf and view.built_at is None
    built(issue, tmp_path)  # its PDF is there when the next serve starts
    other = Board(tmp_path, tmp_path / "output", lambda _pdf: 5)
    other.discover([issue])
    (view,) = other.views()
    assert view.has_pdf and view.pages == 5 and view.built_at is not None


def test_a_failure_keeps_the_last_good_pages_and_time(tmp_path: Path) -> None:
    board, issue = make_board(tmp_path)
    error = Diagnostic("error", "malformed TOML", issue, 3, 5, None, "add quotes")
    board.rebuilt(built(issue, tmp_path))
    good = board.find("work-bulletin", "2024-14")
    assert good is not None and good.state == "built" and good.pages == 7
    board.building(issue, issue)
    assert board.views()[0].state == "building"
    board.rebuilt(failure(issue, error))
    failed = board.find("work-bulletin", "2024-14")
    assert failed is not None and failed.state == "failed"
    assert (failed.pages, failed.built_at) == (good.pages, good.built_at)
    assert failed.problems == (error,)
    item = failed.as_json(tmp_path)
    assert item["problems"] == [
        {
            "file": "issues/work-bulletin/2024-14.toml",
            "line": 3,
            "col": 5,
            "severity": "error",
            "message": "malformed TOML",
            "hint": "add quotes",
            "key": None,
        }
    ]
    assert item["pdf"] == "/pdf/work-bulletin/2024-14.pdf"


def test_a_deleted_issue_leaves_the_board(tmp_path: Path) -> None:
    board, issue = make_board(tmp_path)
    board.rebuilt(built(issue, tmp_path))
    board.rebuilt(Rebuild(issue, issue, "deleted"))
    assert board.views() == []
    assert board.find("work-bulletin", "2024-14") is None


def test_only_known_issues_are_found(tmp_path: Path) -> None:
    board, issue = make_board(tmp_path)
    board.discover([issue])
    assert board.find("work-bulletin", "2024-14") is not None
    for series, name in [("..", "2024-14"), ("work-bulletin", "../2024-14"), ("/etc", "passwd")]:
        assert board.find(series, name) is None


def test_a_nested_series_is_named_by_its_path_below_issues(tmp_path: Path) -> None:
    board, _ = make_board(tmp_path)
    nested = tmp_path / "issues" / "office" / "weekly" / "2024-01.toml"
    board.discover([nested])
    view = board.find("office/weekly", "2024-01")
    assert view is not None and view.pdf_url == "/pdf/office/weekly/2024-01.pdf"


def test_every_subscriber_gets_each_finished_rebuild_and_the_end(tmp_path: Path) -> None:
    board, issue = make_board(tmp_path)
    error = Diagnostic("error", "malformed TOML", issue, 3, 5)

    async def listen() -> list[object]:
        first, second = board.subscribe(), board.subscribe()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, board.rebuilt, built(issue, tmp_path))
        await loop.run_in_executor(None, board.rebuilt, failure(issue, error))
        await loop.run_in_executor(None, board.close_streams)
        got = []
        for queue in (first, second):
            while (event := await queue.get()) is not None:
                got.append(event[0])
        board.unsubscribe(first)
        board.unsubscribe(second)
        return got

    assert asyncio.run(listen()) == ["built", "failed", "built", "failed"]
