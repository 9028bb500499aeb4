"""What compressing its font programs costs a batch issue, against the rest of its build.

    python bench/compression.py [--issues 20] [--runs 3]

Each run builds new issues of the corpus with a warm Builder in this process, as a batch worker
does (fonts loaded, nothing of these issues kept), timing the CPU of the builds and of the font
programs' compression within them (fonts/subsets.py `deflated`: zlib level 6, each piece on its
own). The same programs are then compressed again by other encoders, for comparison: zlib
level 1 in the same pieces, and, when the `deflate` package is installed, libdeflate level 6
over each whole program. Those give other bytes, so the PDFs would change: the zlib-6 row is the
part of a batch issue's CPU that stays while the PDFs stay the same bytes (issue 17).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

WARM = 3  # issues built first: fonts loaded, code warm


def _in_pieces(level: int) -> Callable[[list[bytes]], bytes]:
    """A raw deflate of the pieces at a zlib level, a full flush after each (as `deflated`)."""

    def encode(pieces: list[bytes]) -> bytes:
        out = []
        for piece in pieces:
            compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
            out.append(compressor.compress(piece) + compressor.flush(zlib.Z_FULL_FLUSH))
        return b"".join(out)

    return encode


def _encoders() -> dict[str, Callable[[list[bytes]], bytes]]:
    """The encoders compared with the PDFs' own."""
    found = {"zlib level 1, in pieces": _in_pieces(1)}
    try:
        import deflate  # type: ignore[import-not-found]  # optional: pip install deflate
    except ImportError:
        return found
    found["libdeflate level 6, whole program"] = lambda pieces: deflate.deflate_compress(
        b"".join(pieces), 6
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=20, help="issues built per run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["BULLETIN_CACHE_DIR"] = str(folder / "cache")
        paths = corpus.write_corpus(folder / "issues" / "bench", WARM + args.runs * args.issues)
        from pipeline.build import Builder
        from pipeline.fonts import subsets

        builder = Builder(folder, folder / "out")
        for path in paths[:WARM]:
            builder.build(path)
        real = subsets.deflated
        programs: list[list[bytes]] = []
        spent, stored = [0.0], [0]

        def timed(pieces: list[bytes]) -> bytes:
            started = time.process_time()
            deflated = real(pieces)
            spent[0] += time.process_time() - started
            programs.append(pieces)
            stored[0] += len(deflated)
            return deflated

        subsets.deflated = timed
        builds, ours, rest = [], [], []
        try:
            for run in range(args.runs):
                spent[0] = 0.0
                started = time.process_time()
                first = WARM + run * args.issues
                for path in paths[first : first + args.issues]:
                    builder.build(path)
                build_ms = (time.process_time() - started) * 1000 / args.issues
                builds.append(build_ms)
                ours.append(spent[0] * 1000 / args.issues)
                rest.append(build_ms - ours[-1])
        finally:
            subsets.deflated = real
    issues = args.runs * args.issues
    size_in = sum(len(piece) for pieces in programs for piece in pieces) / issues / 1000
    size_out = stored[0] / issues / 1000  # the zlib streams as the PDFs hold them
    rows = [
        ("build CPU (ms)", _cell(builds), ""),
        ("font programs, before → after compression (KB)", f"{size_in:.0f} → {size_out:.0f}",
         f"{len(programs) / issues:.1f} programs made an issue"),
        ("zlib level 6 in pieces, the PDFs' own (ms)", _cell(ours),
         f"{statistics.median(ours) / statistics.median(builds):.0%} of the build"),
        ("the rest of the build (ms)", _cell(rest), ""),
    ]  # fmt: skip
    for name, encode in _encoders().items():
        times, out = [], 0
        for _ in range(args.runs):
            started = time.process_time()
            out = sum(len(encode(pieces)) for pieces in programs)
            times.append((time.process_time() - started) * 1000 / issues)
        rows.append((f"{name} (ms)", _cell(times), f"{out / issues / 1000:.0f} KB: other bytes"))
    print(f"per batch issue, {args.runs} runs of {args.issues} new issues, a warm Builder\n")
    print("| measure | median (min–max) | notes |\n|---|---|---|")
    print("\n".join(f"| {name} | {value} | {note} |" for name, value, note in rows))


def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


if __name__ == "__main__":
    main()
