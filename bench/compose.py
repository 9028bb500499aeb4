"""CPU time of composition alone (draw_document less render_pdf) for the 11- and 186-page issues.

    python bench/compose.py [--runs 7] [--profile]

Each run composes the issue afresh (an empty LineCache) with its fonts already loaded, and
prints the median and min–max of process time; `--profile` prints a cProfile of one run.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

ISSUES = {"bench issue": 4000, "long issue": 90000}  # characters asked of corpus.make_issue


def _composer(folder: Path, chars: int) -> tuple[Any, int]:
    """A function composing the issue of about `chars` characters, and its page count."""
    from pipeline.build import Builder
    from pipeline.layout import draw
    from pipeline.layout.linecache import LineCache
    from pipeline.layout.templates import render_document
    from pipeline.source.load import load_issue

    folder.mkdir()
    (folder / "series.toml").write_text(corpus.SERIES_TOML, "utf-8")
    path = folder / "2025-001.toml"
    path.write_text(corpus.issue_toml(corpus.make_issue(1, 1, chars)), "utf-8")
    builder = Builder(ROOT, folder / "out")
    pages = builder.build(path).pages  # loads the fonts and every face the issue needs
    loaded = load_issue(path)
    template = builder.templates.get(loaded.issue.template)
    document = render_document(loaded, template, builder.print_run(loaded))
    chains = builder.fonts.chains(template.style.fonts)
    return lambda: draw.draw_document(document, template.style, chains, LineCache()), pages


def main() -> None:
    """Time composition of each bench issue; print one line per issue."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    from pipeline.layout import draw

    rendering = [0.0]  # process time spent in render_pdf during one run
    real_render = draw.render_pdf

    def timed_render(*given: Any, **named: Any) -> bytes:
        started = time.process_time()
        try:
            return real_render(*given, **named)
        finally:
            rendering[0] += time.process_time() - started

    draw.render_pdf = timed_render
    with tempfile.TemporaryDirectory() as temp:
        for label, chars in ISSUES.items():
            compose, pages = _composer(Path(temp) / label.replace(" ", "-"), chars)
            times = []
            for _ in range(args.runs):
                rendering[0] = 0.0
                started = time.process_time()
                compose()
                times.append((time.process_time() - started - rendering[0]) * 1000)
            print(f"{label}, {pages} pages: composition {statistics.median(times):.1f} ms CPU "
                  f"({min(times):.1f}–{max(times):.1f}), median of {args.runs}")  # fmt: skip
            if args.profile:
                profile = cProfile.Profile()
                profile.runcall(compose)
                pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
