"""The sha256 of every PDF the project makes from its samples, cases and bench corpus.

    python bench/digests.py [> before.txt]     # then change the code, run again, and diff

A change that is only about speed must leave every line the same. Each issue is built three
ways: one-shot (`bulletin build`, empty cache), one-shot again (cache warm), and twice by one
kept Builder (the second a warm rebuild); all three must give the same bytes, and the script
fails when they do not.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
from run import bulletin_command  # noqa: E402


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.pdf"))
    }


def main() -> None:
    """Build everything three ways; print `digest  name`; exit 1 if the ways disagree."""
    with tempfile.TemporaryDirectory(prefix="bulletin-digests-") as temp:
        work = Path(temp)
        bench = work / "issues" / "bench"
        corpus.write_corpus(bench, 3)
        long = work / "issues" / "long"
        long.mkdir(parents=True)
        (long / "series.toml").write_text(corpus.SERIES_TOML, "utf-8")
        (long / "2025-001.toml").write_text(
            corpus.issue_toml(corpus.make_issue(1, 1, 90000)), "utf-8"
        )
        sources = [ROOT / "issues", ROOT / "tests" / "cases", bench, long]
        env = {**os.environ, "BULLETIN_CACHE_DIR": str(work / "cache")}
        runs = []
        for way in ("cold", "warm"):
            out = work / f"out-{way}"
            for source in sources:
                subprocess.run(  # some cases fail on purpose: their PDFs are simply missing
                    [*bulletin_command(), "build", str(source), "-o", str(out / source.name)],
                    cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )  # fmt: skip
            runs.append(_digests(out))
        os.environ["BULLETIN_CACHE_DIR"] = str(work / "cache")
        from pipeline.build import Builder
        from pipeline.diagnostics import BulletinError

        out = work / "out-kept"
        for source in sources:
            builder = Builder(ROOT, out / source.name)
            for issue in sorted(source.rglob("*.toml")):
                if issue.name in {"series.toml", "recipients.toml"}:
                    continue
                with contextlib.suppress(BulletinError):
                    builder.build(issue)
                    builder.build(issue)
        runs.append(_digests(out))
    for name, digest in runs[0].items():
        print(f"{digest}  {name}")
    names = ("one-shot, empty cache", "one-shot, warm cache", "kept Builder, rebuilt")
    if any(run != runs[0] for run in runs[1:]):
        for name, run in zip(names[1:], runs[1:], strict=True):
            for pdf, digest in run.items():
                if runs[0].get(pdf) != digest:
                    print(f"differs: {pdf} ({name})", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
