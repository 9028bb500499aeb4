"""Save-to-browser latency of `bulletin serve`: p50 and p95 over 50 saves, printed as a table.

Run: python3 bench/serve_latency.py [--saves 50] [--no-browser]

A temporary copy of the sample project is served by `bulletin serve --port 0` in a subprocess, as
a clerk runs it. Headless Chromium (Debian's chromium + chromium-driver, through Selenium) opens
the page of issues/work-bulletin/2024-14.toml scrolled to page 3; this process saves the issue
(one word of page 1 changed each time) and waits until the page has swapped in the new pages.
The browser stamps when the `built` event arrived and when the new pages were shown; the PDF's
mtime says when it was put in place (all on this machine's clock). Without a browser
(--no-browser, or none installed) a raw event-stream client stands in and only the event rows
are measured.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ISSUE = "work-bulletin/2024-14"
WORD = "数字化建设"  # in page 1's title; each save appends a new number to it
TIMEOUT_S = 30.0
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1920,1080",
)
LISTEN = """
window.stamps = [];
const stream = new EventSource('/events');
const stamp = (kind) => () => window.stamps.push([kind, Date.now() / 1000]);
stream.addEventListener('built', stamp('event'));
window.addEventListener('bulletin:reloaded', stamp('shown'));
"""


def serve(project: Path) -> tuple[subprocess.Popen[str], str]:
    """Start `bulletin serve --port 0` on the project; the process and its URL."""
    command = [sys.executable, "-c", "from pipeline.app.cli import run; run()", "serve"]
    process = subprocess.Popen(
        [*command, "--port", "0"], cwd=project, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("serving "):
            url = line.split()[1]
            break
    else:
        raise SystemExit("bulletin serve ended before it served")
    threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe empty
    return process, url


def wait_until(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.002)


class Browser:
    """Chromium on the issue page, with the times it saw events and new pages."""

    def __init__(self, url: str) -> None:
        from selenium import webdriver

        self.profile = tempfile.mkdtemp(prefix="bench-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
        for flag in (*FLAGS, f"--user-data-dir={self.profile}"):
            options.add_argument(flag)
        service = webdriver.ChromeService(shutil.which("chromedriver") or "chromedriver")
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.get(f"{url}issues/{ISSUE}")
        wait_until(
            lambda: self.driver.execute_script(
                "return document.getElementById('live').dataset.state === 'open'"
            ),
            "the page",
        )
        self.driver.execute_script("document.getElementById('page-3').scrollIntoView()")
        self.driver.execute_script(LISTEN)
        time.sleep(0.5)

    def stamps(self) -> list[tuple[str, float]]:
        return [(kind, when) for kind, when in self.driver.execute_script("return window.stamps")]

    def clear(self) -> None:
        self.driver.execute_script("window.stamps = []")

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


class RawStream:
    """A plain event-stream client: the times `built` events arrived."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.sock.sendall(b"GET /events HTTP/1.0\r\n\r\n")
        self.seen: list[tuple[str, float]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.sock.makefile("rb"):
            if line.startswith(b"event: built"):
                self.seen.append(("event", time.time()))

    def stamps(self) -> list[tuple[str, float]]:
        return list(self.seen)

    def clear(self) -> None:
        self.seen.clear()

    def close(self) -> None:
        self.sock.close()


def measure(saves: int, browser: bool) -> dict[str, list[float]]:
    """Seconds per save: save → event, PDF in place → event, and (browser) → pages shown."""
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        for part in ("issues", "templates"):
            shutil.copytree(ROOT / part, project / part)
        (project / "fonts").mkdir()
        process, url = serve(project)
        issue = project / "issues" / f"{ISSUE}.toml"
        pdf = project / "output" / f"{ISSUE}.pdf"
        wait_until(lambda: pdf.exists() and _state(url) == "built", "the first build")
        client: Browser | RawStream = Browser(url) if browser else RawStream(url)
        wanted = "shown" if browser else "event"
        rows: dict[str, list[float]] = {}
        try:
            text = issue.read_text(encoding="utf-8")
            for n in range(saves):
                client.clear()
                saved = time.time()
                issue.write_text(text.replace(WORD, f"{WORD}{n}", 1), encoding="utf-8")
                wait_until(lambda: any(k == wanted for k, _ in client.stamps()), "the reload")
                stamps = dict(client.stamps())
                in_place = pdf.stat().st_mtime
                rows.setdefault("save → event in the browser", []).append(stamps["event"] - saved)
                rows.setdefault("PDF in place → event", []).append(stamps["event"] - in_place)
                if browser:
                    rows.setdefault("save → new pages shown", []).append(stamps["shown"] - saved)
                    rows.setdefault("PDF in place → new pages shown", []).append(
                        stamps["shown"] - in_place
                    )
                time.sleep(0.3)  # the next save is a new one, not part of this one
        finally:
            client.close()
            process.terminate()
            process.wait(10)
    return rows


def _state(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(f"{url}api/issues", timeout=TIMEOUT_S) as response:
        items: list[dict[str, Any]] = json.load(response)
    return next(str(i["state"]) for i in items if f"{i['series']}/{i['name']}" == ISSUE)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=50)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    found = shutil.which("chromium") and shutil.which("chromedriver")
    browser = not args.no_browser and bool(found)
    rows = measure(args.saves, browser)
    print(f"bulletin serve, {args.saves} saves of {ISSUE}.toml (7 pages), ms")
    print()
    print("| measure | p50 | p95 | min | max |")
    print("|---|---:|---:|---:|---:|")
    for name, values in rows.items():
        ms = [v * 1000 for v in values]
        print(
            f"| {name} | {statistics.median(ms):.0f} | {percentile(ms, 0.95):.0f} "
            f"| {min(ms):.0f} | {max(ms):.0f} |"
        )
    if not browser:
        print("\n(no browser: install chromium and chromium-driver for the page rows)")


if __name__ == "__main__":
    main()
