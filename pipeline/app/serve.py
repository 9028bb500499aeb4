"""`bulletin serve`: the watcher's rebuilds shown live in a browser (uvicorn on a bound socket)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import signal
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import uvicorn
from sse_starlette.sse import AppStatus

from pipeline.app.board import Board
from pipeline.app.buildserver import BuildServer
from pipeline.app.console import EXIT_OK, EXIT_USAGE
from pipeline.app.pageimages import PageImages
from pipeline.app.watch import Rebuild, Watcher, WatchListener
from pipeline.app.watch_status import StatusLines
from pipeline.app.web import KEEP_ALIVE_S, make_app
from pipeline.build import Builder, find_issue_files, find_project_root
from pipeline.i18n import _

SHUTDOWN_S = 1  # open event streams are closed this long after Ctrl-C at the latest


class AddressError(Exception):
    """The address to serve on cannot be used (taken, not on this machine, not a name)."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; AddressError saying why not."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressError(
            _(
                "cannot serve on {host}: not an address of this machine ({reason})",
                host=host,
                reason=exc,
            )
        ) from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart may reuse it
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise AddressError(
                _(
                    "port {port} on {host} is already in use (another bulletin serve?); "
                    "stop that one, or give another port: --port {next}",
                    port=port,
                    host=host,
                    next=port + 1,
                )
            ) from None
        raise AddressError(
            _("cannot serve on {host}:{port}: {reason}", host=host, port=port, reason=exc.strerror)
        ) from None
    return sock


def url_of(host: str, sock: socket.socket) -> str:
    """http://HOST:PORT/ with the port the socket really has (--port 0 picks a free one)."""
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def is_loopback(sock: socket.socket) -> bool:
    """Whether the socket only takes connections from this machine."""
    return ipaddress.ip_address(sock.getsockname()[0]).is_loopback


class _Warmer(WatchListener):
    """After a rebuild, renders the pages being read on a worker thread (events go first)."""

    def __init__(self, images: PageImages, pool: ThreadPoolExecutor) -> None:
        self._images, self._pool = images, pool

    def rebuilt(self, rebuild: Rebuild) -> None:
        """Start rendering the new PDF's pages in view."""
        if rebuild.status == "built" and rebuild.pdf is not None:
            self._pool.submit(self._images.warm, rebuild.pdf.resolve())


class Preview:
    """One `bulletin serve`: the board of issues, the watcher feeding it and the web server."""

    def __init__(
        self,
        builder: Builder,
        targets: Sequence[Path],
        sock: socket.socket,
        host: str,
        echo: Callable[[str], None],
        keep_alive_s: float = KEEP_ALIVE_S,
    ) -> None:
        AppStatus.disable_automatic_graceful_drain()  # type: ignore[no-untyped-call]  # we end them
        self.images = PageImages()
        self.board = Board(builder.project_root, builder.output_root, self.images.page_count)
        self.warmer = ThreadPoolExecutor(1, thread_name_prefix="bulletin-pages")
        listeners = [self.board, StatusLines(echo=echo), _Warmer(self.images, self.warmer)]
        self.watcher = Watcher(builder, targets, listeners)
        self.build_server = BuildServer(self.watcher, echo)
        self.watcher.listeners.append(self.build_server)
        found = (p.resolve() for p in find_issue_files(targets) if p.exists())
        self.board.discover(p for p in found if not self.watcher.events.ignored(p))
        self.sock, self.url, self._echo = sock, url_of(host, sock), echo
        config = uvicorn.Config(
            make_app(self.board, self.images, keep_alive_s),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=SHUTDOWN_S,
        )
        self.server = uvicorn.Server(config)

    def run(self) -> None:
        """Serve until stop() (or, on the main thread, Ctrl-C or SIGTERM); then stop watching."""
        try:
            with contextlib.suppress(KeyboardInterrupt):  # uvicorn hands Ctrl-C on after its stop
                asyncio.run(self._serve())
        finally:
            self.watcher.stop()
            self.build_server.stop()
            self.warmer.shutdown(cancel_futures=True)
            self.sock.close()

    def stop(self) -> None:
        """Ask the server to end (from any thread)."""
        self.server.should_exit = True

    async def _serve(self) -> None:
        serving = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started and not serving.done():
            await asyncio.sleep(0.01)
        if self.server.started:
            self._echo(_("serving {url}", url=self.url))
            self.watcher.start()
        while not serving.done() and not self.server.should_exit:
            await asyncio.wait({serving}, timeout=0.05)
        self.board.close_streams()  # open event streams end now, not at the shutdown timeout
        await serving


def serve_until_stopped(
    targets: Sequence[Path],
    output_dir: Path | None,
    host: str,
    port: int,
    echo: Callable[[str], None],
    warn: Callable[[str], None],
    ofd: bool = False,
) -> int:
    """Bind, build everything (and each OFD with `ofd`), serve until Ctrl-C or SIGTERM."""
    try:
        sock = bind(host, port)
    except AddressError as exc:
        warn(_("error: {message}", message=exc))
        return EXIT_USAGE
    if not is_loopback(sock):
        warn(
            _(
                "warning: serving on {host}: anyone who can reach this machine on that network "
                "can read the bulletins; leave out --host to serve on this computer only",
                host=host,
            )
        )

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)  # a service manager's stop is a Ctrl-C too
    builder = Builder(find_project_root(targets[0]), output_dir, ofd=ofd)
    Preview(builder, targets, sock, host, echo).run()
    echo(_("stopped"))
    return EXIT_OK
