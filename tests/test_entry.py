"""The console script's own reading of `bulletin build`'s arguments: click's, or none at all."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import ROOT

from pipeline.app.cli import main
from pipeline.app.entry import build_arguments

ARGUMENTS = [
    [],
    ["issues"],
    ["a.toml", "b.toml", "-o", "out", "--strict"],
    ["--ofd", "issues", "--output", "out", "-j", "2"],
    ["--jobs", "1", "issues", "--strict", "--ofd"],
    ["-j", "0"],
    ["-j", "x"],
    ["-j", "²"],
    ["-j"],
    ["-o"],
    ["-o", "a", "-o", "b"],
    ["--strict", "--strict"],
    ["--output=out"],
    ["-oout"],
    ["-h"],
    ["--help"],
    ["--", "-a.toml"],
    ["-"],
    [""],
    ["--unknown"],
    ["-o", "-x"],
    ["-o", "pyproject.toml"],  # a file where the folder is to be
]


@pytest.mark.parametrize("args", ARGUMENTS, ids=lambda a: " ".join(a) or "none")
def test_what_it_reads_click_reads_alike(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    ours = build_arguments(args)
    if ours is None:
        return  # click reads it (or says what is wrong)
    command = main.get_command(click.Context(main), "build")
    assert command is not None
    params = command.make_context("build", list(args)).params
    expected = (
        list(params["paths"]),
        params["output_dir"],
        params["strict"],
        params["jobs"],
        params["ofd"],
    )
    assert ours == expected


def test_plain_arguments_are_read_here_and_the_others_left_to_click() -> None:
    read = [args for args in ARGUMENTS if build_arguments(args) is not None]
    assert read == ARGUMENTS[:5]


def _console_script(
    tmp_path: Path, *args: str, importtime: bool = False
) -> subprocess.CompletedProcess[str]:
    """`bulletin ARGS` as the console script runs it, in a project copied into tmp_path."""
    options = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *options, "-c", "from pipeline.app.entry import run; run()", *args],
        cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "BULLETIN_CACHE_DIR": str(tmp_path / "cache"),
             "BULLETIN_BUILD_SERVER": "off"},
    )  # fmt: skip


def _command_line(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`bulletin ARGS` through click's command line (cli.run), as before entry's own path."""
    return subprocess.run(
        [sys.executable, "-c", "from pipeline.app.cli import run; run()", *args],
        cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "BULLETIN_CACHE_DIR": str(tmp_path / "cache"),
             "BULLETIN_BUILD_SERVER": "off"},
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A workspace with one series of two issues."""
    shutil.copytree(ROOT / "issues" / "brief-news", tmp_path / "issues" / "brief-news")
    return tmp_path


def _times(text: str) -> str:
    return re.sub(r"\d+ ms", "N ms", text)


def test_a_plain_build_runs_without_importing_click(project: Path) -> None:
    """The console script builds `bulletin build PATH` itself: click is never imported."""
    done = _console_script(project, "build", "issues", importtime=True)
    assert done.returncode == 0, done.stderr
    imported = [line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    assert "pipeline.build" in imported
    assert not [name for name in imported if name.split(".")[0] == "click"]
    assert list((project / "output").rglob("*.pdf"))


def test_the_plain_build_gives_the_command_lines_bytes_and_lines(project: Path) -> None:
    """Same PDFs, same stdout and stderr, same exit status as the build through click."""
    ours = _console_script(project, "build", "issues", "-o", "ours")
    theirs = _command_line(project, "build", "issues", "-o", "theirs")
    assert ours.returncode == theirs.returncode == 0
    assert _times(ours.stdout).replace("ours", "X") == _times(theirs.stdout).replace("theirs", "X")
    assert ours.stderr == theirs.stderr
    pdfs = sorted((project / "ours").rglob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        twin = project / "theirs" / pdf.relative_to(project / "ours")
        assert pdf.read_bytes() == twin.read_bytes()


def test_a_missing_file_and_a_failing_issue_exit_1_as_before(project: Path) -> None:
    missing = _console_script(project, "build", "issues/nothing.toml")
    assert missing.returncode == 1
    assert missing.stderr == _command_line(project, "build", "issues/nothing.toml").stderr
    assert "issues/nothing.toml" in missing.stderr
    broken = project / "issues" / "brief-news" / "2024-07.toml"
    broken.write_text(broken.read_text(encoding="utf-8") + "\n[[[\n", encoding="utf-8")
    failed = _console_script(project, "build", str(broken))
    assert failed.returncode == 1
    assert "failed" in failed.stderr and "Traceback" not in failed.stderr
    assert failed.stderr == _command_line(project, "build", str(broken)).stderr


def test_help_and_other_forms_still_go_to_click(project: Path) -> None:
    done = _console_script(project, "build", "--help")
    assert done.returncode == 0 and "--strict" in done.stdout
    usage = _console_script(project, "build", "-j", "0")
    assert (
        usage.returncode == 2 and usage.stderr == _command_line(project, "build", "-j", "0").stderr
    )
