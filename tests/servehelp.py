"""A running `bulletin serve` for tests: a copy of the sample project, served on a free port."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.app.serve import Preview, bind
from pipeline.build import Builder
from pipeline.fonts.chains import FontLibrary

ROOT = Path(__file__).resolve().parent.parent
WAIT_S = 20.0  # how long to wait for an expected build on a loaded machine
KEEP_ALIVE_S = 0.2  # the event stream's comment lines come this often in tests


def copy_project(target: Path) -> Path:
    """A copy of the sample project: two series, two templates, an empty fonts/."""
    for folder in ("issues", "templates"):
        shutil.copytree(ROOT / folder, target / folder)
    (target / "fonts").mkdir()
    return target


class Served:
    """A Preview running on its own thread, and ways to talk to it as a client would."""

    def __init__(self, root: Path, fonts: FontLibrary) -> None:
        self.root = root
        self.lines: list[str] = []
        builder = Builder(root)
        builder.fonts = fonts
        sock = bind("127.0.0.1", 0)
        self.port = sock.getsockname()[1]
        self.preview = Preview(
            builder, [root / "issues"], sock, "127.0.0.1", self.lines.append, KEEP_ALIVE_S
        )
        self._thread = threading.Thread(target=self.preview.run, name="test-serve")

    def start(self) -> None:
        """Serve, and wait until the first build of everything is done."""
        self._thread.start()
        deadline = time.monotonic() + WAIT_S * 3
        while not self.preview.watcher.wait_ready(0.05):
            assert self._thread.is_alive() and time.monotonic() < deadline

    def stop(self) -> None:
        """Stop serving and watching; the thread ends."""
        self.preview.stop()
        self._thread.join(10)
        assert not self._thread.is_alive()

    def issue(self, name: str) -> Path:
        """The issue file `series/name` of the copy."""
        return self.root / "issues" / f"{name}.toml"

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """GET a raw path (sent as written, nothing normalised): status, headers, body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT_S)
        try:
            connection.putrequest("GET", path, skip_accept_encoding=True)
            connection.endheaders()
            response = connection.getresponse()
            headers = {k.lower(): v for k, v in response.getheaders()}
            return response.status, headers, response.read()
        finally:
            connection.close()

    def api(self) -> list[dict[str, Any]]:
        """The items of /api/issues."""
        status, _headers, body = self.get("/api/issues")
        assert status == 200
        items: list[dict[str, Any]] = json.loads(body)
        return items

    def item(self, key: str) -> dict[str, Any]:
        """The /api/issues item of `series/name`."""
        found = self.find(key)
        assert found is not None, f"{key} is not in /api/issues"
        return found

    def find(self, key: str) -> dict[str, Any] | None:
        """The /api/issues item of `series/name`, if there is one."""
        return next((i for i in self.api() if f"{i['series']}/{i['name']}" == key), None)

    def wait_for(self, key: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Poll /api/issues until the item of `series/name` is there and satisfies `done`."""
        deadline = time.monotonic() + WAIT_S
        while (item := self.find(key)) is None or not done(item):
            assert time.monotonic() < deadline, f"timed out; last: {item}"
            time.sleep(0.02)
        return item


@contextmanager
def serving(root: Path, fonts: FontLibrary) -> Iterator[Served]:
    """A started Served over the project at `root`, stopped at the end."""
    served = Served(root, fonts)
    served.start()
    try:
        yield served
    finally:
        served.stop()


class EventStream:
    """A raw client of /events: reads the stream's lines on a thread, with their arrival times."""

    def __init__(self, port: int) -> None:
        self.events: list[tuple[float, str, dict[str, Any]]] = []
        self.comments: list[str] = []
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
        # HTTP/1.0: the body comes as it is, not in chunks
        self._sock.sendall(b"GET /events HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n")
        self._file = self._sock.makefile("rb")
        self.status_line = self._file.readline().decode()
        while self._file.readline() not in (b"\r\n", b""):
            pass  # the response headers
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        kind, data = "", ""
        try:
            for raw in self._file:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith(":"):
                    self.comments.append(line)
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif not line and kind:
                    self.events.append((time.time(), kind, json.loads(data)))
                    kind, data = "", ""
        except (OSError, ValueError):
            return

    def wait(self, count: int) -> list[tuple[float, str, dict[str, Any]]]:
        """Wait until `count` events have come; all of them."""
        deadline = time.monotonic() + WAIT_S
        while len(self.events) < count:
            assert time.monotonic() < deadline, f"timed out; events: {self.events}"
            time.sleep(0.005)
        return self.events

    def close(self) -> None:
        """Hang up."""
        self._sock.close()


def edit(path: Path, old: str, new: str) -> None:
    """Save in place (open, truncate, write, close), like most editors."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
