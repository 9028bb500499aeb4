"""Title word boundaries: jieba's words, kept in the cache folder for the next build."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.layout import words


def test_word_starts_are_jiebas_words() -> None:
    starts = words.word_starts("全省地方志资源开发利用工作推进会")
    assert {0, 2, 5, 7, 11, 13, 16} <= starts and 6 not in starts  # 资源 is one word


def test_a_later_process_reads_the_boundaries_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path))
    for cached in (words._known, words.word_starts):
        cached.cache_clear()
    first = words.word_starts("机关党委召开理论学习中心组学习会")
    assert (tmp_path / words.CACHE_FILE).exists()
    for cached in (words._known, words.word_starts):  # as in a new process
        cached.cache_clear()

    def no_jieba() -> None:
        raise AssertionError("jieba was loaded although the cache knows the title")

    monkeypatch.setattr(words, "_tokenizer", no_jieba)
    assert words.word_starts("机关党委召开理论学习中心组学习会") == first
    for cached in (words._known, words.word_starts):
        cached.cache_clear()
