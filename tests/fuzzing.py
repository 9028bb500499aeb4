"""Mutated issue files from a fixed seed, and a harness that loads (and builds) each in-process.

Used by tests/test_fuzz.py (a few hundred inputs) and bench/fuzz.py (thousands). An input
passes when it builds or fails with a BulletinError; any other exception is a traceback a clerk
would see, and an input slower than the limit is a hang.
"""

from __future__ import annotations

import random
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.build import Builder
from pipeline.diagnostics import BulletinError

SEED_ISSUE = '''\
template = "work-bulletin"
note = """编者按的正文。"""

[masthead]
title = "工作简报"
number = 14
total = 236
editor = "四川省地方志工作办公室"
date = 2024-07-24
mark = "内部资料 注意保存"

[[columns]]
name = "特别关注"

[[columns.articles]]
title = "对标学习“走出去” 观摩交流“取真经”"
source = "综合省地方志办、乐山市信息"
body = """
为深入贯彻落实，调研组一行先后到访。

一、主要做法

（一）调研结束后，安排部署。
"""

[[columns.articles.tables]]
caption = "进度"
after = 1
rows = [["县（市、区）", "已建成"], ["市中区", "6"]]

[[columns]]
name = "市州动态"

[[columns.articles]]
title = "内江全覆盖建设乡镇（街道）史志阅览室"
source = "内江市委党史地方志研究室"
body = """内江市全面建成阅览室。"""

[distribution]
disclosure = "主动公开"
report_to = ["中国地方志工作办公室"]
send_to = ["各市（州）党委", "市（州）人民政府"]
issue_to = ["各市（州）地方志办公室"]
printer = "四川省地方志工作办公室综合处"
print_date = 2024-07-24
copies = 3
'''

# Characters clerks and broken files bring: full-width punctuation, quotes, brackets, escapes.
ALPHABET = [
    *"“”‘’＝：，、。；【】（）\"'[]{}=.#\\\n\t 　×",
    "\ufffe",
    "\uffff",
    "\x00",
    "\x1b",
    "\u200b",
    "é",
    "𠀀",
    '"""',
    "'''",
    "[[",
    "]]",
    "\n[[",
    "\n[",
    "年",
    "十四",
    "１４",
    "2024/03/08",
    "2024年3月8日",
]
KEYS = ["title", "number", "date", "body", "name", "source", "template", "copies", "rows"]


def mutate(text: str, rng: random.Random) -> str:
    """One to three random edits of the kind that break TOML or push the limits."""
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(12)
        at = rng.randrange(len(text) + 1)
        if kind <= 2:  # insert a character or token
            text = text[:at] + rng.choice(ALPHABET) + text[at:]
        elif kind == 3:  # delete a span
            text = text[:at] + text[at + rng.randint(1, 40) :]
        elif kind == 4:  # duplicate or drop a line
            lines = text.split("\n")
            index = rng.randrange(len(lines))
            if rng.random() < 0.5:
                lines.insert(index, lines[index])
            else:
                del lines[index]
            text = "\n".join(lines)
        elif kind == 5:  # replace a character with a look-alike
            text = text[:at] + rng.choice(ALPHABET) + text[at + 1 :]
        elif kind == 6:  # a very long run inside the text
            run = rng.choice(["长", " ", "　", "a", "、", "“", "\\n"]) * rng.choice([5000, 100_000])
            text = text[:at] + run + text[at:]
        elif kind == 7:  # deep nesting
            depth = rng.choice([50, 1000, 5000])
            text += f"\nx = {'[' * depth}{']' * depth}\n"
        elif kind == 8:  # a long dotted key
            text += "\n" + ".".join(["a"] * rng.choice([100, 20_000])) + " = 1\n"
        elif kind == 9:  # a key set to another kind of value
            key = rng.choice(KEYS)
            value = rng.choice(['"x"', "1", "-1", "2024-13-01", "[]", "{}", "true", '"auto"'])
            text = text.replace(f"\n{key} = ", f"\n{key} = {value}\n#", 1)
        elif kind == 10:  # cut the file short
            text = text[:at]
        else:  # a long template name or a table header at the very end
            text = (
                text.replace('"work-bulletin"', '"' + "模" * rng.choice([80, 300]) + '"', 1)
                if rng.random() < 0.5
                else text + "\n[["
            )
    return text


def inputs(count: int, seed: int = 13) -> Iterator[str]:
    """`count` mutated issue files, the same for the same seed."""
    rng = random.Random(seed)
    for _ in range(count):
        yield mutate(SEED_ISSUE, rng)


@dataclass
class Findings:
    """What a fuzz run found: tracebacks (with their inputs), slow inputs and timings."""

    tracebacks: list[tuple[str, str]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")
    built: int = 0
    refused: int = 0


def run(
    texts: Iterator[str],
    folder: Path,
    builder: Builder,
    render: Callable[[int], bool] = lambda index: True,
) -> Findings:
    """Load each text as an issue file in `folder`, and render it when it loads and `render`."""
    from pipeline.source.load import load_issue

    found = Findings()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "2024-14.toml"
    for index, text in enumerate(texts):
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        started = time.perf_counter()
        try:
            loaded = load_issue(path)
            if render(index):
                builder.render(loaded)
            found.built += 1
        except BulletinError:
            found.refused += 1
        except Exception:
            found.tracebacks.append((text, traceback.format_exc()))
        seconds = time.perf_counter() - started
        found.seconds.append(seconds)
        if seconds > found.slowest[0]:
            found.slowest = (seconds, text)
    return found
