"""Save-to-PDF latency of `bulletin watch`, warm rebuild time, and memory over many rebuilds.

Run: python3 bench/watch_latency.py [--saves 20] [--quiet-ms 50] [--rebuilds 500] [--profile]

A temporary project gets the repository's templates and one ~5,000-character, 10-page issue made
from the sample articles. `bulletin watch` runs as a subprocess (as a clerk runs it); this process
saves the issue (alternating an in-place write and a temp file renamed over it) and polls the
PDF's inode every 0.5 ms until the new PDF is in place. Then, in this process, a kept Builder
rebuilds the issue in a loop for the warm time and the memory figures.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [ROOT / "issues" / "work-bulletin" / n for n in ("2024-14.toml", "2024-13.toml")]
TARGET_CHARS = 4300  # with titles and column tags, 4,457 characters fill 10 pages
POLL_S = 0.0005
SERIES = """template = "work-bulletin"

[masthead]
title = "工作简报"
editor = "四川省地方志工作办公室"

[distribution]
report_to = ["省委办公厅", "省政府办公厅"]
send_to = ["省直有关部门"]
issue_to = ["各市（州）地方志工作机构"]
printer = "四川省地方志工作办公室综合处"
copies = 120
"""


def make_issue(marker: int) -> tuple[str, int]:
    """An issue of ~5,000 characters from the sample articles; `marker` varies the first title."""
    articles = []
    for sample in SAMPLES:
        data = tomllib.loads(sample.read_text(encoding="utf-8"))
        articles += [a for column in data["columns"] for a in column["articles"]]
    chosen, chars = [], 0
    for article in articles:
        size = len(article["title"]) + len("".join(article["body"].split()))
        if chars + size > TARGET_CHARS + 300:
            continue
        chosen.append(article)
        chars += size
    parts = [
        "[masthead]\nnumber = 20\ntotal = 242\ndate = 2024-10-08\n",
        '[[columns]]\nname = "特别关注"\n',
    ]
    for n, article in enumerate(chosen):
        title = f"{article['title']}（第{marker}稿）" if n == 0 else article["title"]
        parts.append(
            f'[[columns.articles]]\ntitle = "{title}"\n'
            f'source = "{article.get("source", "")}"\nbody = """\n{article["body"]}"""\n'
        )
    return "\n".join(parts), chars


def make_project(folder: Path) -> Path:
    """A project with the repository's templates and the benchmark issue; the issue's path."""
    shutil.copytree(ROOT / "templates", folder / "templates")
    series = folder / "issues" / "bench"
    series.mkdir(parents=True)
    (series / "series.toml").write_text(SERIES, encoding="utf-8")
    issue = series / "2024-20.toml"
    issue.write_text(make_issue(0)[0], encoding="utf-8")
    return issue


def save(path: Path, text: str, rename: bool) -> float:
    """Save like an editor; the time the save returned."""
    if rename:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    else:
        path.write_text(text, encoding="utf-8")
    return time.perf_counter()


def identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def measure_latency(project: Path, issue: Path, saves: int, quiet_ms: int) -> dict[str, object]:
    """Run `bulletin watch` and time each save until its PDF is in place."""
    pdf = project / "output" / "bench" / "2024-20.pdf"
    command = [
        sys.executable,
        "-c",
        "from pipeline.app.cli import main; main()",
        "watch",
        "--quiet-ms",
        str(quiet_ms),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("watching"):
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    if not ready.wait(60):
        process.kill()
        raise SystemExit("the watcher did not start:\n" + "\n".join(lines))
    startup = time.perf_counter() - started
    first = lines[0]
    latencies: list[float] = []
    builds_per_save: list[int] = []
    try:
        for n in range(1, saves + 1):
            text = make_issue(n)[0]
            before, built_before = identity(pdf), sum("  built  " in line for line in lines)
            saved = save(issue, text, rename=n % 2 == 0)
            deadline = saved + 10
            while identity(pdf) == before:
                if time.perf_counter() > deadline:
                    raise SystemExit("no new PDF after 10 s:\n" + "\n".join(lines[-5:]))
                time.sleep(POLL_S)
            latencies.append((time.perf_counter() - saved) * 1000)
            time.sleep(0.25 + quiet_ms / 1000)  # let any second build of the same save show up
            builds_per_save.append(sum("  built  " in line for line in lines) - built_before)
    finally:
        process.terminate()
        process.wait(10)
    build_ms = [
        int(m.group(1))
        for line in lines[1:]
        if (m := re.search(r"  built  \d+ pages  (\d+) ms", line))
    ]
    return {
        "latencies": latencies,
        "builds": builds_per_save,
        "startup": startup * 1000,
        "build_ms": build_ms,
        "first": first,
        "returncode": process.returncode,
    }


def rss_mb() -> float:
    """Resident memory now, from /proc (ru_maxrss is only the peak)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure_warm(project: Path, issue: Path, rebuilds: int, profile: bool) -> dict[str, object]:
    """Builder.build in a loop: warm time (median of 20) and memory after 50 and `rebuilds`."""
    from pipeline.build import Builder

    builder = Builder(project)
    result = builder.build(issue)
    pages = result.pages
    for _ in range(3):
        builder.build(issue)
    warm = [builder.build(issue).seconds * 1000 for _ in range(20)]
    edited = []
    memory: dict[int, float] = {}
    for n in range(1, rebuilds + 1):
        issue.write_text(make_issue(n)[0], encoding="utf-8")  # every rebuild a new text
        result = builder.build(issue)
        if n <= 20:
            edited.append(result.seconds * 1000)
        if n in (50, rebuilds):
            gc.collect()
            memory[n] = rss_mb()
    top = ""
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            builder.build(issue)
        profiler.disable()
        stream = __import__("io").StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(15)
        top = stream.getvalue()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "warm": warm,
        "edited": edited,
        "memory": memory,
        "peak": peak,
        "pages": pages,
        "profile": top,
    }


def row(name: str, values: list[float], unit: str = "ms") -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"| {name} | {statistics.median(values):.0f} | {p95:.0f} | {ordered[0]:.0f} | "
        f"{ordered[-1]:.0f} | {unit} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--quiet-ms", type=int, default=50)
    parser.add_argument("--rebuilds", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of warm builds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bulletin-bench-") as folder:
        project = Path(folder)
        issue = make_project(project)
        chars = make_issue(0)[1]
        latency = measure_latency(project, issue, args.saves, args.quiet_ms)
        warm = measure_warm(project, issue, args.rebuilds, args.profile)
    lat = latency["latencies"]
    assert isinstance(lat, list)
    print(
        f"issue: {chars} characters, {warm['pages']} pages; quiet period {args.quiet_ms} ms; "
        f"{args.saves} saves (in place and temp + rename alternating)"
    )
    print(
        f"watcher: first status line {latency['first']!r}, ready after "
        f"{latency['startup']:.0f} ms, exit status {latency['returncode']}"
    )
    print()
    print("| what | p50 | p95 | min | max | unit |")
    print("|---|---|---|---|---|---|")
    print(row("save → new PDF in place", lat))
    print(row("  of which the build (watcher's status line)", latency["build_ms"]))  # type: ignore[arg-type]
    print(row("warm rebuild, unchanged (Builder.build)", warm["warm"]))  # type: ignore[arg-type]
    print(row("warm rebuild after an edit", warm["edited"]))  # type: ignore[arg-type]
    builds = latency["builds"]
    assert isinstance(builds, list)
    print(f"\nbuilds per save: {sorted(set(builds))} (max {max(builds)})")
    memory = warm["memory"]
    assert isinstance(memory, dict)
    after = ", ".join(f"after {n} rebuilds {mb:.1f} MB" for n, mb in memory.items())
    print(f"memory (RSS): {after}; peak {warm['peak']:.1f} MB")
    targets = [
        ("p50 save → PDF", statistics.median(lat), 100.0),
        ("warm rebuild", statistics.median(warm["warm"]), 40.0),
    ]  # type: ignore[arg-type]
    for name, value, target in targets:
        verdict = "met" if value <= target else f"missed by {value - target:.0f} ms"
        print(f"target {name} ≤ {target:.0f} ms: {value:.0f} ms, {verdict}")
    grown = memory[max(memory)] - memory[50]
    print(
        f"target memory after {max(memory)} ≤ after 50: {grown:+.1f} MB, "
        f"{'met' if grown <= 1.0 else 'missed'} (1 MB tolerance for allocator noise)"
    )
    if warm["profile"]:
        print("\n" + str(warm["profile"]))


if __name__ == "__main__":
    main()
