"""Benchmarks of bulletin against Typst on the same content, in one run; prints a markdown table.

    python bench/run.py [--runs 7] [--issues 100] [--jobs 2] [--quick]

Measured (medians of at least 5 runs, with min–max): the one-shot CLI build of a ~10-page issue
(font cache warm, and empty), the warm in-process rebuild after an edit, save-to-PDF latency
under `bulletin watch` (bench/watch_latency.py), batch throughput over generated issues with
`bulletin build -j`, peak memory and PDF size. The same content typeset by Typst (the `typst`
package: same fonts, page geometry and sizes, see bench/typst_doc.py), one-shot in a fresh
process and warm with a kept Compiler, and the ratio of ours to Typst's. Needs `pip install -e
".[bench]"`; takes about 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
import typst_doc  # noqa: E402

FONTS = ROOT / "fonts" / "bundled"


@dataclass
class Sample:
    """Repeated measurements of one quantity."""

    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """The median, or NaN when nothing was measured."""
        return statistics.median(self.values) if self.values else float("nan")

    def cell(self, digits: int = 0) -> str:
        """`median (min–max)`"""
        if not self.values:
            return "–"
        low, high = min(self.values), max(self.values)
        return f"{self.median:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"


@dataclass
class Run:
    """One child process: wall and CPU seconds (its own and its children's), peak RSS in MB."""

    seconds: float
    cpu: float
    peak_mb: float
    output: str


def run_child(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run a command to its end; its wall time and its own peak RSS (os.wait4)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    output = process.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output}")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output)


def bulletin_command() -> list[str]:
    """The installed `bulletin` script run directly (not through a shell shim)."""
    script = Path(sysconfig.get_path("scripts")) / "bulletin"
    if script.exists():
        return [sys.executable, str(script)]
    return [sys.executable, "-c", "from pipeline.app.cli import main; main()"]


def edited(issue: corpus.Issue, n: int) -> corpus.Issue:
    """The issue after a clerk's edit number n: one sentence added to the first paragraph."""
    article = issue.columns[0].articles[0]
    level, text = article.paragraphs[0]
    article.paragraphs[0] = (level, text + f"本文第{n}次修改，补充了有关情况。")
    return issue


class Bench:
    """The whole benchmark in one temporary project."""

    def __init__(self, folder: Path, runs: int, count: int, jobs: int) -> None:
        self.folder = folder
        self.runs = runs
        self.count = count
        self.jobs = jobs
        self.series = folder / "issues" / "bench"
        self.issues = corpus.write_corpus(self.series, count)
        self.issue = corpus.make_issue(1, 1)
        self.one = self.series / "2025-001.toml"
        self.cache = folder / "cache"
        self.env = {**os.environ, "BULLETIN_CACHE_DIR": str(self.cache)}
        self.typ = folder / "typst" / "issue.typ"
        self.typ.parent.mkdir()
        self.typ.write_text(typst_doc.typst_source(self.issue), encoding="utf-8")
        self.results: dict[str, Sample] = {}
        self.notes: dict[str, str] = {}

    def sample(self, key: str) -> Sample:
        """The sample of a key, made on first use."""
        return self.results.setdefault(key, Sample())

    # -- ours ----------------------------------------------------------------------------------

    def one_shot(self) -> None:
        """`bulletin build ISSUE` in a new process: font cache warm, then empty."""
        command = [*bulletin_command(), "build", str(self.one), "-o", str(self.folder / "out")]
        run_child(command, self.folder, self.env)  # fills the font cache
        for _ in range(self.runs):
            run = run_child(command, self.folder, self.env)
            self.sample("oneshot").values.append(run.seconds * 1000)
            self.sample("oneshot_cpu").values.append(run.cpu * 1000)
            self.sample("oneshot_mb").values.append(run.peak_mb)
        pdf = self.folder / "out" / "bench" / "2025-001.pdf"
        self.sample("pdf_kb").values.append(pdf.stat().st_size / 1000)
        self.notes["pages"] = run.output.split("(")[-1].split(" pages")[0]
        for n in range(max(5, self.runs // 2)):
            env = {**self.env, "BULLETIN_CACHE_DIR": str(self.folder / f"cold-cache-{n}")}
            run = run_child(command, self.folder, env)
            self.sample("oneshot_cold").values.append(run.seconds * 1000)

    def warm(self) -> None:
        """A kept Builder: rebuild after an edit (the issue file rewritten), and unchanged."""
        os.environ["BULLETIN_CACHE_DIR"] = str(self.cache)
        from pipeline.build import Builder

        builder = Builder(self.folder, self.folder / "out-warm")
        builder.build(self.one)
        for n in range(1, 3 * self.runs + 1):
            self.one.write_text(corpus.issue_toml(edited(corpus.make_issue(1, 1), n)), "utf-8")
            started = time.perf_counter()
            builder.build(self.one)
            self.sample("warm_edit").values.append((time.perf_counter() - started) * 1000)
        for _ in range(2 * self.runs):
            started = time.perf_counter()
            builder.build(self.one)
            self.sample("warm_same").values.append((time.perf_counter() - started) * 1000)
        self.one.write_text(corpus.issue_toml(corpus.make_issue(1, 1)), "utf-8")

    def batch(self) -> None:
        """`bulletin build FOLDER -j N` over the generated issues, in a new process each run."""
        command = [
            *bulletin_command(), "build", str(self.series), "-o", str(self.folder / "out-batch"),
            "-j", str(self.jobs),
        ]  # fmt: skip
        for _ in range(max(5, self.runs - 2)):
            run = run_child(command, self.folder, self.env)
            self.sample("batch").values.append(self.count / run.seconds)
            self.sample("batch_cpu").values.append(run.cpu * 1000 / self.count)
            self.sample("batch_mb").values.append(run.peak_mb)
        sizes = [p.stat().st_size / 1000 for p in (self.folder / "out-batch").rglob("*.pdf")]
        self.notes["batch_pdf_kb"] = f"{statistics.mean(sizes):.0f}"
        self.notes["batch_line"] = run.output.strip().splitlines()[-1]

    def watch(self, saves: int) -> None:
        """Save-to-PDF latency of `bulletin watch`, measured by bench/watch_latency.py."""
        script = textwrap.dedent(
            f"""
            import json, resource, sys, tempfile
            from pathlib import Path
            sys.path.insert(0, {str(HERE)!r})
            from watch_latency import make_project, measure_latency
            with tempfile.TemporaryDirectory() as folder:
                project = Path(folder)
                issue = make_project(project)
                result = measure_latency(project, issue, {saves}, 50)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(json.dumps({{"latencies": result["latencies"], "peak": peak}}))
            """
        )
        run = run_child([sys.executable, "-c", script], self.folder, self.env)
        result = json.loads(run.output.strip().splitlines()[-1])
        self.sample("watch").values.extend(result["latencies"])
        self.sample("watch_mb").values.append(result["peak"])

    # -- Typst ---------------------------------------------------------------------------------

    def typst_one_shot(self) -> None:
        """typst.compile in a new process (bundled fonts only, as ours)."""
        out = self.typ.with_suffix(".pdf")
        script = (
            "import typst; typst.compile("
            f"{str(self.typ)!r}, output={str(out)!r}, font_paths=[{str(FONTS)!r}], "
            "ignore_system_fonts=True)"
        )
        run_child([sys.executable, "-c", script], self.folder)
        for _ in range(self.runs):
            run = run_child([sys.executable, "-c", script], self.folder)
            self.sample("t_oneshot").values.append(run.seconds * 1000)
            self.sample("t_oneshot_cpu").values.append(run.cpu * 1000)
            self.sample("t_oneshot_mb").values.append(run.peak_mb)
        self.sample("t_pdf_kb").values.append(out.stat().st_size / 1000)

    def typst_warm(self) -> None:
        """A kept typst.Compiler: compile after the same edits, and unchanged."""
        import typst

        compiler = typst.Compiler(str(self.typ), font_paths=[str(FONTS)], ignore_system_fonts=True)
        compiler.compile()
        for n in range(1, 3 * self.runs + 1):
            source = typst_doc.typst_source(edited(corpus.make_issue(1, 1), n))
            self.typ.write_text(source, encoding="utf-8")
            started = time.perf_counter()
            compiler.compile()
            self.sample("t_warm_edit").values.append((time.perf_counter() - started) * 1000)
        for _ in range(2 * self.runs):
            started = time.perf_counter()
            compiler.compile()
            self.sample("t_warm_same").values.append((time.perf_counter() - started) * 1000)

    def typst_batch(self) -> None:
        """The same issues compiled by Typst in `jobs` processes, a kept Compiler in each."""
        script = textwrap.dedent(
            f"""
            import sys, time
            from concurrent.futures import ProcessPoolExecutor
            from pathlib import Path
            sys.path.insert(0, {str(HERE)!r})
            import corpus, typst_doc, typst
            folder = Path({str(self.typ.parent)!r})
            def work(numbers):
                source = folder / f"batch-{{numbers[0]}}.typ"
                source.write_text(typst_doc.typst_source(corpus.make_issue(1, numbers[0])))
                compiler = typst.Compiler(str(source), font_paths=[{str(FONTS)!r}],
                                          ignore_system_fonts=True)
                for n in numbers:
                    source.write_text(typst_doc.typst_source(corpus.make_issue(1, n)))
                    compiler.compile(output=str(folder / f"batch-{{n}}.pdf"))
                return len(numbers)
            numbers = list(range(1, {self.count} + 1))
            with ProcessPoolExecutor({self.jobs}) as pool:
                print(sum(pool.map(work, [numbers[i::{self.jobs}] for i in range({self.jobs})])))
            """
        )
        for _ in range(max(3, self.runs // 2)):
            run = run_child([sys.executable, "-c", script], self.folder)
            self.sample("t_batch").values.append(self.count / run.seconds)
            self.sample("t_batch_cpu").values.append(run.cpu * 1000 / self.count)

    # -- report ------------------------------------------------------------------------------

    def table(self) -> str:
        """The markdown table of everything measured."""
        rows: list[tuple[str, str, str, str, str, str]] = []

        def ratio(ours: str, theirs: str, invert: bool = False) -> str:
            a, b = self.sample(ours).median, self.sample(theirs).median
            if not (a == a and b == b) or b == 0:
                return "–"
            return f"{(b / a if invert else a / b):.2f}×"

        def verdict(key: str, target: float, higher: bool = False) -> str:
            value = self.sample(key).median
            ok = value >= target if higher else value <= target
            return ("met" if ok else "missed") + f" ({'≥' if higher else '≤'} {target:g})"

        pages = self.notes.get("pages", "?")
        rows.append((
            f"one-shot CLI build, {pages}-page issue (ms)", self.sample("oneshot").cell(),
            self.sample("t_oneshot").cell(), ratio("oneshot", "t_oneshot"),
            verdict("oneshot", 350), "new process; font cache warm; bytecode compiled",
        ))  # fmt: skip
        rows.append((
            "  the same, CPU time (ms)", self.sample("oneshot_cpu").cell(),
            self.sample("t_oneshot_cpu").cell(), ratio("oneshot_cpu", "t_oneshot_cpu"), "–",
            "user + system CPU of the process",
        ))  # fmt: skip
        rows.append((
            "one-shot CLI build, font cache empty (ms)", self.sample("oneshot_cold").cell(),
            self.sample("t_oneshot").cell(), ratio("oneshot_cold", "t_oneshot"), "–",
            "first run on a machine: 5 fonts parsed",
        ))  # fmt: skip
        rows.append((
            "warm rebuild after an edit (ms)", self.sample("warm_edit").cell(1),
            self.sample("t_warm_edit").cell(1), ratio("warm_edit", "t_warm_edit"),
            verdict("warm_edit", 40), "kept Builder / kept typst.Compiler",
        ))  # fmt: skip
        rows.append((
            "warm rebuild, unchanged (ms)", self.sample("warm_same").cell(1),
            self.sample("t_warm_same").cell(1), ratio("warm_same", "t_warm_same"), "–", "",
        ))  # fmt: skip
        rows.append((
            "save-to-PDF under `bulletin watch` (ms)", self.sample("watch").cell(),
            "–", "–", verdict("watch", 100),
            "50 ms quiet period; typst watch: 138 ms (perf-anchors)",
        ))  # fmt: skip
        rows.append((
            f"batch: {self.count} issues, -j {self.jobs} (issues/s)", self.sample("batch").cell(1),
            self.sample("t_batch").cell(1), ratio("batch", "t_batch"),
            verdict("batch", 25, higher=True), self.notes.get("batch_line", ""),
        ))  # fmt: skip
        rows.append((
            "  batch CPU time per issue (ms)", self.sample("batch_cpu").cell(1),
            self.sample("t_batch_cpu").cell(1), ratio("batch_cpu", "t_batch_cpu"), "–",
            f"all processes; {self.jobs} idle cores give ≈ {self.jobs}000 / this issues/s",
        ))  # fmt: skip
        rows.append((
            "peak memory, one-shot (MB)", self.sample("oneshot_mb").cell(),
            self.sample("t_oneshot_mb").cell(), ratio("oneshot_mb", "t_oneshot_mb"), "–", "",
        ))  # fmt: skip
        rows.append((
            "peak memory, watcher (MB)", self.sample("watch_mb").cell(), "–", "–",
            verdict("watch_mb", 250), "bulletin watch over the saves above",
        ))  # fmt: skip
        rows.append((
            "peak memory, batch (MB, largest process)", self.sample("batch_mb").cell(), "–",
            "–", "–", "",
        ))  # fmt: skip
        rows.append((
            f"PDF size, {pages}-page issue (KB)", self.sample("pdf_kb").cell(),
            self.sample("t_pdf_kb").cell(), ratio("pdf_kb", "t_pdf_kb"),
            verdict("pdf_kb", 300), f"batch mean {self.notes.get('batch_pdf_kb', '?')} KB",
        ))  # fmt: skip
        head = "| measure | bulletin | Typst | ours / Typst | target | notes |\n"
        head += "|---|---|---|---|---|---|\n"
        return head + "\n".join("| " + " | ".join(row) + " |" for row in rows)


def main() -> None:
    """Run everything and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="repeats per measure (≥ 5)")
    parser.add_argument("--issues", type=int, default=100, help="issues in the batch")
    parser.add_argument("--jobs", type=int, default=2, help="-j of the batch")
    parser.add_argument("--saves", type=int, default=10, help="saves under bulletin watch")
    parser.add_argument("--keep", type=Path, help="keep the project in this folder")
    args = parser.parse_args()
    runs = max(5, args.runs)
    started = time.perf_counter()
    compile_package()
    folder = Path(tempfile.mkdtemp(prefix="bulletin-bench-"))
    try:
        bench = Bench(folder, runs, args.issues, args.jobs)
        steps: list[tuple[str, Callable[[], None]]] = [
            ("one-shot", bench.one_shot),
            ("typst one-shot", bench.typst_one_shot),
            ("warm", bench.warm),
            ("typst warm", bench.typst_warm),
            ("watch", lambda: bench.watch(args.saves)),
            ("batch", bench.batch),
            ("typst batch", bench.typst_batch),
        ]
        load_before = os.getloadavg()[0]
        for name, step in steps:
            step_started = time.perf_counter()
            step()
            print(f"{name}: {time.perf_counter() - step_started:.1f} s", file=sys.stderr)
        print(
            f"bulletin vs Typst {_typst_version()} on {platform.python_implementation()} "
            f"{platform.python_version()}, {os.cpu_count()} cores; issue 1 of the corpus: "
            f"{bench.issue.characters()} characters; medians (min–max) of ≥ {runs} runs; "
            f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n"
        )
        print(bench.table())
        print(f"\n({time.perf_counter() - started:.0f} s)")
    finally:
        if args.keep:
            shutil.copytree(folder, args.keep, dirs_exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


def compile_package() -> None:
    """Compile the package's bytecode as `pip install` does.

    Where PYTHONDONTWRITEBYTECODE is set (it is on some build machines), an editable install
    would otherwise compile every module of the package on every run (~30 ms), which no
    installed copy does.
    """
    import compileall

    import pipeline

    compileall.compile_dir(Path(pipeline.__file__).parent, quiet=1)


def _typst_version() -> str:
    try:
        from importlib.metadata import version

        return version("typst")
    except Exception:  # only for the heading
        return "?"


if __name__ == "__main__":
    main()
