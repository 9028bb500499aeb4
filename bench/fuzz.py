"""A large fuzz run: thousands of mutated issue files, each loaded and, when it loads, typeset.

Reports tracebacks (any exception but a BulletinError), hangs (an input over --hang-s, cut off
by an alarm) and the slowest inputs. The inputs are the suite's (tests/fuzzing.py), more of them.

    python bench/fuzz.py [--count 5000] [--seed 13] [--hang-s 20] [--save FOLDER]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fuzzing import inputs  # noqa: E402

from pipeline.build import Builder  # noqa: E402
from pipeline.diagnostics import BulletinError  # noqa: E402
from pipeline.source.load import load_issue  # noqa: E402


class Hang(BaseException):
    """Raised by the alarm: one input took longer than the limit."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang


def main() -> None:
    """Run the fuzz and print what it found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--hang-s", type=int, default=20)
    parser.add_argument("--save", type=Path, help="write each failing input here")
    args = parser.parse_args()
    os.environ.setdefault("BULLETIN_NO_SYSTEM_FONTS", "1")
    work = Path(tempfile.mkdtemp(prefix="bulletin-fuzz-"))
    builder = Builder(ROOT, work / "output")
    path = work / "issues" / "fuzz" / "2024-14.toml"
    path.parent.mkdir(parents=True)
    signal.signal(signal.SIGALRM, _alarm)
    tracebacks: list[tuple[int, str]] = []
    hangs: list[int] = []
    seconds: list[tuple[float, int, int]] = []
    typeset = 0
    started = time.perf_counter()
    for index, text in enumerate(inputs(args.count, args.seed)):
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        began = time.perf_counter()
        signal.alarm(args.hang_s)
        failed = ""
        try:
            builder.render(load_issue(path))
            typeset += 1
        except BulletinError:
            pass
        except Hang:
            hangs.append(index)
            failed = "hang"
        except Exception:
            tracebacks.append((index, traceback.format_exc()))
            failed = "traceback"
        finally:
            signal.alarm(0)
        seconds.append((time.perf_counter() - began, index, len(text)))
        if failed and args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"{failed}-{index}.toml").write_text(
                text, encoding="utf-8", errors="surrogatepass"
            )
    total = time.perf_counter() - started
    times = [s for s, _, _ in seconds]
    print(f"{args.count} inputs (seed {args.seed}) in {total:.0f} s: {typeset} typeset")
    print(f"tracebacks: {len(tracebacks)}; hangs over {args.hang_s} s: {len(hangs)} {hangs}")
    print(f"per input: median {statistics.median(times) * 1000:.1f} ms")
    for spent, index, length in sorted(seconds, reverse=True)[:5]:
        print(f"  slow: input {index}, {length} characters, {spent:.2f} s")
    for index, trace in tracebacks[:5]:
        print(f"--- input {index}\n{trace}")


if __name__ == "__main__":
    main()
