"""Word boundaries of Chinese text from jieba, for title breaks: loaded on first use, cached.

jieba's dictionary takes one to two seconds to load, so it is loaded only for a title that
needs more than one line, and the boundaries found are kept in the user's cache folder: the
next build of the same titles (every rebuild under `watch`) does not load jieba at all.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Any

from pipeline.files import cache_dir, write_atomically

CACHE_FILE = "title-words-v1.json"
CACHE_LIMIT = 5000  # titles kept; the oldest go first


@functools.cache
def _tokenizer() -> Any:
    """jieba's tokenizer with its dictionary loaded (about a second, once per process)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.tmp_dir = str(folder)  # its parsed-dictionary cache, next to ours
    tokenizer.initialize()
    return tokenizer


def _cache_path() -> Path:
    return cache_dir() / CACHE_FILE


@functools.cache
def _known() -> dict[str, list[int]]:
    """The boundaries found by earlier builds, read once per process."""
    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@functools.lru_cache(maxsize=2048)
def word_starts(text: str) -> frozenset[int]:
    """The indices in text where a word begins (0 and len(text) included)."""
    known = _known()
    starts = known.get(text)
    if not isinstance(starts, list):
        starts = sorted({start for _, start, _ in _tokenizer().tokenize(text)})
        known[text] = starts
        while len(known) > CACHE_LIMIT:
            del known[next(iter(known))]
        try:
            _cache_path().parent.mkdir(parents=True, exist_ok=True)
            write_atomically(_cache_path(), json.dumps(known, ensure_ascii=False).encode())
        except OSError:
            pass  # a cache that cannot be written only costs time
    return frozenset([*starts, len(text)])
