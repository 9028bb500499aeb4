"""The `bulletin` command: exit codes, messages with file:line:col and key, output paths."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, Built, issue_toml, two_issue_project, write

from pipeline.app.cli import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with one series of two good issues; the working folder for the test."""
    monkeypatch.chdir(tmp_path)
    return two_issue_project(tmp_path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_build_writes_output_series_folder_stem_pdf(project: Path) -> None:
    code, out, err = run("build")
    assert code == 0, err
    assert (project / "output" / "s" / "2024-01.pdf").read_bytes().startswith(b"%PDF-")
    assert (project / "output" / "s" / "2024-02.pdf").is_file()
    assert "built   issues/s/2024-01.toml → output/s/2024-01.pdf" in out
    assert err == ""


def test_build_into_another_folder_with_o(project: Path) -> None:
    code, _, err = run("build", "issues/s/2024-02.toml", "-o", "elsewhere")
    assert code == 0, err
    assert (project / "elsewhere" / "s" / "2024-02.pdf").is_file()
    assert not (project / "output").exists()


def test_one_failing_issue_does_not_stop_the_others(project: Path) -> None:
    bad = project / "issues" / "s" / "2024-03.toml"
    write(bad, issue_toml(3, "2024-03-05", 12).replace("number = 3", 'number = 3\ntitel = "x"'))
    code, out, err = run("build", "issues")
    assert code == 1
    assert (project / "output" / "s" / "2024-01.pdf").is_file()
    assert (project / "output" / "s" / "2024-02.pdf").is_file()
    assert not (project / "output" / "s" / "2024-03.pdf").exists()
    assert (
        "issues/s/2024-03.toml:3:1: error: unknown key 'titel' [masthead.titel]\n"
        "  hint: did you mean 'title'?"
    ) in err
    assert "failed  issues/s/2024-03.toml" in err
    assert out.count("built   ") == 2
    assert "1 failed" in out


def test_a_failed_build_leaves_the_previous_pdf_byte_identical(project: Path) -> None:
    assert run("build", "issues/s/2024-01.toml")[0] == 0
    pdf = project / "output" / "s" / "2024-01.pdf"
    before = pdf.read_bytes()
    source = project / "issues" / "s" / "2024-01.toml"
    source.write_text(
        source.read_text(encoding="utf-8").replace("date = 2024-01-05", "date = 2024-02-30")
    )
    code, _, err = run("build", "issues/s/2024-01.toml")
    assert code == 1
    assert "issues/s/2024-01.toml:4:8: error: 2024-02-30 is not a real date [masthead.date]" in err
    assert pdf.read_bytes() == before
    assert sorted(p.name for p in pdf.parent.iterdir()) == ["2024-01.pdf"]


def test_every_problem_of_a_file_is_reported_at_once(project: Path) -> None:
    source = project / "issues" / "s" / "2024-01.toml"
    text = source.read_text(encoding="utf-8")
    text = text.replace("number = 1", 'number = "1"').replace(
        'name = "栏目"', 'name = "栏\\u0007目"'
    )
    source.write_text(text, encoding="utf-8")
    code, _, err = run("build", "issues/s/2024-01.toml")
    assert code == 1
    assert "issues/s/2024-01.toml:2:1: error: 'masthead.number' must be a whole number" in err
    assert "issues/s/2024-01.toml:7:1: error: control character U+0007 in" in err


def test_strict_makes_a_warning_fatal(project: Path) -> None:
    write(project / "issues" / "s" / "2024-05.toml", issue_toml(5, "2024-05-05", 12))
    code, _, err = run("build", "issues/s/2024-05.toml")
    assert code == 0
    assert "issues/s/2024-05.toml:2:1: warning: issue numbers of 2024 have a gap" in err
    (project / "output" / "s" / "2024-05.pdf").unlink()
    code, _, err = run("build", "--strict", "issues/s/2024-05.toml")
    assert code == 1
    assert "error: warnings are errors with --strict" in err
    assert not (project / "output" / "s" / "2024-05.pdf").exists()


def test_a_missing_path(project: Path) -> None:
    code, _, err = run("build", "issues/nope.toml")
    assert code == 1
    assert "issues/nope.toml: error: no such file or folder" in err


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--no-such-option"],
        ["no-such-command"],
        ["build", "-o"],
        ["new"],
        ["new", "a", "b"],
    ],
)
def test_usage_errors_exit_2(project: Path, args: list[str]) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert "Usage:" in err or "Error:" in err
    assert not (project / "output").exists()


def test_unknown_template_names_the_key_and_suggests(project: Path) -> None:
    source = project / "issues" / "s" / "2024-01.toml"
    source.write_text('template = "work-buletin"\n' + source.read_text(encoding="utf-8"))
    code, _, err = run("build", "issues/s/2024-01.toml")
    assert code == 1
    assert (
        "issues/s/2024-01.toml:1:1: error: unknown template 'work-buletin' [template]\n"
        "  hint: did you mean 'work-bulletin'?"
    ) in err


# --- a real process: the console script, and the module run by a fresh interpreter -------------


def test_console_script_gives_the_same_bytes_as_the_session_build(
    samples: dict[str, Built], tmp_path: Path
) -> None:
    sample = samples["2024-14"]
    done = subprocess.run(
        ["bulletin", "build", str(sample.source), "-o", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    built = tmp_path / "work-bulletin" / "2024-14.pdf"
    assert built.read_bytes() == sample.result.pdf.read_bytes()


def test_a_fresh_interpreter_reports_and_exits(tmp_path: Path) -> None:
    bad = write(tmp_path / "issues" / "s" / "2024-01.toml", "[masthead]\ntitle = 工作简报\n")
    command = [sys.executable, "-c", "from pipeline.app.cli import main; main()"]
    done = subprocess.run(
        [*command, "build", "issues/s/2024-01.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "2024-01.toml:2:9: error: the text of 'title' needs double quotes" in done.stderr
    assert not (tmp_path / "output").exists()
    usage = subprocess.run(
        [*command, "build", "--bogus"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert usage.returncode == 2
    assert bad.is_file()


def test_the_console_script_says_everything_before_it_ends(project: Path) -> None:
    """A build through the script ends without teardown: its output must still be complete."""
    bad = project / "issues" / "s" / "2024-03.toml"
    write(bad, issue_toml(3, "2024-03-05", 12).replace("number = 3", 'number = 3\ntitel = "x"'))
    command = [sys.executable, "-c", "from pipeline.app.cli import run; run()", "build", "-j", "1"]
    done = subprocess.run(
        command, cwd=project, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 1
    assert done.stdout.count("built   ") == 2
    assert re.search(r"\n3 issues, 2 pages, 1 failed, [\d.]+ s\n$", done.stdout)
    assert "error: unknown key 'titel' [masthead.titel]" in done.stderr
    assert done.stderr.endswith("failed  issues/s/2024-03.toml\n")
    assert (project / "output" / "s" / "2024-02.pdf").read_bytes().endswith(b"%%EOF\n")
    good = subprocess.run(
        [*command, "issues/s/2024-01.toml"], cwd=project, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert (good.returncode, good.stderr) == (0, "")
    assert good.stdout.startswith("built   issues/s/2024-01.toml → output/s/2024-01.pdf")
