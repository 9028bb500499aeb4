"""`bulletin build -j N`: parallel builds print what the sequential build prints, same PDFs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import five_issue_series

from pipeline.app.batch import IssueBuild, Summary
from pipeline.app.batch_workers import build_parallel

BROKEN = "2024-03.toml"


@pytest.fixture
def series(tmp_path: Path) -> Path:
    """A folder of five issues, the third with an unknown key."""
    return five_issue_series(tmp_path)


def bulletin(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from pipeline.app.cli import main; main()", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def without_times(text: str) -> str:
    text = re.sub(r", \d+ ms\)", ")", text)
    return re.sub(r", [\d.]+ s$", "", text, flags=re.MULTILINE)


def test_parallel_build_reports_like_the_sequential_one(series: Path, tmp_path: Path) -> None:
    parallel = bulletin("build", str(series), "-o", str(tmp_path / "par"), "-j", "2", cwd=tmp_path)
    sequential = bulletin(
        "build", str(series), "-o", str(tmp_path / "seq"), "-j", "1", cwd=tmp_path
    )
    assert parallel.returncode == sequential.returncode == 1  # one issue failed
    assert without_times(parallel.stdout) == without_times(sequential.stdout).replace(
        "seq/", "par/"
    )
    assert parallel.stderr == sequential.stderr
    # the broken issue's diagnostic and failure line, once each; the others are built
    assert parallel.stderr.count("unknown key 'titel'") == 1
    assert parallel.stderr.count(f"failed  issues/batch/{BROKEN}") == 1
    built = [line for line in parallel.stdout.splitlines() if line.startswith("built")]
    assert [line.split()[1] for line in built] == [
        f"issues/batch/2024-0{n}.toml" for n in (1, 2, 4, 5)
    ]
    summary = parallel.stdout.splitlines()[-1]
    assert re.fullmatch(r"5 issues, \d+ pages, 1 failed, \d+\.\d s", summary), summary
    for name in ("2024-01", "2024-02", "2024-04", "2024-05"):
        par = (tmp_path / "par" / "batch" / f"{name}.pdf").read_bytes()
        assert par == (tmp_path / "seq" / "batch" / f"{name}.pdf").read_bytes()
    assert not (tmp_path / "par" / "batch" / "2024-03.pdf").exists()


def test_all_built_exits_0(series: Path, tmp_path: Path) -> None:
    (series / BROKEN).unlink()
    result = bulletin("build", str(series), "-o", str(tmp_path / "out"), "-j", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("4 issues, ")
    assert "failed  " not in result.stderr


def test_jobs_must_be_positive(series: Path, tmp_path: Path) -> None:
    result = bulletin("build", str(series), "-j", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "-j" in result.stderr


def test_outcomes_come_in_input_order_and_each_is_reported_once(
    series: Path, tmp_path: Path
) -> None:
    issues = sorted(series.glob("2024-*.toml"), reverse=True)
    done: list[Path] = []
    outcomes = list(
        build_parallel(
            series.parent.parent,
            tmp_path / "out",
            issues,
            False,
            2,
            lambda o: done.append(o.source),
        )
    )
    assert [o.source for o in outcomes] == issues
    assert sorted(done) == sorted(issues)
    failed = [o for o in outcomes if not o.ok]
    assert [o.source.name for o in failed] == [BROKEN]
    assert failed[0].pdf is None and failed[0].diagnostics[0].is_error
    assert all(o.pages >= 1 and o.pdf is not None and o.pdf.exists() for o in outcomes if o.ok)


def test_summary_line() -> None:
    summary = Summary(seconds=3.94)
    for pages in (7, 8):
        summary.add(IssueBuild(Path("a.toml"), Path("a.pdf"), pages))
    summary.add(IssueBuild(Path("b.toml"), None))
    assert summary.line() == "3 issues, 15 pages, 1 failed, 3.9 s"
