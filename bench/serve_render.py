"""Pages in the browser two ways: server-side PNGs (pypdfium2, as `bulletin serve` does) or pdf.js.

Run: python3 bench/serve_render.py [--runs 12]

Headless Chromium at 1920 × 1080 shows pages 2 and 3 of issues/work-bulletin/2024-14.toml 900 CSS
px wide, as the issue page does, each run after the PDF was replaced (nothing cached): once as
`bulletin serve`'s page images, once drawn by pdf.js (npm's pdfjs-dist, installed into a
temporary folder for this run only) from the PDF. It prints the time from asking to both pages
drawn, and writes a crop of each to bench-render-png.png and bench-render-pdfjs.png in the
working folder to compare sharpness. Needs chromium, chromium-driver and npm.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from serve_latency import FLAGS, ISSUE, ROOT, percentile, serve, wait_until

PAGES = [2, 3]
HEAD = '<!doctype html><body style="margin:0"><div id="out"></div><script type="module">'
DRAW = """
window.run = async function (pages, port) {
  const t0 = performance.now();
  const out = document.getElementById("out"); out.innerHTML = "";
  %s
  return performance.now() - t0;
};
"""
PNG = """
  await Promise.all(pages.map(async (n) => {
    const img = new Image(); img.style.cssText = "width:900px;display:block;margin:10px auto";
    img.src = `http://127.0.0.1:${port}/pages/%s/${n}.png?w=900&r=${Math.random()}`;
    out.appendChild(img); await img.decode();
  }));
"""
PDFJS = """
  const pdfjs = await import("./pdf.min.mjs");
  pdfjs.GlobalWorkerOptions.workerSrc = "./pdf.worker.min.mjs";
  const source = {url: "doc.pdf?" + Math.random(), wasmUrl: "./wasm/"};
  const doc = await pdfjs.getDocument(source).promise;
  for (const n of pages) {
    const page = await doc.getPage(n);
    const viewport = page.getViewport({scale: 900 / page.getViewport({scale: 1}).width});
    const canvas = document.createElement("canvas");
    canvas.width = viewport.width; canvas.height = viewport.height;
    canvas.style.cssText = "width:900px;display:block;margin:10px auto";
    out.appendChild(canvas);
    await page.render({canvasContext: canvas.getContext("2d"), viewport}).promise;
  }
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12)
    args = parser.parse_args()
    if not (shutil.which("chromium") and shutil.which("chromedriver") and shutil.which("npm")):
        raise SystemExit("needs chromium, chromium-driver and npm")
    from selenium import webdriver

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        site, project = work / "site", work / "project"
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(work / "npm"), "pdfjs-dist"], check=True
        )
        dist = work / "npm" / "node_modules" / "pdfjs-dist"
        site.mkdir()
        for name in ("pdf.min.mjs", "pdf.worker.min.mjs"):
            shutil.copy(dist / "build" / name, site / name)
        if (dist / "wasm").is_dir():
            shutil.copytree(dist / "wasm", site / "wasm")
        for kind, body in (("png", PNG % ISSUE), ("pdfjs", PDFJS)):
            html = f"{HEAD}{DRAW % body}</script>"
            (site / f"{kind}.html").write_text(html, encoding="utf-8")
        for part in ("issues", "templates"):
            shutil.copytree(ROOT / part, project / part)
        (project / "fonts").mkdir()
        process, url = serve(project)
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        pdf = project / "output" / f"{ISSUE}.pdf"
        wait_until(pdf.exists, "the first build")
        time.sleep(2)
        handler = functools.partial(_Quiet, directory=str(site))
        static = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=static.serve_forever, daemon=True).start()
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
        for flag in (*FLAGS, f"--user-data-dir={work / 'profile'}", "--hide-scrollbars"):
            options.add_argument(flag)
        driver = webdriver.Chrome(
            service=webdriver.ChromeService(shutil.which("chromedriver")), options=options
        )
        results: dict[str, list[float]] = {}
        try:
            for kind in ("png", "pdfjs"):
                driver.get(f"http://127.0.0.1:{static.server_port}/{kind}.html")
                times = []
                for _ in range(args.runs + 2):
                    fresh = pdf.with_suffix(".new")
                    shutil.copy(pdf, fresh)
                    os.replace(fresh, pdf)  # a new PDF, as a rebuild leaves it
                    shutil.copy(pdf, site / "doc.pdf")
                    times.append(
                        driver.execute_async_script(
                            "window.run(arguments[0], arguments[1]).then(arguments[2])",
                            PAGES,
                            port,
                        )
                    )
                results[kind] = times[2:]  # the first two warm the browser up
                driver.save_screenshot(str(work / f"{kind}.png"))
                _crop(work / f"{kind}.png", Path(f"bench-render-{kind}.png"))
        finally:
            driver.quit()
            static.shutdown()
            process.terminate()
            process.wait(10)
    print(f"pages {PAGES} of {ISSUE}.toml at 900 CSS px, 1920 × 1080, {args.runs} runs, ms")
    print()
    print("| drawn by | p50 | p95 | min | max |")
    print("|---|---:|---:|---:|---:|")
    for kind, label in (("png", "server PNG (pypdfium2)"), ("pdfjs", "pdf.js in the browser")):
        ms = results[kind]
        print(
            f"| {label} | {statistics.median(ms):.0f} | {percentile(ms, 0.95):.0f} "
            f"| {min(ms):.0f} | {max(ms):.0f} |"
        )


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Say nothing per request."""


def _crop(screenshot: Path, target: Path) -> None:
    from PIL import Image

    with Image.open(screenshot) as image:
        image.crop((510, 120, 1410, 520)).save(target)


if __name__ == "__main__":
    main()
