"""The build server of `watch` and `serve`: `bulletin build` of the workspace by the warm Builder.

Once the watcher's first build of everything is done, it listens where `buildclient` looks
(that module says how it is found and trusted). A request is built only when a fresh process
would build exactly the same: the same code version, workspace, cache folder, BULLETIN_* and
RL_* settings, message language, output folder and --ofd, and system font folders unchanged
since the watcher looked at them; at most PROGRESS_FROM - 1 issues, and no `-j N` batch. Else
it is declined and the command builds in its own process. The Builder is used by one thread at
a time (the watcher's lock), so a request waits for a rebuild in progress and the other way
round; every cache the Builder keeps compares the files it was made from, as a rebuild does.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from pipeline.app.batch import IssueBuild, Summary, build_sequential
from pipeline.app.build_report import PROGRESS_FROM, outcome_line
from pipeline.app.buildclient import (
    SWITCH,
    UNIX_PATH_MAX,
    Line,
    ServerInfo,
    build_environment,
    code_version,
    connect,
    endpoint_dir,
    info_path,
    process_user,
    read_frame,
    read_info,
    send_frame,
    switched_off,
)
from pipeline.app.console import EXIT_FAILED, EXIT_OK, shown
from pipeline.app.watch import STOP_JOIN_S, Watcher, WatchListener
from pipeline.build import find_issue_files
from pipeline.diagnostics import Diagnostic
from pipeline.files import cache_dir, find_project_root, write_atomically
from pipeline.fonts.find import system_fonts_disabled
from pipeline.fonts.folders import system_font_dirs
from pipeline.i18n import _, language
from pipeline.source.series import misnamed_issue_files

HEARTBEAT_S = 0.25  # "wait" this often while building, so the client knows it is alive
READ_S = 5.0  # a connection that sends no whole request this soon is dropped


def system_fonts_state() -> tuple[tuple[str, int], ...]:
    """The system font folders and every folder below them with its mtime: a font installed
    or removed changes one. Empty when BULLETIN_NO_SYSTEM_FONTS leaves them alone."""
    if system_fonts_disabled():
        return ()
    state = []
    for top in system_font_dirs():
        for folder, dirs, _files in os.walk(top):
            dirs.sort()
            with contextlib.suppress(OSError):
                state.append((folder, os.stat(folder).st_mtime_ns))
    return tuple(state)


class BuildServer(WatchListener):
    """Builds what `bulletin build` in this workspace asks, with the watcher's Builder."""

    def __init__(
        self,
        watcher: Watcher,
        echo: Callable[[str], None],
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.watcher, self.builder = watcher, watcher.builder
        self._echo, self._clock = echo, clock
        # What this process's builds depend on, as it was when it started.
        self.version = code_version()
        self.environment = build_environment()
        self.cache = str(cache_dir())
        self.language = language()
        self.cwd = Path.cwd()
        self.user = process_user()
        self.system_fonts = system_fonts_state()
        self.info: ServerInfo | None = None
        self._listener: socket.socket | None = None
        self._socket_file: Path | None = None
        self._stopping = threading.Event()

    # -- life cycle ---------------------------------------------------------------------------

    def watching(self, folders: Sequence[Path], issues: int) -> None:
        """The first build is done: serve from now on (unless switched off or served already)."""
        if self._listener is None and not switched_off():
            self.start()

    def start(self) -> bool:
        """Listen and write the .info file; False when another server has this workspace."""
        info_file = info_path(self.watcher.root)
        other = read_info(info_file)
        # One of another code version serves nobody that runs this code: this one takes over.
        if other is not None and other.version == self.version and _answers(other):
            self._echo(
                _(
                    "builds of this workspace are served by another bulletin process ({pid})",
                    pid=other.pid,
                )
            )
            return False
        try:
            folder = endpoint_dir()
            folder.mkdir(parents=True, exist_ok=True)
            if sys.platform != "win32":
                folder.chmod(0o700)
            self._listener, transport, address = self._listen(info_file.with_suffix(".sock"))
            self.info = ServerInfo(os.getpid(), self.version, transport, address, os.urandom(32))
            write_atomically(info_file, self.info.text().encode("utf-8"), private=True)
        except OSError as exc:
            self.stop()
            self._echo(_("builds are not served from here: {reason}", reason=exc.strerror or exc))
            return False
        threading.Thread(target=self._accept, name="bulletin-build-server", daemon=True).start()
        self._echo(
            _(
                "serving builds: bulletin build in this workspace is built by this process "
                "while it runs, with its fonts and templates loaded ({switch}=off turns it off)",
                switch=SWITCH,
            )
        )
        return True

    def stop(self) -> None:
        """Stop listening and remove the .info file and the socket (if they are still ours)."""
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
        # A served build under way finishes first: its client gets its answer, no file is left.
        if self.watcher.lock.acquire(timeout=STOP_JOIN_S):
            self.watcher.lock.release()
        info_file = info_path(self.watcher.root)
        if self.info is not None and read_info(info_file) == self.info:
            with contextlib.suppress(OSError):  # on Windows, a client reading it holds it
                info_file.unlink(missing_ok=True)
            if self._socket_file is not None:
                with contextlib.suppress(OSError):
                    self._socket_file.unlink(missing_ok=True)

    def _listen(self, socket_file: Path) -> tuple[socket.socket, str, str]:
        """A listening socket: AF_UNIX (0600) where it can be, else loopback TCP."""
        unix = hasattr(socket, "AF_UNIX") and sys.platform != "win32"
        tcp_asked = os.environ.get(SWITCH, "").strip().lower() == "tcp"
        if unix and not tcp_asked and len(os.fsencode(socket_file)) <= UNIX_PATH_MAX:
            socket_file.unlink(missing_ok=True)  # a dead server's: nobody answered on it
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.bind(str(socket_file))
                socket_file.chmod(0o600)
                sock.listen(16)
            except OSError:
                sock.close()
                raise
            self._socket_file = socket_file
            return sock, "unix", str(socket_file)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", 0))
            sock.listen(16)
        except OSError:
            sock.close()
            raise
        return sock, "tcp", str(sock.getsockname()[1])

    def _accept(self) -> None:
        assert self._listener is not None
        self._listener.settimeout(HEARTBEAT_S)
        while not self._stopping.is_set():
            try:
                conn, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by stop()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    # -- one request --------------------------------------------------------------------------

    def _serve(self, conn: socket.socket) -> None:
        """Read one request; decline it, or build it saying "wait" meanwhile, and reply."""
        assert self.info is not None
        secret = self.info.secret
        with conn:
            conn.settimeout(READ_S)
            try:
                request = read_frame(conn, secret)
            except (OSError, EOFError, ValueError, TypeError):
                return  # not from a client holding the secret: no answer at all
            if not isinstance(request, dict) or not isinstance(request.get("nonce"), bytes):
                return
            nonce: bytes = request["nonce"]
            sending = threading.Lock()

            def reply(message: object) -> None:
                with sending:
                    send_frame(conn, secret, message, nonce)

            with contextlib.suppress(OSError):  # the client went away: it builds itself
                try:
                    plan = self._plan(request)
                except (KeyError, TypeError, ValueError):
                    plan = "malformed request"
                if isinstance(plan, str):
                    reply(("declined", plan))
                    return
                reply(("accepted",))
                done = threading.Event()
                beat = threading.Thread(target=_heartbeat, args=(reply, done), daemon=True)
                beat.start()
                try:
                    status, lines = self._build(plan)
                except Exception as exc:  # a bug: the client builds itself (and meets it too)
                    error = f"{type(exc).__name__}: {exc}"
                    self._echo(_("internal error: {error}", error=error))
                    return
                finally:
                    done.set()
                    beat.join()
                reply(("done", status, lines))

    def _plan(self, request: dict[str, object]) -> Plan | str:
        """What to build for the request, or why it is declined."""
        mismatch = self._mismatch(request)
        if mismatch:
            return mismatch
        cwd = Path(str(request["cwd"]))
        here = cwd == self.cwd  # paths as the client wrote them mean the same here
        typed = [Path(p) for p in _strings(request["paths"])] or [Path("issues")]
        targets = [p if here else cwd / p for p in typed]
        if not all(t.exists() for t in targets):
            return "a path does not exist"
        if find_project_root(targets[0]) != self.watcher.root:
            return "another workspace"
        output = None if request["output"] is None else Path(str(request["output"]))
        wanted = cwd / output if output is not None else self.watcher.root / "output"
        if wanted.resolve() != self.watcher.output_root:
            return "another output folder"
        if request["ofd"] is not self.builder.ofd:
            return "another --ofd"
        issues = list(find_issue_files(targets))
        jobs = request["jobs"]
        if not issues:
            return "no issues"
        if len(issues) >= PROGRESS_FROM:
            return "a batch"
        if isinstance(jobs, int) and jobs > 1 and len(issues) > 1:
            return "-j"
        # The client's process would name its files as typed, its PDFs below its -o as typed.
        spelled = [(self.builder.output_root, output or self.watcher.root / "output")]
        spelled += zip(targets, typed, strict=True)
        return Plan(cwd, targets, issues, request["strict"] is True, spelled)

    def _mismatch(self, request: dict[str, object]) -> str:
        """What differs between the client's build and one of this process ("" if nothing)."""
        if self._stopping.is_set():
            return "stopping"
        if request.get("version") != self.version:
            return "another code version"
        if request.get("cache") != self.cache:
            return "another cache folder"
        if request.get("environment") != self.environment:
            return "another environment"
        if request.get("language") != self.language:
            return "another language"
        if request.get("user") != self.user:
            return "another user or umask"
        if not self.watcher.wait_ready(0):
            return "the first build is not done"
        if system_fonts_state() != self.system_fonts:
            return "system fonts changed"
        return ""

    def _build(self, plan: Plan) -> tuple[int, list[Line]]:
        """Build the issues as `bulletin build` does; its exit status and output lines."""
        started = time.perf_counter()
        with self.watcher.lock:
            outcomes = list(build_sequential(self.builder, plan.issues, plan.strict))
        summary = Summary()
        lines = [plan.problem_line(d) for d in misnamed_issue_files(plan.targets)]
        for outcome in outcomes:
            summary.add(outcome)
            lines += [plan.problem_line(d) for d in outcome.diagnostics]
            lines.append(outcome_line(outcome, plan.shown))
            self._tell(outcome)
        summary.seconds = time.perf_counter() - started
        if len(plan.issues) > 1:
            lines.append((False, summary.line()))
        return (EXIT_FAILED if summary.failed else EXIT_OK), lines

    def _tell(self, outcome: IssueBuild) -> None:
        """A line on this terminal for each issue built for `bulletin build`."""
        issue, ms = shown(outcome.source, self.cwd), f"{outcome.seconds * 1000:.0f}"
        if outcome.pdf is None:
            line = _("{issue}  failed for bulletin build  {ms} ms", issue=issue, ms=ms)
        else:
            line = _(
                "{issue}  built for bulletin build  {pages} pages  {ms} ms",
                issue=issue,
                pages=outcome.pages,
                ms=ms,
            )
        self._echo(f"{self._clock().strftime('%H:%M:%S')}  {line}")


@dataclass(frozen=True)
class Plan:
    """A request to build: the client's working folder, the targets and issue files found in
    them, --strict, and (path here, path as the client's process spells it) pairs."""

    cwd: Path
    targets: list[Path]
    issues: list[Path]
    strict: bool
    spelled: list[tuple[Path, Path]]

    def problem_line(self, diagnostic: Diagnostic) -> Line:
        """A problem as the client's process prints it: its file as shown there."""
        if diagnostic.file is not None:
            diagnostic = replace(diagnostic, file=Path(self.shown(diagnostic.file)))
        return True, diagnostic.format()

    def shown(self, path: Path) -> str:
        """A path as the client's process shows it (console.shown in its working folder)."""
        for here, there in self.spelled:
            if path.is_relative_to(here):
                path = there / path.relative_to(here)
                break
        return shown(path, self.cwd)


def _strings(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("paths")
    return value


def _heartbeat(reply: Callable[[object], None], done: threading.Event) -> None:
    with contextlib.suppress(OSError):
        while not done.wait(HEARTBEAT_S):
            reply(("wait",))


def _answers(info: ServerInfo) -> bool:
    """Whether a server is listening at the address of an .info file."""
    try:
        connect(info).close()
    except OSError:
        return False
    return True
