"""Tests for the watcher's status lines: one per rebuild, its problems below it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pipeline.app.watch import Rebuild
from pipeline.app.watch_status import StatusLines
from pipeline.build import BuildResult
from pipeline.diagnostics import Diagnostic

ROOT = Path("/project").resolve()
ISSUE = ROOT / "issues" / "work-bulletin" / "2024-14.toml"
PDF = ROOT / "output" / "work-bulletin" / "2024-14.pdf"
STYLE = ROOT / "templates" / "work-bulletin" / "style.toml"


def lines(*rebuilds: Rebuild) -> list[str]:
    shown: list[str] = []
    status = StatusLines(shown.append, lambda: datetime(2024, 7, 24, 12, 3, 4), ROOT)
    for rebuild in rebuilds:
        status.rebuilt(rebuild)
    return shown


def test_built_failed_and_deleted_lines() -> None:
    built = Rebuild(ISSUE, ISSUE, "built", BuildResult(ISSUE, PDF, 7), seconds=0.041, pdf=PDF)
    error = Diagnostic("error", "malformed TOML: Invalid value", ISSUE, 5, 10, hint="quote it")
    failed = Rebuild(ISSUE, ISSUE, "failed", None, (error,), 0.002, PDF)
    assert lines(built, failed, Rebuild(ISSUE, ISSUE, "deleted", pdf=PDF)) == [
        "12:03:04  issues/work-bulletin/2024-14.toml  built  7 pages  41 ms",
        "12:03:04  issues/work-bulletin/2024-14.toml  failed (1 error)  2 ms"
        "  (the last good PDF is kept)",
        "issues/work-bulletin/2024-14.toml:5:10: error: malformed TOML: Invalid value\n"
        "  hint: quote it",
        "12:03:04  issues/work-bulletin/2024-14.toml  deleted; "
        "its PDF is kept: output/work-bulletin/2024-14.pdf",
    ]


def test_a_rebuild_caused_by_another_file_names_it_and_counts_warnings() -> None:
    warning = Diagnostic("warning", "fallback", ISSUE)
    result = BuildResult(ISSUE, PDF, 7, [warning])
    rebuild = Rebuild(ISSUE, STYLE, "built", result, (warning, warning), 0.063, PDF)
    assert lines(rebuild)[0] == (
        "12:03:04  templates/work-bulletin/style.toml → issues/work-bulletin/2024-14.toml"
        "  built  7 pages  63 ms  (2 warnings)"
    )


def test_a_first_failure_and_a_deleted_issue_without_a_pdf() -> None:
    failed = Rebuild(ISSUE, ISSUE, "failed", None, (), 0.0)
    assert lines(failed, Rebuild(ISSUE, ISSUE, "deleted")) == [
        "12:03:04  issues/work-bulletin/2024-14.toml  failed (0 errors)  0 ms",
        "12:03:04  issues/work-bulletin/2024-14.toml  deleted; it had no PDF",
    ]


def test_watching_line_names_the_folders() -> None:
    shown: list[str] = []
    StatusLines(shown.append, relative_to=ROOT).watching([ROOT / "issues", ROOT / "fonts"], 0)
    assert shown == [
        "no issue files yet; a new one is built when it is saved",
        "watching issues/, fonts/ (Ctrl-C stops)",
    ]


def test_the_status_lines_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETIN_LANG", "zh")
    built = Rebuild(ISSUE, ISSUE, "built", BuildResult(ISSUE, PDF, 7), seconds=0.041, pdf=PDF)
    failed = Rebuild(ISSUE, ISSUE, "failed", None, (), 0.002, PDF)
    assert lines(built, failed, Rebuild(ISSUE, ISSUE, "deleted")) == [
        "12:03:04  issues/work-bulletin/2024-14.toml  已生成  共 7 页  41 毫秒",
        "12:03:04  issues/work-bulletin/2024-14.toml  生成失败（0 个错误）  2 毫秒"
        "  （仍保留上次成功生成的 PDF）",
        "12:03:04  issues/work-bulletin/2024-14.toml  已删除；它没有生成过 PDF",
    ]
    shown: list[str] = []
    StatusLines(shown.append, relative_to=ROOT).watching([ROOT / "issues"], 0)
    assert shown == [
        "还没有简报文件；新建的简报一保存就会生成",
        "正在监视 issues/（按 Ctrl-C 停止）",
    ]
