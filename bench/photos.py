"""Benchmark of photos: a ~10-page issue with six 4000 × 3000 JPEG photos; prints a markdown table.

    python bench/photos.py [--runs 5]

Measured (medians of the runs, with min–max): the one-shot CLI build (`bulletin build`, font
cache warm) with the prepared photos kept on disk by an earlier build and without them, the
warm in-process rebuild after an edit of the text (what `watch` does) with the photos kept in
memory and prepared anew (what the photo cache saves), the time to prepare one photo (decode at
a reduced DCT scale, Lanczos to 300 dpi, JPEG q90), the PDF's size and pages. The photos are
synthetic scenes (bench/scene.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
from run import Sample, bulletin_command, run_child  # noqa: E402
from scene import scene  # noqa: E402

PHOTOS = 6
SIZE = (4000, 3000)


def write_issue(folder: Path) -> Path:
    """A generated issue of about ten pages, its last article carrying six photos."""
    series = folder / "issues" / "bench"
    (series / "photos").mkdir(parents=True)
    (series / "series.toml").write_text(corpus.SERIES_TOML, encoding="utf-8")
    issue = corpus.make_issue(7, 1, target_chars=2600)
    text = corpus.issue_toml(issue)
    paragraphs = len(issue.columns[-1].articles[-1].paragraphs)
    for n in range(1, PHOTOS + 1):
        scene(*SIZE, seed=n).save(series / "photos" / f"p{n}.jpg", quality=88)
        after = min(n, paragraphs)
        text += (
            f'\n[[columns.articles.photos]]\nfile = "photos/p{n}.jpg"\n'
            f'caption = "第{n}张照片的图注"\nafter = {after}\n'
        )
    path = series / "2025-001.toml"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    """Run the photo benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bulletin-bench-photos-") as temporary:
        folder = Path(temporary)
        os.environ["BULLETIN_CACHE_DIR"] = str(folder / "cache")
        issue = write_issue(folder)
        out = folder / "out"
        command = [*bulletin_command(), "build", str(issue), "-o", str(out)]
        run_child(command, folder, dict(os.environ))  # fills the font cache
        oneshot, oneshot_cold, pdf_kb = Sample(), Sample(), Sample()
        for n in range(args.runs * 2):
            if n % 2:  # the prepared photos kept on disk by earlier builds, removed
                for kept in (folder / "cache").glob("photos-*"):
                    shutil.rmtree(kept)
            run = run_child(command, folder, dict(os.environ))
            (oneshot_cold if n % 2 else oneshot).values.append(run.seconds * 1000)
        pdf = out / "bench" / "2025-001.pdf"
        pdf_kb.values.append(pdf.stat().st_size / 1000)
        pages = run.output.split("(")[-1].split(" pages")[0]

        from pipeline.build import Builder
        from pipeline.layout.photos import prepare

        builder = Builder(folder, out)
        builder.build(issue)
        original = issue.read_text(encoding="utf-8")
        warm, cold_photos = Sample(), Sample()
        for n in range(args.runs * 2):
            issue.write_text(original.replace("。", f"（第{n}次修改）。", 1), encoding="utf-8")
            if n % 2:  # neither in memory nor on disk
                builder.photo_caches.clear()
                for kept in (folder / "cache").glob("photos-*"):
                    shutil.rmtree(kept)
            started = time.perf_counter()
            builder.build(issue)
            (cold_photos if n % 2 else warm).values.append((time.perf_counter() - started) * 1000)
        one_photo = Sample()
        for _ in range(args.runs):
            started = time.perf_counter()
            prepare(issue.parent / "photos" / "p1.jpg", 1381, "bench")
            one_photo.values.append((time.perf_counter() - started) * 1000)
        source_kb = sum(p.stat().st_size for p in (issue.parent / "photos").iterdir()) / 1000

    print(
        f"Photos: {PHOTOS} JPEGs of {SIZE[0]} × {SIZE[1]} ({source_kb:.0f} KB in all), "
        f"{pages} pages"
    )
    print()
    print("| measurement | median (min–max) |")
    print("|---|---|")
    print(f"| one-shot `bulletin build`, prepared photos kept on disk, ms | {oneshot.cell()} |")
    print(f"| one-shot `bulletin build`, photos prepared anew, ms | {oneshot_cold.cell()} |")
    print(
        "| what the photos kept on disk save per one-shot build, ms | "
        f"{oneshot_cold.median - oneshot.median:.0f} |"
    )
    print(f"| warm rebuild after an edit, photo cache kept, ms | {warm.cell()} |")
    print(f"| warm rebuild after an edit, photo cache emptied, ms | {cold_photos.cell()} |")
    print(
        f"| what the photo cache saves per rebuild, ms | {cold_photos.median - warm.median:.0f} |"
    )
    print(f"| preparing one photo (decode, 300 dpi, JPEG), ms | {one_photo.cell()} |")
    print(f"| PDF size, KB | {pdf_kb.cell()} |")


if __name__ == "__main__":
    main()
