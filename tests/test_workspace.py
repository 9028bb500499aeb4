"""`bulletin init`: a new workspace builds at once; a built wheel carries templates and fonts."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from pipeline.app.cli import main
from pipeline.app.workspace import init_workspace
from pipeline.diagnostics import BulletinError
from pipeline.resources import BUNDLED_FONTS_DIR, DEFAULT_TEMPLATES_DIR

TODAY = datetime.date(2026, 12, 1)


def build_in(folder: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """`bulletin build` inside a workspace; the PDF of its first issue."""
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(main, ["build", "-j", "1"])
    assert result.exit_code == 0, result.output
    return (folder / "output" / "work-bulletin" / "2026-01.pdf").read_bytes()


def test_init_writes_a_workspace_that_builds_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = init_workspace(tmp_path / "office", TODAY)
    workspace = tmp_path / "office"
    assert written[-1] == workspace / "issues" / "work-bulletin" / "2026-01.toml"
    for name in ("series.toml", "recipients.toml"):
        assert (workspace / "issues" / "work-bulletin" / name).is_file()
    assert "fonts/" in (workspace / "fonts" / "README.md").read_text(encoding="utf-8")
    copied = sorted(
        p.relative_to(workspace / "templates") for p in written if "templates" in p.parts
    )
    shipped = sorted(
        p.relative_to(DEFAULT_TEMPLATES_DIR) for p in DEFAULT_TEMPLATES_DIR.rglob("*.*")
    )
    assert copied == shipped
    assert "××××" not in "".join(p.read_text("utf-8") for p in written if p.suffix == ".toml")
    assert build_in(workspace, monkeypatch).startswith(b"%PDF")  # as written: nothing to fill in


def test_the_workspace_templates_win_over_the_packaged_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_workspace(tmp_path, TODAY)
    as_copied = build_in(tmp_path, monkeypatch)
    shutil.rmtree(tmp_path / "templates")
    assert build_in(tmp_path, monkeypatch) == as_copied  # the packaged copy serves it the same
    own = tmp_path / "templates" / "work-bulletin"
    shutil.copytree(DEFAULT_TEMPLATES_DIR / "work-bulletin", own)
    template = own / "bulletin.xml.j2"
    template.write_text(
        template.read_text(encoding="utf-8").replace("印发", "印制"), encoding="utf-8"
    )
    assert build_in(tmp_path, monkeypatch) != as_copied


def test_init_refuses_a_folder_that_is_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "issues").mkdir()
    with pytest.raises(BulletinError) as caught:
        init_workspace(tmp_path, TODAY)
    assert caught.value.diagnostics[0].file == tmp_path / "issues"
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_a_wheel_in_a_fresh_venv_inits_and_builds_from_its_own_data(tmp_path: Path) -> None:
    """pip wheel, a fresh venv, pip install the wheel; init and build in an empty folder."""
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*SKIPPED))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(source), "-w"]
    subprocess.run([*run, str(tmp_path / "dist")], check=True, env=env, capture_output=True)
    wheel = next((tmp_path / "dist").glob("*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)]
    subprocess.run(pip, check=True, env=env, capture_output=True)

    empty = tmp_path / "empty"
    empty.mkdir()
    bulletin = str(bin_dir / "bulletin")
    subprocess.run([bulletin, "init", "office"], cwd=empty, check=True, env=env)
    workspace = empty / "office"
    shutil.rmtree(workspace / "templates")  # so the build must find the package's templates
    built = subprocess.run(
        [bulletin, "build"], cwd=workspace, env=env, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    assert len(list((workspace / "output" / "work-bulletin").glob("*-01.pdf"))) == 1
    fonts = subprocess.run(
        [bulletin, "fonts"], cwd=workspace, env=env, capture_output=True, text=True
    )
    installed = venv.resolve()
    found = [line for line in fonts.stdout.splitlines() if "bundled" in line and ".ttf" in line]
    assert found and all(str(installed) in line for line in found), fonts.stdout
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import pipeline.resources as r; print(r.DATA_ROOT)"],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    data = Path(where.stdout.strip())
    assert data.is_relative_to(installed)
    assert sorted(p.name for p in (data / "fonts" / "bundled").iterdir()) == sorted(
        p.name for p in BUNDLED_FONTS_DIR.iterdir() if not p.name.startswith(".")
    )


SKIPPED = (".git", ".venv", "venv", "output", "build", "*.egg-info", "__pycache__", ".*_cache")
