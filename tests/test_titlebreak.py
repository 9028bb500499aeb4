"""Tests for title lines (layout.md §3): word breaks, whole spans, balance, no lone character."""

from __future__ import annotations

import random

import pytest
from test_linebreak import EM, END_MARKS, HAN, MARKS, START_MARKS, adv, check_kinsoku, texts

from pipeline.layout.gridtext import ComposedLine
from pipeline.layout.titlebreak import compose_title
from pipeline.layout.words import word_starts


def every_char(text: str) -> set[int]:
    """A segmenter that sees every character as a word."""
    return set(range(len(text) + 1))


def title(text: str, width: float = 160.0, words: bool = False) -> list[ComposedLine]:
    return compose_title(
        text, adv, width_pt=width, em_pt=EM, word_starts=None if words else every_char
    )


def test_empty_title() -> None:
    assert title("") == []


def test_title_single_line() -> None:
    lines = compose_title("关于做好防汛工作的通知", lambda c: 22.0, width_pt=442.2, em_pt=22.0)
    assert texts(lines) == ["关于做好防汛工作的通知"]
    assert lines[0].width_pt == 242.0 and lines[0].is_last


def test_title_breaks_at_spaces() -> None:
    lines = title("内江市召开 二〇二三年\u3000防汛工作会议", width=200.0)
    assert texts(lines) == ["内江市召开 二〇二三年", "防汛工作会议"]
    assert lines[0].width_pt == 168.0 and lines[1].width_pt == 96.0


def test_title_balanced_without_lone_character() -> None:
    lines = title("关于做好防汛工作的紧急通知", width=192.0)
    assert texts(lines) == ["关于做好防汛", "工作的紧急通知"]


def test_title_prefers_break_after_punctuation() -> None:
    assert texts(title("加强基层党建，推进乡村振兴工作")) == ["加强基层党建，", "推进乡村振兴工作"]


def test_title_honours_kinsoku() -> None:
    lines = title("关于印发《内江市防汛工作方案》的通知")
    assert all(2 <= len(t) <= 10 for t in texts(lines))
    assert not any(t.endswith("《") or t.startswith("》") for t in texts(lines))


def test_title_breaks_between_words_not_inside_them() -> None:
    """§3: …地方志资 / 源开发… is a break inside 资源; jieba knows the words."""
    text = "全省地方志资源开发利用工作推进会在成都召开"
    lines = title(text, width=12 * EM, words=True)
    starts = word_starts(text)
    position = 0
    for line in texts(lines)[:-1]:
        position += len(line)
        assert position in starts, texts(lines)


def test_title_keeps_a_span_shorter_than_a_line_whole() -> None:
    """§3: 甘孜州《泸定县志 / （2006—2020）》通过终审 breaks inside 《》: it must not."""
    text = "甘孜州《泸定县志（2006—2020）》通过终审"
    lines = title(text, width=18 * EM, words=True)
    assert any("《泸定县志（2006—2020）》" in t for t in texts(lines)), texts(lines)


def test_title_with_quotes_on_three_lines() -> None:
    text = "外出考察“开眼界”对标学习“补短板”全面推进“三个一”工程建设"
    lines = title(text, width=12 * EM, words=True)
    assert len(lines) == 3
    for span in ("“开眼界”", "“补短板”", "“三个一”"):
        assert any(span in t for t in texts(lines)), texts(lines)
    widths = [line.width_pt for line in lines]
    assert max(widths) - min(widths) <= 3 * EM  # as equal as the words allow


def test_a_very_long_title_is_set() -> None:
    text = "四川省地方志工作办公室" * 400
    lines = title(text, width=20 * EM, words=True)
    assert "".join(texts(lines)) == text
    assert all(len(t) >= 2 for t in texts(lines))


@pytest.mark.parametrize("seed", range(3))
def test_random_titles(seed: int) -> None:
    rng = random.Random(100 + seed)
    marks = MARKS + START_MARKS + END_MARKS
    for _ in range(60):
        text = "".join(
            rng.choice(HAN) if rng.random() < 0.7 else rng.choice(marks)
            for _ in range(rng.randint(1, 90))
        )
        lines = title(text, width=22 * 16.0)
        check_kinsoku(lines)
        assert "".join(texts(lines)) == text
        for line in lines:
            assert line.width_pt <= 22 * 16.0 + 0.01
        if len(lines) > 1:
            assert all(len(t) >= 2 for t in texts(lines))
