"""CPU time of composition alone (draw_document less render_pdf) for the 11- and 186-page issues.

    python bench/compose.py [--runs 7] [--profile]

Each run composes the issue with its fonts already loaded, as a new process would: afresh (no
composed lines kept), and reading the lines kept on disk by an earlier build (`linestore`),
of the same issue and after an edit of its first paragraph. Prints medians and min–max of
process time; `--profile` prints a cProfile of one fresh run.
"""

from __future__ import annotations

import argparse
import cProfile
import os
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


def _composer(folder: Path, chars: int) -> tuple[Any, Any, int]:
    """Functions composing the issue of about `chars` characters (with nothing kept, and with
    what the first build kept on disk; each given whether to edit it first), and its pages."""
    from run import edited

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
    chains = builder.fonts.chains(template.style.fonts)
    documents = [render_document(loaded, template, builder.print_run(loaded))]
    path.write_text(corpus.issue_toml(edited(corpus.make_issue(1, 1, chars), 1)), "utf-8")
    loaded = load_issue(path)
    documents.append(render_document(loaded, template, builder.print_run(loaded)))

    def compose(edit: bool, cache: Any) -> None:
        draw.draw_document(documents[edit], template.style, chains, cache)

    fresh = lambda edit: compose(edit, LineCache())  # noqa: E731
    stored = lambda edit: compose(edit, LineCache(path.resolve()))  # noqa: E731
    return fresh, stored, pages


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
        os.environ["BULLETIN_CACHE_DIR"] = str(Path(temp) / "cache")
        for label, chars in ISSUES.items():
            fresh, stored, pages = _composer(Path(temp) / label.replace(" ", "-"), chars)
            for way, compose, edit in (
                ("afresh", fresh, False),
                ("from disk, unchanged", stored, False),
                ("from disk, first paragraph edited", stored, True),
            ):
                times = []
                for _ in range(args.runs):
                    rendering[0] = 0.0
                    started = time.process_time()
                    compose(edit)
                    times.append((time.process_time() - started - rendering[0]) * 1000)
                print(f"{label}, {pages} pages, {way}: composition "
                      f"{statistics.median(times):.1f} ms CPU ({min(times):.1f}–{max(times):.1f}), "
                      f"median of {args.runs}")  # fmt: skip
            if args.profile:
                profile = cProfile.Profile()
                profile.runcall(fresh, False)
                pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
