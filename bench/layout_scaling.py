"""Layout time against input length: a title and paragraphs of 500 to 5,000 characters.

    python bench/layout_scaling.py [--runs 5]

Prints the median seconds to break a title (jieba's boundaries already known, as on a rebuild),
a body paragraph, and paragraphs with no allowed break: one Latin word, a run of “ and a run of
zero-width characters. All must grow linearly (layout.md §3, §6): a 5,000-character title well
under a second, a 5,000-letter word or run of “ no slower than plain text of that length.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from pipeline.layout.linebreak import compose_paragraph
from pipeline.layout.titlebreak import compose_title
from pipeline.layout.words import word_starts

TEXT = (
    "全省地方志系统深入开展“学党纪、守初心、修信史”主题教育活动，"
    "推动《四川省志（2006—2020）》编纂，根据川志办发〔2024〕21号文件要求按时报送。"
)


def _median(runs: int, work: Callable[[], None]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Time both composers at each length and print a markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print("| characters | title s | paragraph s | Latin word s | “ run s | zero-width run s |")
    print("|---|---|---|---|---|---|")
    for length in (500, 1000, 2000, 5000):
        text = (TEXT * (length // len(TEXT) + 1))[:length]
        word_starts(text)  # jieba once, as a first build would

        def title(text: str = text) -> None:
            compose_title(text, lambda c: 11.0 if c.isascii() else 22.0, width_pt=442.2, em_pt=22.0)

        paragraphs = [text, "a" * length, "“" * length, "一" + "\u200b" * (length - 1)]
        seconds = [_median(runs, title)]
        seconds += [_median(runs, lambda p=p: _paragraph(p)) for p in paragraphs]
        print(f"| {length} | " + " | ".join(f"{s:.3f}" for s in seconds) + " |")


def _paragraph(text: str) -> None:
    compose_paragraph(
        text,
        lambda c: 0.0 if c == "\u200b" else 8.1 if c.isascii() else 16.0,
        width_pt=442.2,
        em_pt=16.0,
        tracking_pt=-0.2071,
        first_indent_pt=31.6,
    )


if __name__ == "__main__":
    main()
