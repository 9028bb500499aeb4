"""The preview in a real browser (headless Chromium via Selenium): pages shown, reload on save.

Skipped, with the reason, where no Chromium and chromedriver can be had (`.ci/run` installs
Debian's `chromium` and `chromium-driver`); the HTTP tests in test_web.py run anyway.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servehelp import Served, copy_project, edit, serving

from pipeline.fonts.chains import FontLibrary

W14_PAGES = 8  # pages of the work-bulletin 2024-14 sample

W14 = "work-bulletin/2024-14"
TITLE = "我省扎实推进地方志数字化建设"  # page 1 of 2024-14
RELOAD_S = 1.0  # an edit shows in the open page within this
SCROLL_PX = 40  # and the page stays where the reader was, within this
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

# How many of a page image's sampled pixels are not white (a blank page has none).
INKED_PIXELS = """
const img = document.querySelector(arguments[0]);
if (!img || !img.complete || img.naturalWidth === 0) return -1;
const canvas = document.createElement("canvas");
canvas.width = 310; canvas.height = 438;
const context = canvas.getContext("2d");
context.drawImage(img, 0, 0, canvas.width, canvas.height);
const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
let inked = 0;
for (let i = 0; i < pixels.length; i += 4) {
  if (pixels[i] < 200 || pixels[i + 1] < 200 || pixels[i + 2] < 200) inked++;
}
return inked;
"""


def _find(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium at 1366 × 768 with a fresh profile; skips if none can be started."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.common.exceptions import WebDriverException

    chromium = _find("chromium", "chromium-browser", "google-chrome")
    driver_path = _find("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip("no chromium or chromedriver here (apt-get install chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="bulletin-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1366,768"):
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(service=webdriver.ChromeService(driver_path), options=options)
    except WebDriverException as exc:
        shutil.rmtree(profile, ignore_errors=True)
        pytest.skip(f"chromium cannot be started here: {exc.msg}")
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def live(tmp_path: Path, fonts: FontLibrary) -> Iterator[Served]:
    with serving(copy_project(tmp_path), fonts) as running:
        yield running


def open_issue(browser: Any, live: Served) -> None:
    """Open the issue page and wait until its first page image is drawn and its events open."""
    browser.get(f"http://127.0.0.1:{live.port}/issues/{W14}")
    wait(browser, "return document.getElementById('live').dataset.state === 'open'")
    wait(browser, "const i = document.querySelector('#page-1 img'); return i.complete")


def wait(browser: Any, script: str, seconds: float = 10.0) -> float:
    """Poll a script until it returns true; the seconds that took."""
    started = time.monotonic()
    while not browser.execute_script(script):
        assert time.monotonic() - started < seconds, f"timed out waiting for: {script}"
        time.sleep(0.01)
    return time.monotonic() - started


def page_text(browser: Any, number: int) -> str:
    text: str = browser.execute_script(
        f"return document.querySelector('#page-{number} .page-text').textContent"
    )
    return text


def test_the_issue_page_shows_its_pages(browser: Any, live: Served) -> None:
    open_issue(browser, live)
    assert (
        browser.execute_script("return document.querySelectorAll('figure.page img').length")
        == W14_PAGES
    )
    assert browser.execute_script(INKED_PIXELS, "#page-1 img") > 1000
    assert TITLE in page_text(browser, 1)
    assert "已生成" in browser.find_element("css selector", ".facts").text


def test_an_edit_reloads_the_page_within_1_s_keeping_the_scroll(browser: Any, live: Served) -> None:
    """The 1 s runs from the new PDF being in place: how long the build takes is not the page's.

    (The whole save → new page is measured over 50 saves by bench/serve_latency.py.)
    """
    open_issue(browser, live)
    browser.execute_script(
        "window.scrollTo(0, 2600); window.addEventListener('bulletin:reloaded', "
        "() => { window.reloadedAt = Date.now() / 1000; })"
    )
    wait(browser, "return Math.abs(window.scrollY - 2600) < 1")
    edit(live.issue(W14), TITLE, "我省全面推进地方志数字化建设")
    wait(
        browser,
        "return document.querySelector('#page-1 .page-text').textContent"
        ".includes('我省全面推进地方志数字化建设')",
        seconds=20,
    )
    in_place = (live.root / "output" / f"{W14}.pdf").stat().st_mtime
    assert browser.execute_script("return window.reloadedAt") - in_place < RELOAD_S
    assert abs(browser.execute_script("return window.scrollY") - 2600) <= SCROLL_PX
    assert browser.execute_script(INKED_PIXELS, "#page-3 img") > 1000  # the page in view is drawn


def test_a_broken_edit_shows_the_problem_over_the_pages(browser: Any, live: Served) -> None:
    open_issue(browser, live)
    edit(live.issue(W14), "number = 14", "number = = 14")
    wait(browser, "return document.getElementById('content').dataset.state === 'failed'")
    problem = live.item(W14)["problems"][0]
    alert = browser.find_element("css selector", ".alert")
    assert alert.is_displayed()
    assert "本次生成失败" in alert.text
    assert f"issues/{W14}.toml:{problem['line']}:{problem['col']}" in alert.text
    assert (
        browser.execute_script("return document.querySelectorAll('figure.page img').length")
        == W14_PAGES
    )
    assert browser.execute_script(INKED_PIXELS, "#page-1 img") > 1000  # the last good pages stay
    assert TITLE in page_text(browser, 1)


def test_a_reload_by_hand_keeps_the_scroll(browser: Any, live: Served) -> None:
    open_issue(browser, live)
    browser.execute_script("window.scrollTo(0, 3100)")
    wait(browser, "return Math.abs(window.scrollY - 3100) < 1")
    browser.refresh()
    wait(browser, "return document.getElementById('live').dataset.state === 'open'")
    assert abs(browser.execute_script("return window.scrollY") - 3100) <= SCROLL_PX
