"""Word boundaries of Chinese text from jieba, for title breaks: loaded on first use, cached."""

from __future__ import annotations

import functools
import logging
from typing import Any

from pipeline.files import cache_dir


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


@functools.lru_cache(maxsize=2048)
def word_starts(text: str) -> frozenset[int]:
    """The indices in text where a word begins (0 and len(text) included)."""
    starts = {start for _, start, _ in _tokenizer().tokenize(text)}
    return frozenset(starts | {len(text)})
