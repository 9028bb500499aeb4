"""`bulletin serve` as a user runs it: the serving line, Ctrl-C, a taken port, --host."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from servehelp import WAIT_S, copy_project

from pipeline.app import serve
from pipeline.app.serve import AddressError, bind, is_loopback, url_of

COMMAND = [sys.executable, "-c", "from pipeline.app.cli import run; run()", "serve"]


class Running:
    """A `bulletin serve` subprocess and the lines it printed until it said where it serves."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [*COMMAND, *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.lines: list[str] = []
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("serving "):
                break
        self.url = self.lines[-1].removeprefix("serving ") if self.lines else ""

    def stop(self, signum: int) -> tuple[float, str, str]:
        """Send a signal; how long it took to end, and the rest of its output."""
        started = time.monotonic()
        self.process.send_signal(signum)
        out, err = self.process.communicate(timeout=WAIT_S)
        return time.monotonic() - started, out, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path)


@pytest.fixture
def running(project: Path) -> Iterator[Running]:
    server = Running(project, "--port", "0")
    try:
        yield server
    finally:
        server.process.kill()
        server.process.wait()


def test_it_prints_where_it_serves_and_answers_there(running: Running) -> None:
    assert running.url.startswith("http://127.0.0.1:") and running.url.endswith("/")
    with urllib.request.urlopen(running.url + "api/issues", timeout=WAIT_S) as response:
        assert response.status == 200


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_ends_it_within_5_s_with_exit_0(running: Running, signum: int) -> None:
    # an open event stream must not hold the shutdown up
    events = urllib.request.urlopen(running.url + "events", timeout=WAIT_S)
    try:
        seconds, out, err = running.stop(signum)
    finally:
        events.close()
    assert running.process.returncode == 0, err
    assert seconds < 5
    assert "Traceback" not in err and "ERROR" not in err
    assert out.strip().endswith("stopped")


def test_a_second_serve_on_a_taken_port_says_so_and_exits_2(project: Path) -> None:
    taken = bind("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*COMMAND, "--port", str(port)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=WAIT_S,
        )
    finally:
        taken.close()
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert f"--port {port + 1}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_host_that_is_not_an_address_is_a_usage_error(project: Path) -> None:
    done = subprocess.run(
        [*COMMAND, "--host", "no such host.invalid", "--port", "0"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert done.returncode == 2
    assert "cannot serve on no such host.invalid" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_path_is_reported(project: Path) -> None:
    done = subprocess.run(
        [*COMMAND, "nowhere", "--port", "0"], cwd=project, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "nowhere: error: no such file or folder" in done.stderr


def test_loopback_by_default_and_a_warning_for_any_other_host(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sock = bind("127.0.0.1", 0)
    try:
        assert is_loopback(sock)
        assert url_of("127.0.0.1", sock) == f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        sock.close()
    ran: list[str] = []
    monkeypatch.setattr(serve, "is_loopback", lambda _sock: False)
    monkeypatch.setattr(serve.Preview, "run", lambda self: ran.append(self.url))
    monkeypatch.setattr(serve.signal, "signal", lambda *_args: None)
    warnings: list[str] = []
    status = serve.serve_until_stopped(
        [project / "issues"], None, "127.0.0.1", 0, lambda _line: None, warnings.append
    )
    assert status == 0 and len(ran) == 1
    (warning,) = warnings
    assert "anyone who can reach this machine on that network can read the bulletins" in warning


def test_bind_names_a_taken_port() -> None:
    taken = bind("127.0.0.1", 0)
    try:
        with pytest.raises(AddressError, match="already in use"):
            bind("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()
    ipv6 = socket.has_ipv6 and socket.socket(socket.AF_INET6)
    if ipv6:
        ipv6.close()
        try:
            sock = bind("::1", 0)
        except AddressError:
            return  # no IPv6 loopback on this machine
        try:
            assert url_of("::1", sock).startswith("http://[::1]:")
        finally:
            sock.close()
