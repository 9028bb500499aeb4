"""`bulletin build` served by a running `bulletin watch`, end to end with real processes.

Every test compares a served build with one in the command's own process
(BULLETIN_BUILD_SERVER=off): the same PDF bytes, the same lines, the same exit status.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fontmaker import MadeFonts
from servehelp import WAIT_S, copy_project

from pipeline.app import buildclient, buildserver
from pipeline.app.buildclient import ServerInfo, ask, info_path, read_info, request_for
from pipeline.files import write_atomically

CLI = [sys.executable, "-c", "from pipeline.app.entry import run; run()"]  # as `bulletin`
W14 = Path("issues/work-bulletin/2024-14.toml")
W13 = Path("issues/work-bulletin/2024-13.toml")
BRIEF = Path("issues/brief-news/2024-07.toml")
SERVED = "for bulletin build"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="signals of POSIX")


class Watch:
    """A `bulletin watch` subprocess in a workspace, its output read as it comes."""

    def __init__(self, root: Path, saying: str = "serving builds: ", **environment: str) -> None:
        self.root = root
        self.environment = {**os.environ, **environment}
        self.process = subprocess.Popen(
            [*CLI, "watch"],
            cwd=root,
            env=self.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(lambda: any(saying in line for line in self.lines))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, condition: object, timeout_s: float = WAIT_S * 3) -> None:
        """Wait until condition() holds (the watch must stay alive meanwhile)."""
        assert callable(condition)
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline, "\n".join(self.lines)
            time.sleep(0.02)

    def served(self) -> int:
        """How many issues this watch built for `bulletin build` so far."""
        return sum(SERVED in line for line in self.lines)

    def info(self) -> ServerInfo:
        found = read_info(info_path(self.root.resolve()))
        assert found is not None
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(WAIT_S)


def build(root: Path, *args: str, served: bool = True, **environment: str) -> Result:
    """`bulletin build ARGS` in the workspace (in its own process unless served)."""
    env = {**os.environ, **environment}
    if not served:
        env["BULLETIN_BUILD_SERVER"] = "off"
    started = time.monotonic()
    done = subprocess.run(
        [*CLI, "build", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    return Result(done, time.monotonic() - started, root)


class Result:
    """What one `bulletin build` printed and wrote."""

    def __init__(self, done: subprocess.CompletedProcess[str], seconds: float, root: Path) -> None:
        self.status, self.seconds = done.returncode, seconds
        self.out, self.err = _timeless(done.stdout), _timeless(done.stderr)
        pdfs = re.findall(r"→ (\S+\.pdf)", done.stdout)  # the PDFs it says it built
        self.pdfs = {pdf: _digest(root / pdf) for pdf in pdfs}

    def same_as(self, other: Result) -> None:
        assert "Traceback" not in self.err + other.err
        assert (self.status, self.out, self.err) == (other.status, other.out, other.err)
        assert self.pdfs == other.pdfs
        assert self.pdfs or self.status != 0  # a build that succeeded names what it wrote


def _timeless(text: str) -> str:
    """Output without its timings (7 pages, 41 ms), which differ from build to build."""
    return re.sub(r"\d+(\.\d+)? ?(ms|s|毫秒|秒)\b", "<t>", text)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "office")


@pytest.fixture
def watch(project: Path) -> Iterator[Watch]:
    running = Watch(project)
    try:
        yield running
    finally:
        running.stop()


def served_and_local(watch: Watch, *args: str, **environment: str) -> tuple[Result, Result]:
    """The same build through the watch and in its own process; asserts the first was served."""
    before = watch.served()
    through = build(watch.root, *args, **environment)
    watch.wait_for(lambda: watch.served() > before)
    local = build(watch.root, *args, served=False, **environment)
    return through, local


def test_a_served_build_writes_and_prints_what_a_build_in_its_own_process_does(
    watch: Watch,
) -> None:
    for args, status in [
        ((str(W14),), 0),
        ((str(W13), "-o", "output"), 0),
        (("issues/brief-news", "--strict"), 1),  # a warning, made an error
    ]:
        through, local = served_and_local(watch, *args)
        through.same_as(local)
        assert through.status == status
    # arguments that the console script leaves to click: `cli`'s build asks the server
    through, local = served_and_local(watch, str(W14), "--output=output")
    through.same_as(local)
    # a folder of several issues: one line each, then the summary
    through, local = served_and_local(watch, "issues/work-bulletin")
    through.same_as(local)
    assert "issues, " in through.out


def test_a_build_from_another_folder_names_its_files_as_in_its_own_process(
    watch: Watch,
) -> None:
    series = watch.root / "issues" / "work-bulletin"
    for args in [("2024-14.toml",), ("2024-14.toml", "-o", "../../output"), ("../brief-news",)]:
        before = watch.served()
        through = build(series, *args)
        watch.wait_for(lambda: watch.served() > before)  # noqa: B023
        through.same_as(build(series, *args, served=False))
        assert through.status == 0


def test_a_failed_build_and_its_problems_are_the_same_served(watch: Watch) -> None:
    issue = watch.root / W14
    issue.write_text(
        issue.read_text(encoding="utf-8").replace("[masthead]", '[masthead]\ntitel = "x"', 1),
        encoding="utf-8",
    )
    through, local = served_and_local(watch, str(W14))
    through.same_as(local)
    assert through.status == 1 and "unknown key 'titel'" in through.err


def test_an_edit_just_before_a_build_is_in_the_served_pdf(watch: Watch) -> None:
    first = build(watch.root, str(W14))
    issue = watch.root / W14
    issue.write_text(issue.read_text(encoding="utf-8").replace("我省", "全省"), encoding="utf-8")
    through, local = served_and_local(watch, str(W14))  # before the watcher rebuilt it, or after
    through.same_as(local)
    assert through.pdfs != first.pdfs


def test_changed_templates_styles_series_address_books_and_fonts_are_seen(
    watch: Watch, made: MadeFonts
) -> None:
    """Each change alters the PDF (or its warnings); served and local agree after each."""
    root = watch.root
    changes = [
        ("templates/brief-news/style.toml", "cmyk = [0, 1, 1, 0]", "cmyk = [0, 1, 1, 0.1]"),
        ("issues/brief-news/series.toml", "copies = 40", 'copies = "auto"'),
        ("issues/brief-news/recipients.toml", "copies = 8", "copies = 9"),
        (
            "templates/brief-news/bulletin.xml.j2",
            "（共印{{ copies }}份）",
            "（共印 {{ copies }} 份）",
        ),
    ]
    previous = build(root, str(BRIEF))
    for name, old, new in changes:
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        through, local = served_and_local(watch, str(BRIEF))
        through.same_as(local)
        assert through.pdfs != previous.pdfs, name
        previous = through
    (root / "fonts" / "broken.ttf").write_bytes(b"not a font")
    through, local = served_and_local(watch, str(BRIEF))
    through.same_as(local)
    assert "broken.ttf" in through.err
    shutil.copy(made.fangsong_gb2312, root / "fonts")  # the body's first family: now used
    through, local = served_and_local(watch, str(BRIEF))
    through.same_as(local)
    assert through.pdfs != previous.pdfs


def test_a_build_of_another_language_or_environment_is_built_by_itself(watch: Watch) -> None:
    before = watch.served()
    chinese = build(watch.root, str(W14), BULLETIN_LANG="zh")
    elsewhere = build(watch.root, str(W14), BULLETIN_NO_SYSTEM_FONTS="0")
    assert chinese.status == 0 and chinese.out.startswith("已生成")
    assert elsewhere.status == 0
    build(watch.root, str(W14))  # a marker: served, so the two before were seen by now
    watch.wait_for(lambda: watch.served() == before + 1)
    local = build(watch.root, str(W14), served=False, BULLETIN_LANG="zh")
    assert chinese.out == local.out and chinese.pdfs == local.pdfs


def test_the_server_declines_what_a_fresh_process_would_build_differently(watch: Watch) -> None:
    info = watch.info()
    root = watch.root
    base = request_for([root / W14], None, False, None, False)
    declined = {
        "another code version": {"version": "0" * 32},
        "another environment": {"environment": {"BULLETIN_X": "1"}},
        "another cache folder": {"cache": str(root / "elsewhere")},
        "another language": {"language": "zh"},
        "another user or umask": {"user": (buildclient.process_user()[0], 0o077)},
        "no issues": {"paths": [str(root / "fonts")]},
        "another workspace": {"paths": [str(root.parent)]},
        "another output folder": {"output": str(root / "out")},
        "another --ofd": {"ofd": True},
        "-j": {"paths": ["issues/work-bulletin"], "cwd": str(root), "jobs": 2},
    }
    for reason, changed in declined.items():
        reply = ask(info, {**base, **changed})
        assert reply is not None and reply.status is None and reply.reason == reason
    reply = ask(info, base)
    assert reply is not None and reply.status == 0


def test_a_wrong_secret_gets_no_answer_and_no_build(watch: Watch) -> None:
    info = watch.info()
    before = watch.served()
    forged = info._replace(secret=os.urandom(32))
    assert ask(forged, request_for([watch.root / W14], None, False, None, False)) is None
    assert ask(info, request_for([watch.root / W14], None, False, None, False)) is not None
    watch.wait_for(lambda: watch.served() == before + 1)  # only the second was built
    assert watch.served() == before + 1


def test_another_code_version_in_the_info_file_is_never_asked(watch: Watch) -> None:
    info_file = info_path(watch.root.resolve())
    info = watch.info()
    info_file.write_text(info._replace(version="f" * 32).text(), encoding="utf-8")
    before = watch.served()
    result = build(watch.root, str(W14))
    result.same_as(build(watch.root, str(W14), served=False))
    info_file.write_text(info.text(), encoding="utf-8")
    build(watch.root, str(W14))
    watch.wait_for(lambda: watch.served() == before + 1)


def test_concurrent_builds_while_the_watcher_rebuilds_are_all_right(watch: Watch) -> None:
    issue = watch.root / W13
    results: list[Result] = []

    def client() -> None:
        results.append(build(watch.root, str(W13)))

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    for n in range(3):  # the watcher rebuilds the issue meanwhile
        # Saved whole, as an editor's safe save does: a file truncated and then written in place
        # could be read half-written by any build, served or not, and fail it.
        text = issue.read_text(encoding="utf-8") + f"\n# {n}\n"
        write_atomically(issue, text.encode("utf-8"))
        time.sleep(0.1)
    for thread in clients:
        thread.join(120)
    local = build(watch.root, str(W13), served=False)
    final = build(watch.root, str(W13))
    final.same_as(local)
    assert [r.status for r in results] == [0] * 4, [r.err for r in results if r.status]
    assert all(r.pdfs == local.pdfs for r in results)  # comments do not change the PDF


def test_a_dead_servers_socket_and_a_hung_server_are_built_around(project: Path) -> None:
    watch = Watch(project)
    try:
        local = build(project, str(W14), served=False)
        watch.process.send_signal(signal.SIGSTOP)  # hung: accepts, never answers
        hung = build(project, str(W14))
        hung.same_as(local)
        assert hung.seconds < local.seconds + buildclient.ANSWER_S + 5
        watch.process.kill()  # dead: its socket file and .info stay behind
        watch.process.wait()
        assert info_path(project.resolve()).exists()
        dead = build(project, str(W14))
        dead.same_as(local)
    finally:
        watch.stop()


PROC = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")


def _wait_for_socket(pid: int) -> None:
    """Wait until the process holds a socket open (Linux: its /proc entry)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        with contextlib.suppress(OSError):
            fds = Path(f"/proc/{pid}/fd").iterdir()
            if any(os.readlink(fd).startswith("socket:") for fd in fds):
                return
        assert time.monotonic() < deadline
        time.sleep(0.01)


@PROC
def test_a_server_killed_while_a_build_waits_leaves_no_half_written_pdf(project: Path) -> None:
    watch = Watch(project)
    try:
        local = build(project, str(W14), served=False)
        watch.process.send_signal(signal.SIGSTOP)
        client = subprocess.Popen(
            [*CLI, "build", str(W14)], cwd=project, stdout=subprocess.PIPE, text=True
        )
        _wait_for_socket(client.pid)  # the request is sent and waits for its answer
        watch.process.kill()
        out, _ = client.communicate(timeout=120)
        assert client.returncode == 0 and _timeless(out) == local.out
        assert (
            _digest(project / "output/work-bulletin/2024-14.pdf")
            == local.pdfs["output/work-bulletin/2024-14.pdf"]
        )
    finally:
        watch.stop()


def test_builds_are_served_over_loopback_tcp_too(project: Path) -> None:
    watch = Watch(project, BULLETIN_BUILD_SERVER="tcp")
    try:
        assert watch.info().transport == "tcp"
        through, local = served_and_local(watch, str(W14))
        through.same_as(local)
    finally:
        watch.stop()
    assert not info_path(project.resolve()).exists()  # a stopped server removes its .info


def test_a_second_watch_leaves_the_builds_to_the_first_unless_its_code_is_older(
    watch: Watch,
) -> None:
    other = Watch(watch.root, "served by another bulletin process")
    other.stop()
    info_file = info_path(watch.root.resolve())
    info_file.write_text(watch.info()._replace(version="f" * 32).text(), encoding="utf-8")
    newer = Watch(watch.root)  # the first runs code older than this one: this one serves
    try:
        assert newer.info().pid == newer.process.pid
        through, local = served_and_local(newer, str(W14))
        through.same_as(local)
    finally:
        newer.stop()


def test_serve_serves_builds_too(project: Path) -> None:
    serve = subprocess.Popen(
        [*CLI, "serve", "--port", "0"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert serve.stdout is not None
        for line in serve.stdout:
            if line.startswith("serving builds: "):
                break
        through = build(project, str(W14))
        assert SERVED in serve.stdout.readline()
        through.same_as(build(project, str(W14), served=False))
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.communicate(timeout=WAIT_S)


def test_a_served_build_never_imports_the_command_line_or_the_build(watch: Watch) -> None:
    script = (
        "import atexit, sys; from pipeline.app.entry import run; "
        "atexit.register(lambda: print(sorted(m for m in sys.modules if m in "
        "('pipeline.app.cli', 'pipeline.build')), file=sys.stderr)); run()"
    )
    before = watch.served()
    done = subprocess.run(
        [sys.executable, "-c", script, "build", str(W14)],
        cwd=watch.root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.startswith("built   ")
    assert done.stderr.splitlines()[-1] == "[]"
    watch.wait_for(lambda: watch.served() == before + 1)


@PROC
def test_ctrl_c_while_a_served_build_is_awaited_ends_as_in_its_own_process(
    watch: Watch,
) -> None:
    watch.process.send_signal(signal.SIGSTOP)  # the answer does not come
    try:
        client = subprocess.Popen(
            [*CLI, "build", str(W14)], cwd=watch.root, stderr=subprocess.PIPE, text=True
        )
        _wait_for_socket(client.pid)  # it connected and waits for the answer
        client.send_signal(signal.SIGINT)
        _, err = client.communicate(timeout=WAIT_S)
    finally:
        watch.process.send_signal(signal.SIGCONT)
    assert client.returncode == 1
    assert err.endswith("\nAborted!\n") and "Traceback" not in err


def test_a_font_installed_in_the_systems_folders_changes_the_state_compared(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(buildserver, "system_font_dirs", lambda: [tmp_path])
    monkeypatch.setenv("BULLETIN_NO_SYSTEM_FONTS", "0")
    (tmp_path / "truetype").mkdir()
    before = buildserver.system_fonts_state()
    assert buildserver.system_fonts_state() == before
    time.sleep(0.01)
    (tmp_path / "truetype" / "new.ttf").write_bytes(b"x")
    assert buildserver.system_fonts_state() != before
    monkeypatch.setenv("BULLETIN_NO_SYSTEM_FONTS", "1")
    assert buildserver.system_fonts_state() == ()
