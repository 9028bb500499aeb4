"""Series checks against the number of sibling issues: each file read, and a batch's index.

    python bench/series_checks.py [--sizes 100 1000] [--runs 7]

For series folders of the bench corpus (bench/corpus.py) with 100 and 1,000 issues, prints the
median CPU milliseconds a build spends checking one issue against its siblings: reading every
sibling's masthead (their parses kept, as in a kept Builder), and inside a batch's
`shared_series_index`, whose making is timed too. Issue 17's notes: 1.7 ms an issue with 100
siblings and 8.7 ms with 1,000 without the index; with it, a batch's checks must not grow with
the folder.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus

from pipeline.source.load import load_issue
from pipeline.source.model import Masthead
from pipeline.source.series import series_findings, shared_series_index

CHECKED = 50  # issues checked per run


def _check_all(issues: list[Path], mastheads: list[Masthead]) -> None:
    for issue, masthead in zip(issues, mastheads, strict=True):
        list(series_findings(issue, masthead))


def _cpu_ms(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return (time.process_time() - started) * 1000


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print("| siblings | each file read | with the index | making the index |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="bulletin-series-") as temp:
        for size in args.sizes:
            folder = Path(temp) / str(size)
            issues = corpus.write_corpus(folder, size)[:CHECKED]
            mastheads = [load_issue(issue).issue.masthead for issue in issues]

            check = functools.partial(_check_all, issues, mastheads)
            check()  # the siblings' parses are kept from here on, as in a kept Builder
            read = [_cpu_ms(check) / CHECKED for _ in range(args.runs)]
            indexed, made = [], []
            for _ in range(args.runs):
                index = shared_series_index([folder])
                made.append(_cpu_ms(index.__enter__))
                indexed.append(_cpu_ms(check) / CHECKED)
                index.__exit__(None, None, None)
            print(
                f"| {size} | {statistics.median(read):.3f} ms an issue "
                f"| {statistics.median(indexed):.3f} ms an issue "
                f"| {statistics.median(made):.1f} ms |"
            )


if __name__ == "__main__":
    main()
