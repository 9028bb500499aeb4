"""File-system faults during a build are messages with a non-zero exit, in -j 1 and -j 2 alike."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SERIES_TOML, issue_toml, write

from pipeline import files
from pipeline.build import Builder
from pipeline.diagnostics import BulletinError
from pipeline.files import STALE_AFTER_S

MESSAGES = {
    "en": "error: {out}/faults is a file, so no folder can be made there for the PDF",
    "zh": "错误: {out}/faults 是一个文件，无法在那里建文件夹来放 PDF",
}


@pytest.fixture
def series(tmp_path: Path) -> Path:
    folder = tmp_path / "issues" / "faults"
    write(folder / "series.toml", SERIES_TOML)
    for number in (1, 2, 3):
        write(folder / f"2024-0{number}.toml", issue_toml(number))
    return folder


def bulletin(*args: str, cwd: Path, language: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from pipeline.app.cli import run; run()", *args]
    env = {**os.environ, "BULLETIN_LANG": language}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("language", ["en", "zh"])
def test_an_output_path_that_is_a_file_fails_every_issue_with_a_message(
    series: Path, tmp_path: Path, jobs: str, language: str
) -> None:
    write(tmp_path / "out" / "faults", "not a folder")
    done = bulletin("build", "issues", "-o", "out", "-j", jobs, cwd=tmp_path, language=language)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    message = MESSAGES[language].format(out="out")
    for number in (1, 2, 3):  # each issue is reported, none is lost or stops the batch
        assert f"out/faults/2024-0{number}.pdf: {message}" in done.stderr


def test_a_read_only_output_folder(
    series: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_builder: Callable[..., Builder],
) -> None:
    def refused(target: Path) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "_new_temporary", refused)  # root may write anywhere: so pretend
    with pytest.raises(BulletinError) as caught:
        make_builder(tmp_path / "out").build(series / "2024-01.toml")
    (problem,) = caught.value.diagnostics
    assert problem.file == tmp_path / "out" / "faults" / "2024-01.pdf"
    assert problem.message == f"cannot write into {tmp_path / 'out' / 'faults'}: permission denied"
    assert problem.hint == "make the folder writable, or choose another folder with -o"


@pytest.mark.parametrize("name", ["series.toml", "recipients.toml"])
def test_an_unreadable_series_or_address_book(
    series: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_builder: Callable[..., Builder],
    name: str,
) -> None:
    write(series / "recipients.toml", '[[recipient]]\nname = "上级机关甲"\nfolder = "a"\n')
    # copies = "auto" counts the address book's copies, so the build must read it
    write(series / "series.toml", SERIES_TOML.replace("copies = 30", 'copies = "auto"'))
    read_bytes = Path.read_bytes

    def guarded(path: Path) -> bytes:
        if path.name == name:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    with pytest.raises(BulletinError) as caught:
        make_builder(tmp_path / "out").build(series / "2024-01.toml")
    (problem,) = caught.value.diagnostics
    assert (problem.file, problem.message) == (
        series / name,
        "cannot read the file: permission denied",
    )


def test_a_killed_builds_temporary_files_are_removed(
    series: Path, tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    folder = tmp_path / "out" / "faults"
    stale = write(folder / ".2024-01.pdf.k1ll3d.tmp", "half a PDF")
    long_ago = time.time() - STALE_AFTER_S - 5
    os.utime(stale, (long_ago, long_ago))
    writing = write(folder / ".2024-01.pdf.n0wn0w.tmp", "another build's, still writing")
    other = write(folder / ".2024-02.pdf.k1ll3d.tmp", "another issue's")
    os.utime(other, (long_ago, long_ago))
    make_builder(tmp_path / "out").build(series / "2024-01.toml")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["2024-01.pdf", writing.name, other.name]
    )


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_notepad_txt_issue_is_warned_about(series: Path, tmp_path: Path, language: str) -> None:
    (series / "2024-03.toml").rename(series / "2024-03.toml.txt")
    done = bulletin("build", "issues", "-o", "out", "-j", "1", cwd=tmp_path, language=language)
    assert done.returncode == 0
    expected = {
        "en": "issues/faults/2024-03.toml.txt: warning: this looks like an issue file, but its "
        "name does not end in .toml, so it is not built\n"
        "  hint: rename it to 2024-03.toml (in Notepad, save as type “All files”)",
        "zh": "issues/faults/2024-03.toml.txt: 警告: 这像是一期简报的文件，但文件名不以 .toml "
        "结尾，所以不会生成\n  提示：请改名为 2024-03.toml（在记事本中另存时选“所有文件”）",
    }[language]
    assert expected in done.stderr


def test_a_masthead_character_no_font_has_is_placed_at_its_key(
    series: Path, tmp_path: Path, make_builder: Callable[..., Builder]
) -> None:
    """The template prints the masthead without naming its key; the error still names it."""
    issue = series / "2024-01.toml"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(
        text.replace("[masthead]\n", '[masthead]\neditor = "编发\ue000单位"\n'), "utf-8"
    )
    with pytest.raises(BulletinError) as caught:
        make_builder(tmp_path / "out").build(issue)
    (problem,) = [d for d in caught.value.diagnostics if d.is_error]
    assert problem.message == "no font has the character \ue000 (U+E000)"
    assert (problem.file, problem.line, problem.key) == (issue, 2, "masthead.editor")
