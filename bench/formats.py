"""What the formats cost per issue: the PDF/A-2b build, the PDF/A-3b archive, the OFD.

    python bench/formats.py [--runs 5]

For each sample issue and a generated ~10-page one (bench/corpus.py), in one process with fonts
loaded and line caches warm, medians (min–max) of `--runs` runs of: typesetting into the PDF/A-2b
file a build writes (formats/pdfawrite.py), the archive copy (PDF/A-3b with the issue's TOML and
series.toml attached), and the OFD (display list → XML and ZIP) with its font subsets cut anew
(cache empty) and read from the cache; and the size of each file. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402


def timed(work: Callable[[], object], runs: int, before: Callable[[], None] | None = None) -> str:
    """`median (min–max)` in ms of `runs` calls of work (each after `before`, not timed)."""
    values = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        work()
        values.append((time.perf_counter() - started) * 1000)
    return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"


def kb(data: bytes) -> str:
    return f"{len(data) / 1024:.0f}"


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bulletin-bench-formats-"))
    os.environ["BULLETIN_CACHE_DIR"] = str(scratch / "cache")
    os.environ.setdefault("BULLETIN_NO_SYSTEM_FONTS", "1")

    import shutil

    from pipeline.build import Builder
    from pipeline.formats import ofdfonts
    from pipeline.formats.archive import Attachment, archive_copy
    from pipeline.formats.ofd import write_ofd
    from pipeline.source.load import load_issue

    generated = corpus.write_corpus(scratch / "issues" / "generated", 1, seed=7)[0]
    issues = [
        ROOT / "issues" / "work-bulletin" / "2024-14.toml",
        ROOT / "issues" / "brief-news" / "2024-07.toml",
        generated,
    ]
    builder = Builder(ROOT, scratch / "output")
    print(
        "| issue | pages | typeset (PDF/A-2b) ms | PDF KB "
        "| archive (PDF/A-3b) ms | archive KB | OFD, subsets cut ms | OFD, subsets cached ms "
        "| OFD KB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for path in issues:
        loaded = load_issue(path)
        _template, _chains, result = builder._typeset(loaded)  # warm fonts and line caches
        finished = result.pdf
        attached = [Attachment(path.name, path.read_bytes(), "application/toml", "Source", "")]
        archived = archive_copy(finished, attached)
        assert result.info is not None
        info = result.info
        ofd = write_ofd(result.display, info)

        def empty_cache() -> None:
            shutil.rmtree(scratch / "cache" / ofdfonts.CACHE_FOLDER, ignore_errors=True)

        row = [
            path.stem,
            str(result.pages),
            timed(lambda: builder._typeset(loaded), args.runs),  # noqa: B023
            kb(finished),
            timed(lambda: archive_copy(finished, attached), args.runs),  # noqa: B023
            kb(archived),
            timed(lambda: write_ofd(result.display, info), args.runs, empty_cache),  # noqa: B023
            timed(lambda: write_ofd(result.display, info), args.runs),  # noqa: B023
            kb(ofd),
        ]
        print("| " + " | ".join(row) + " |")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
