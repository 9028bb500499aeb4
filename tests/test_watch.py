"""Tests for the watcher: a real watchdog observer on a temporary copy of the sample project."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pdfplumber
import pytest

from pipeline.app.watch import ECHO_S, Rebuild, Watcher, WatchListener
from pipeline.app.watch_events import is_ignored
from pipeline.app.watch_plan import Change
from pipeline.app.watch_status import StatusLines
from pipeline.build import Builder
from pipeline.fonts.chains import FontLibrary
from pipeline.fonts.find import ScanningCatalog

ROOT = Path(__file__).resolve().parent.parent
WAIT_S = 10.0  # how long to wait for an expected build on a loaded machine
SETTLE_S = 0.6  # after the expected builds, how long to wait for unexpected ones
CLOCK = datetime(2024, 7, 24, 12, 3, 4)
W13, W14, B07 = "work-bulletin/2024-13", "work-bulletin/2024-14", "brief-news/2024-07"
W15 = "work-bulletin/2024-15"  # the sample with a photo and a table


@pytest.fixture(scope="module")
def fonts() -> FontLibrary:
    """One font library for the module, so each watcher starts warm."""
    return FontLibrary()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the sample project: two series, two templates, an empty fonts/."""
    for folder in ("issues", "templates"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "fonts").mkdir()
    return tmp_path


class Recorder(WatchListener):
    """Keeps every rebuild a watcher reports."""

    def __init__(self) -> None:
        self.rebuilds: list[Rebuild] = []

    def rebuilt(self, rebuild: Rebuild) -> None:
        self.rebuilds.append(rebuild)


class Session:
    """A running watcher with the lines it printed and the rebuilds it reported."""

    def __init__(self, root: Path, builder: Builder) -> None:
        self.root = root
        self.lines: list[str] = []
        self.recorder = Recorder()
        self.outcomes = self.recorder.rebuilds
        status = StatusLines(echo=self.lines.append, clock=lambda: CLOCK, relative_to=root)
        self.watcher = Watcher(builder, [root / "issues"], [status, self.recorder])
        self.mark = 0

    @property
    def statuses(self) -> list[str]:
        """The printed lines without warnings (the samples' rare characters come from fallbacks)."""
        return [line for line in self.lines if ": warning: " not in line]

    def issue(self, name: str) -> Path:
        return (self.root / "issues" / f"{name}.toml").resolve()

    def pdf(self, name: str) -> Path:
        return self.root / "output" / f"{name}.pdf"

    def new(self) -> list[Rebuild]:
        """Rebuilds since the first build of everything (or since the last `forget`)."""
        return self.outcomes[self.mark :]

    def forget(self) -> None:
        self.mark = len(self.outcomes)

    def wait_for(self, done: Callable[[list[Rebuild]], bool]) -> list[Rebuild]:
        """Poll until `done` holds for the new outcomes, then let stray builds show up."""
        deadline = time.monotonic() + WAIT_S
        while not done(self.new()):
            assert time.monotonic() < deadline, f"timed out; outcomes: {self.summary()}"
            time.sleep(0.01)
        time.sleep(SETTLE_S)
        return self.new()

    def summary(self) -> list[tuple[str, str]]:
        return [
            (o.issue.relative_to(self.root / "issues").with_suffix("").as_posix(), o.status)
            for o in self.new()
        ]


@pytest.fixture
def session(project: Path, fonts: FontLibrary) -> Iterator[Session]:
    """A watcher on the project, started, with its first build of everything done."""
    builder = Builder(project)
    fonts.catalog = ScanningCatalog(project, system_dirs=[], use_cache=False)  # this fonts/
    builder.fonts = fonts
    running = Session(project, builder)
    with running.watcher:
        assert running.watcher.wait_ready(60)
        running.forget()
        yield running


def edit(path: Path, old: str, new: str) -> None:
    """Save in place (open, truncate, write, close), like most editors."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pdf.pages))


@pytest.mark.parametrize(
    "name",
    [
        "output/work-bulletin/2024-14.pdf",
        "issues/.hidden.toml",
        "issues/a/.2024-14.toml.swp",
        ".2024-14.toml.swx",
        "2024-14.toml.swo",
        "2024-14.toml~",
        ".#2024-14.toml",
        "#2024-14.toml#",
        "4913",
        "2024-14.toml.tmp",
        "font.ttf.part",
        "font.ttf.crdownload",
        "2024-14.toml___jb_tmp___",
        "2024-14.toml___jb_old___",
        ".git/index",
    ],
)
def test_noise_is_ignored(name: str) -> None:
    root = Path("/p")
    assert is_ignored(root / name, root / "output", root)


@pytest.mark.parametrize(
    "name",
    [
        "issues/work-bulletin/2024-14.toml",
        "issues/work-bulletin/series.toml",
        "templates/work-bulletin/bulletin.xml.j2",
        "templates/work-bulletin/style.toml",
        "fonts/FZXiaoBiaoSong.ttf",
    ],
)
def test_sources_are_not_ignored(name: str) -> None:
    root = Path("/p")
    assert not is_ignored(root / name, root / "output", root)


def test_first_build_of_everything(session: Session) -> None:
    assert [line[:10] for line in session.statuses[:4]] == ["12:03:04  "] * 4
    assert all("  built  " in line for line in session.statuses[:4])
    for name in (W13, W14, W15, B07):
        assert session.pdf(name).read_bytes().startswith(b"%PDF")
    assert session.statuses[4].startswith("watching issues/, templates/, fonts/")


def test_edit_rebuilds_that_issue_and_pdf_is_never_partial(session: Session) -> None:
    pdf = session.pdf(W14)
    seen: list[bytes] = []
    stop = threading.Event()

    def viewer() -> None:  # a PDF viewer that reloads as fast as it can
        while not stop.is_set():
            seen.append(pdf.read_bytes()[-8:] if pdf.stat().st_size else b"")
            time.sleep(0.001)

    reader = threading.Thread(target=viewer)
    reader.start()
    try:
        edit(session.issue(W14), "我省扎实推进地方志数字化建设", "全省推进方志数字化第七次会议")
        outcomes = session.wait_for(lambda new: len(new) >= 1)
    finally:
        stop.set()
        reader.join()
    assert session.summary() == [(W14, "built")]
    assert outcomes[0].trigger == session.issue(W14)
    assert "全省推进方志数字化第七次会议" in pdf_text(pdf)
    assert seen and all(b"%%EOF" in tail for tail in seen)
    assert re.fullmatch(
        r"12:03:04  issues/work-bulletin/2024-14\.toml  built  \d+ pages  \d+ ms(  \(1 warning\))?",
        session.statuses[-1],
    )


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("number = 14", "number = ", "malformed TOML"),
        ("number = 14", "numbr = 14", "unknown key"),
    ],
)
def test_bad_edit_keeps_the_pdf_and_the_fix_rebuilds(
    session: Session, old: str, new: str, error: str
) -> None:
    pdf, issue = session.pdf(W14), session.issue(W14)
    good, before = issue.read_text(encoding="utf-8"), pdf.read_bytes()
    inode = pdf.stat().st_ino
    edit(issue, old, new)
    session.wait_for(lambda new: len(new) >= 1)
    assert session.summary() == [(W14, "failed")]
    assert pdf.read_bytes() == before and pdf.stat().st_ino == inode
    status = next(line for line in session.lines if "failed" in line)
    kept = r"  \(the last good PDF is kept\)"
    assert re.search(r"2024-14\.toml  failed \(\d+ errors?\)  \d+ ms" + kept, status)
    assert any(
        line.startswith("issues/work-bulletin/2024-14.toml:") and error in line
        for line in session.lines
    )
    issue.write_text(good, encoding="utf-8")
    session.wait_for(lambda new: len(new) >= 2)
    assert session.summary() == [(W14, "failed"), (W14, "built")]
    assert pdf.read_bytes().startswith(b"%PDF")


def test_rapid_saves_coalesce(session: Session) -> None:
    issue = session.issue(W14)
    text = issue.read_text(encoding="utf-8")
    for n in range(20):
        issue.write_text(
            text.replace("我省扎实推进地方志数字化建设", f"数字化建设第{n}次推进"), encoding="utf-8"
        )
        time.sleep(0.002)
    outcomes = session.wait_for(lambda new: len(new) >= 1)
    time.sleep(SETTLE_S)
    assert 1 <= len(session.new()) <= 2, session.summary()
    assert {o.issue for o in outcomes} == {issue}
    # Each save truncates the file and writes it again (as Notepad does): on a loaded machine a
    # build can read it half-written and fail; the save that completes it is built after it.
    assert session.new()[-1].status == "built", session.summary()
    assert "数字化建设第19次推进" in pdf_text(session.pdf(W14))


def _temp_and_rename(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def _jetbrains(path: Path, text: str) -> None:
    temporary, old = (path.with_name(path.name + s) for s in ("___jb_tmp___", "___jb_old___"))
    temporary.write_text(text, encoding="utf-8")
    os.replace(path, old)
    os.replace(temporary, path)
    old.unlink()


def _vim(path: Path, text: str) -> None:
    (path.parent / "4913").write_text("")
    (path.parent / "4913").unlink()
    swap = path.with_name(f".{path.name}.swp")
    swap.write_text("swap")
    backup = path.with_name(path.name + "~")
    os.replace(path, backup)
    path.write_text(text, encoding="utf-8")
    backup.unlink()
    swap.unlink()


@pytest.mark.parametrize("save", [_temp_and_rename, _jetbrains, _vim])
def test_rename_saves_are_one_build(session: Session, save: Callable[[Path, str], None]) -> None:
    issue = session.issue(W14)
    save(issue, issue.read_text(encoding="utf-8").replace("我省扎实推进", "全省加快推进"))
    session.wait_for(lambda new: len(new) >= 1)
    assert session.summary() == [(W14, "built")]
    assert "全省加快推进" in pdf_text(session.pdf(W14))
    assert not any("deleted" in line for line in session.lines)


def test_template_edit_rebuilds_exactly_its_dependents(session: Session) -> None:
    style = session.root / "templates" / "brief-news" / "style.toml"
    style.write_text(style.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    session.wait_for(lambda new: len(new) >= 1)
    assert session.summary() == [(B07, "built")]
    assert session.statuses[-1].startswith("12:03:04  templates/brief-news/style.toml → issues/")

    session.forget()
    template = session.root / "templates" / "work-bulletin" / "bulletin.xml.j2"
    good = template.read_text(encoding="utf-8")
    before = {name: session.pdf(name).read_bytes() for name in (W13, W14)}
    template.write_text(good + "{% if %}", encoding="utf-8")
    session.wait_for(lambda new: len(new) >= 3)
    assert sorted(session.summary()) == [(W13, "failed"), (W14, "failed"), (W15, "failed")]
    assert {name: session.pdf(name).read_bytes() for name in (W13, W14)} == before
    assert any("template error" in line for line in session.lines)

    session.forget()
    template.write_text(good, encoding="utf-8")
    session.wait_for(lambda new: len(new) >= 3)
    assert sorted(session.summary()) == [(W13, "built"), (W14, "built"), (W15, "built")]


def test_series_edit_rebuilds_its_series(session: Session) -> None:
    series = session.root / "issues" / "brief-news" / "series.toml"
    edit(series, "copies = 40", "copies = 45")
    session.wait_for(lambda new: len(new) >= 1)
    assert session.summary() == [(B07, "built")]


def test_saving_a_photo_rebuilds_the_issue_that_shows_it(session: Session) -> None:
    from PIL import Image

    photo = session.root / "issues" / "work-bulletin" / "photos" / "2024-15-1.jpg"
    Image.new("RGB", (600, 400), (200, 40, 40)).save(photo)
    session.wait_for(lambda new: len(new) >= 1)
    assert session.summary() == [(W15, "built")]


def test_font_change_rebuilds_everything(session: Session) -> None:
    (session.root / "fonts" / "README.txt").write_text("not a font")
    time.sleep(SETTLE_S)
    assert session.new() == []
    (session.root / "fonts" / "Extra.ttf").write_bytes(b"not really a font")
    session.wait_for(lambda new: len(new) >= 4)
    assert sorted(issue for issue, _ in session.summary()) == [B07, W13, W14, W15]


def test_new_issue_is_built_and_deleted_one_keeps_its_pdf(session: Session) -> None:
    issue = session.root / "issues" / "work-bulletin" / "2024-16.toml"
    text = session.issue(W14).read_text(encoding="utf-8")
    text = text.replace("number = 14", "number = 16").replace("total = 236", "total = 238")
    issue.write_text(text, encoding="utf-8")
    session.wait_for(lambda new: len(new) >= 1)
    assert session.summary() == [("work-bulletin/2024-16", "built")]
    pdf = session.pdf("work-bulletin/2024-16")
    assert pdf.exists()
    issue.unlink()
    session.wait_for(lambda new: len(new) >= 2)
    assert session.summary()[-1] == ("work-bulletin/2024-16", "deleted")
    assert pdf.exists()
    assert session.statuses[-1] == (
        "12:03:04  issues/work-bulletin/2024-16.toml  deleted; "
        "its PDF is kept: output/work-bulletin/2024-16.pdf"
    )


def test_an_issue_failed_by_a_sibling_is_retried_when_the_sibling_changes(session: Session) -> None:
    twin = session.root / "issues" / "work-bulletin" / "2024-16.toml"
    twin.write_text(session.issue(W13).read_text(encoding="utf-8"), encoding="utf-8")
    session.wait_for(lambda new: len(new) >= 1)
    assert session.summary() == [("work-bulletin/2024-16", "failed")]  # number 13 used twice
    session.forget()
    text = session.issue(W13).read_text(encoding="utf-8")
    session.issue(W13).write_text(
        text.replace("number = 13", "number = 12").replace("total = 235", "total = 234"),
        encoding="utf-8",
    )
    session.wait_for(lambda new: len(new) >= 2)
    assert sorted(session.summary()) == [(W13, "built"), ("work-bulletin/2024-16", "built")]


def test_a_crash_in_one_build_does_not_stop_the_watcher(session: Session) -> None:
    builder = session.watcher.builder
    real = builder.build
    calls: list[Path] = []

    def flaky(path: Path, strict: bool = False) -> object:
        calls.append(path)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return real(path, strict)

    builder.build = flaky  # type: ignore[method-assign, assignment]
    issue = session.issue(W14)
    edit(issue, "number = 14", "number = 14  # first")
    session.wait_for(lambda new: len(new) >= 1)
    assert session.summary() == [(W14, "failed")]
    assert any("internal error: RuntimeError: boom" in line for line in session.lines)
    edit(issue, "# first", "# second")
    session.wait_for(lambda new: len(new) >= 2)
    assert session.summary()[-1] == (W14, "built")


def test_stop_during_a_build_leaves_no_partial_file(session: Session) -> None:
    edit(session.issue(W14), "number = 14", "number = 14  # edited")
    time.sleep(0.07)  # the quiet period is over: the build is under way
    started = time.monotonic()
    session.watcher.stop()
    assert time.monotonic() - started < 5
    leftovers = [p.name for p in (session.root / "output").rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_stop_waits_for_the_build_in_progress(project: Path, fonts: FontLibrary) -> None:
    builder = Builder(project)
    builder.fonts = fonts
    entered, release = threading.Event(), threading.Event()
    real = builder.build

    def held(path: Path, strict: bool = False) -> object:
        entered.set()
        release.wait(WAIT_S)
        return real(path, strict)

    builder.build = held  # type: ignore[method-assign, assignment]
    recorder = Recorder()
    watcher = Watcher(builder, [project / "issues" / f"{W14}.toml"], [recorder])
    watcher.start()
    assert entered.wait(WAIT_S)
    stopper = threading.Thread(target=watcher.stop)
    stopper.start()
    stopper.join(0.3)
    assert stopper.is_alive(), "stop() returned while a build was under way"
    release.set()
    stopper.join(WAIT_S)
    assert not stopper.is_alive()
    assert [r.status for r in recorder.rebuilds] == ["built"]  # finished before stop() returned


def test_cli_watch_stops_cleanly_on_ctrl_c(project: Path) -> None:
    command = [sys.executable, "-c", "from pipeline.app.cli import main; main()", "watch"]
    process = subprocess.Popen(
        command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("watching"):
                break
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT_S)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "Traceback" not in err
    assert out.strip().endswith("stopped")
    assert sum("built" in line for line in lines) == 4


def test_a_save_and_its_echo_are_one_build_and_a_later_change_builds_again(
    session: Session,
) -> None:
    issue = session.issue(W14)
    text = issue.read_text(encoding="utf-8").replace("我省扎实推进", "全省加快推进")
    issue.write_text(text, encoding="utf-8")
    os.chmod(issue, 0o644)  # as vim does after closing the file: its attributes, no write
    session.wait_for(lambda new: len(new) >= 1)
    assert session.summary() == [(W14, "built")]
    os.chmod(issue, 0o644)  # later: a chmod that may make it readable again is built
    session.wait_for(lambda new: len(new) >= 2)
    issue.write_text(text, encoding="utf-8")  # saved again unchanged: built, as asked
    session.wait_for(lambda new: len(new) >= 3)
    assert session.summary() == [(W14, "built")] * 3


def test_an_echo_is_a_change_of_attributes_that_came_during_or_just_after_a_rebuild(
    project: Path, fonts: FontLibrary
) -> None:
    builder = Builder(project)
    builder.fonts = fonts
    watcher = Watcher(builder, [project / "issues"])
    issue = (project / "issues" / f"{W14}.toml").resolve()
    now = time.monotonic()
    watcher._built_s = now + 0.1  # a rebuild ended after the event came
    assert watcher._echo(Change(issue, True, now + 0.05, attributes_only=True))
    assert watcher._echo(Change(issue, True, now + 0.1 + ECHO_S, attributes_only=True))
    assert not watcher._echo(Change(issue, True, now + 0.2 + ECHO_S, attributes_only=True))
    assert not watcher._echo(Change(issue, True, now + 0.05))  # written: always built
    assert not watcher._echo(Change(issue, True, attributes_only=True))  # when unknown
