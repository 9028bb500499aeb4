"""`bulletin build` handed to the `watch` or `serve` running in its workspace, if one answers.

The client side of the build server (the server is `buildserver`): the console script
(`entry`) runs it before the command line or any of the build is imported, so it imports only
`pipeline.files` and `pipeline.i18n` and the C modules under socket, hashlib and hmac (those
three would cost ~6 ms more: OpenSSL, socket's enum classes). Any doubt (no
server, another version of the code, a server that does not answer within ANSWER_S, a reply
that does not authenticate) and `served_build` returns None: the command builds in its own
process, exactly as without one.

How a server is found and trusted: `<cache_dir>/build-server/<key>.info`, key a digest of the
workspace folder, written by the server and readable by the user only (its folder is 0700),
names the code version, the address (an AF_UNIX socket beside it, 0600; loopback TCP on
Windows or where the socket path is too long) and a random secret. Every message is a frame:
length, a keyed BLAKE2b MAC of the payload (the server's also covers the client's nonce), and
the payload (marshal: read only after its MAC checks out). BULLETIN_BUILD_SERVER=off turns it
off on either side; =tcp makes a server listen on loopback TCP even where AF_UNIX works.
"""

from __future__ import annotations

import _socket
import marshal
import os
import sys
import time
from _blake2 import blake2b
from _operator import _compare_digest as compare_digest  # hmac.compare_digest itself
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from pipeline.files import cache_dir, find_project_root, umask
from pipeline.i18n import language

PROTOCOL = 1
SWITCH = "BULLETIN_BUILD_SERVER"  # off: never serve or be served; tcp: serve on loopback TCP
CONNECT_S = 0.5  # connecting (a server stopped with SIGSTOP still accepts: see ANSWER_S)
ANSWER_S = 1.5  # the longest silence between the server's messages (it says "wait" every 0.25)
TOTAL_S = 120.0  # a served request taking longer is given up and built here
MAX_FRAME = 64 << 20
MAC_BYTES = 32
UNIX_PATH_MAX = 100  # bytes: sockaddr_un holds 104 (macOS) or 108 (Linux) with the NUL
# Besides BULLETIN_* and reportlab's RL_* settings, what decides which folders a build reads.
COMPARED_VARIABLES = ("HOME", "USERPROFILE", "XDG_DATA_HOME", "XDG_CACHE_HOME", "LOCALAPPDATA")
NOT_COMPARED = ("BULLETIN_LANG", SWITCH)  # the language goes with each request
Line = tuple[bool, str]  # (on stderr, text)
_asked = False  # whether this process asked a server already


def switched_off() -> bool:
    """Whether BULLETIN_BUILD_SERVER asks for builds in the command's own process only."""
    return os.environ.get(SWITCH, "").strip().lower() in ("0", "off", "no", "false")


def endpoint_dir() -> Path:
    """The folder of the servers' .info files and sockets in the cache folder."""
    return cache_dir() / "build-server"


def info_path(root: Path) -> Path:
    """Where the server of this workspace folder (resolved) says how to reach it."""
    key = blake2b(str(root).encode("utf-8", "surrogateescape"), digest_size=10)
    return endpoint_dir() / f"{key.hexdigest()}.info"


def code_version() -> str:
    """A digest of this interpreter, the package's files (sizes and mtimes) and site-packages.

    A server that imported other code than a fresh process would (the package edited, a
    dependency upgraded) has another version, and its builds are not used.
    """
    digest = blake2b(digest_size=16)
    digest.update(f"{PROTOCOL}\0{sys.version}\0{sys.prefix}\n".encode())
    package = Path(__file__).resolve().parent.parent
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:  # gone meanwhile: the package is being changed
                stat = None
            seen = f"{stat.st_size}\0{stat.st_mtime_ns}" if stat else "gone"
            digest.update(f"{path}\0{seen}\n".encode(errors="replace"))
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")) and os.path.isdir(entry):
            digest.update(f"{entry}\0{os.stat(entry).st_mtime_ns}\n".encode(errors="replace"))
    return digest.hexdigest()


def process_user() -> tuple[int, int]:
    """Who writes the files, and with which permissions: the user id (-1 on Windows), umask."""
    return (os.getuid() if hasattr(os, "getuid") else -1), umask()


def build_environment() -> dict[str, str]:
    """The environment variables that may change what a build reads or writes."""
    return {
        name: value
        for name, value in os.environ.items()
        if (name.startswith(("BULLETIN_", "RL_")) and name not in NOT_COMPARED)
        or name in COMPARED_VARIABLES
    }


class ServerInfo(NamedTuple):
    """What a server's .info file says: its process, code version, address and secret."""

    pid: int
    version: str
    transport: str  # "unix" or "tcp"
    address: str  # the socket's path, or the TCP port
    secret: bytes

    def text(self) -> str:
        """The .info file's contents."""
        fields = [f"bulletin-build-server {PROTOCOL}", str(self.pid), self.version]
        return "\n".join([*fields, self.transport, self.address, self.secret.hex(), ""])

    @classmethod
    def parse(cls, text: str) -> ServerInfo | None:
        """The info in a .info file's text; None if it is not one this code writes."""
        lines = text.split("\n")
        if len(lines) < 6 or lines[0] != f"bulletin-build-server {PROTOCOL}":
            return None
        try:
            return cls(int(lines[1]), lines[2], lines[3], lines[4], bytes.fromhex(lines[5]))
        except ValueError:
            return None


def read_info(path: Path) -> ServerInfo | None:
    """The server info at path; None when there is none or it cannot be read."""
    try:
        return ServerInfo.parse(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def mac(secret: bytes, payload: bytes, nonce: bytes = b"") -> bytes:
    """The keyed BLAKE2b of a message (a reply's covers the request's nonce too)."""
    return blake2b(nonce + payload, key=secret, digest_size=MAC_BYTES).digest()


def send_frame(sock: _socket.socket, secret: bytes, message: object, nonce: bytes = b"") -> None:
    """Send one message: its length, its MAC, its marshalled bytes."""
    payload = marshal.dumps(message, 4)  # type: ignore[arg-type]  # tuples, dicts, str, bytes
    sock.sendall(len(payload).to_bytes(4, "big") + mac(secret, payload, nonce) + payload)


def read_frame(sock: _socket.socket, secret: bytes, nonce: bytes = b"") -> object:
    """Receive one message; ValueError if it is not authentic, OSError/EOFError if cut off."""
    head = _read_exactly(sock, 4 + MAC_BYTES)
    size = int.from_bytes(head[:4], "big")
    if size > MAX_FRAME:
        raise ValueError("frame too long")
    payload = _read_exactly(sock, size)
    if not compare_digest(head[4:], mac(secret, payload, nonce)):
        raise ValueError("message not authentic")
    return marshal.loads(payload)


def _read_exactly(sock: _socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("the server closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def connect(info: ServerInfo, timeout_s: float = CONNECT_S) -> _socket.socket:
    """A connection to the server (OSError when nothing listens there)."""
    address: str | tuple[str, int] = info.address
    if info.transport == "unix" and hasattr(_socket, "AF_UNIX"):
        family = _socket.AF_UNIX
    elif info.transport == "tcp":
        family, address = _socket.AF_INET, ("127.0.0.1", int(info.address))
    else:
        raise OSError(f"unknown transport {info.transport!r}")
    sock = _socket.socket(family, _socket.SOCK_STREAM)
    sock.settimeout(timeout_s)
    try:
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock


def request_for(
    paths: Sequence[Path],
    output_dir: Path | None,
    strict: bool,
    jobs: int | None,
    ofd: bool,
    version: str | None = None,
) -> dict[str, object]:
    """What `bulletin build` with these arguments asks a server, from this process's view."""
    return {
        "protocol": PROTOCOL,
        "version": version or code_version(),
        "cache": str(cache_dir()),
        "environment": build_environment(),
        "language": language(),
        "cwd": os.getcwd(),
        "user": process_user(),
        "paths": [str(p) for p in paths],
        "output": None if output_dir is None else str(output_dir),
        "strict": strict,
        "jobs": jobs,
        "ofd": ofd,
    }


class Reply(NamedTuple):
    """What a server did with a request: built it (its lines and exit status) or declined."""

    status: int | None  # None: declined
    lines: tuple[Line, ...] = ()
    reason: str = ""


def ask(info: ServerInfo, request: dict[str, object]) -> Reply | None:
    """Send the request to the server; its reply, or None when it did not give one in time."""
    nonce = os.urandom(16)
    started = time.monotonic()
    try:
        sock = connect(info)
    except (OSError, ValueError):
        return None
    try:
        sock.settimeout(ANSWER_S)
        send_frame(sock, info.secret, {**request, "nonce": nonce})
        while time.monotonic() - started < TOTAL_S:
            message = read_frame(sock, info.secret, nonce)
            if not isinstance(message, tuple) or not message:
                return None
            if message[0] == "done":
                _, status, lines = message
                return Reply(int(status), tuple((bool(e), str(t)) for e, t in lines))
            if message[0] == "declined":
                return Reply(None, reason=str(message[1]))
            # "accepted" or "wait": the server is building
    except (OSError, EOFError, ValueError, TypeError):
        return None
    finally:
        sock.close()
    return None


def served_build(
    paths: Sequence[Path],
    output_dir: Path | None,
    strict: bool,
    jobs: int | None,
    ofd: bool,
    echo: Callable[..., object],
) -> int | None:
    """Have this workspace's watch or serve build and print what it says: the exit status.

    None when no server built it (none runs, it declined, it did not answer): build here.
    A process asks once (`entry.run` before the command line is imported, or `cli`'s build).
    """
    global _asked
    if switched_off() or _asked:
        return None
    _asked = True
    try:
        reply = _served(paths, output_dir, strict, jobs, ofd)
    except (OSError, RuntimeError, ValueError):  # e.g. a path that cannot be resolved
        return None  # the command's own process meets it too, and says what it is
    if reply is None or reply.status is None:
        return None
    for on_stderr, text in reply.lines:  # printed as the command's own process prints them
        echo(text, err=on_stderr)
    return reply.status


def _served(
    paths: Sequence[Path], output_dir: Path | None, strict: bool, jobs: int | None, ofd: bool
) -> Reply | None:
    """The server's reply to the build, if a server of this code runs in the workspace."""
    targets = list(paths) or [Path("issues")]
    if not all(t.exists() for t in targets):
        return None  # the command's own process says what is missing
    info = read_info(info_path(find_project_root(targets[0])))
    if info is None:
        return None
    version = code_version()
    if info.version != version:
        return None
    return ask(info, request_for(paths, output_dir, strict, jobs, ofd, version))
