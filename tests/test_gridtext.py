"""Tests of pipeline/layout/gridtext.py: the break classes of a text without spaces."""

from __future__ import annotations

import random
import re

from pipeline.layout.gridtext import (
    _CLUSTER_STARTS,
    _MARKS,
    BREAK_FREE,
    BREAK_IN_CLUSTER,
    BREAK_KINSOKU,
    BREAK_NEVER,
    DOUBLED_MARKS,
    LINE_END_FORBIDDEN,
    LINE_START_FORBIDDEN,
    PARAGRAPH_SPACES,
    PreparedText,
)

PIECES = [
    *sorted(LINE_START_FORBIDDEN | LINE_END_FORBIDDEN | _CLUSTER_STARTS | _MARKS),
    *"中文川志办发〔〕号年abcXYZ.,%/:-0123",
    "〔2024〕15号",
    "川志办发〔2024〕21号",
    "2006—2020",
    "50%的",
    "——",
    "……",
]


def _prepared(text: str) -> PreparedText:
    return PreparedText(text, lambda c: 16.0 if ord(c) > 255 else 8.0, 16.0, 0.0, PARAGRAPH_SPACES)


def test_unspaced_break_classes_are_those_of_the_general_rules() -> None:
    rng = random.Random(17)
    texts = ["", "中", "中文"]
    texts += ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 30))) for _ in range(3000)]
    for text in texts:
        prepared = _prepared(text)
        assert prepared.break_class == prepared._break_classes(text), text


def test_break_classes_of_a_sentence() -> None:
    classes = _prepared("共2023年（试）。ab").break_class
    # 共|2 free, 2|0|2|3 one word, 3|年 a number with its unit, 年|（ free, （|试 and 试|） and
    # ）|。 kinsoku, 。|a free, a|b one word, and the end.
    assert classes == [
        BREAK_NEVER,
        BREAK_FREE,
        BREAK_IN_CLUSTER,
        BREAK_IN_CLUSTER,
        BREAK_IN_CLUSTER,
        BREAK_IN_CLUSTER,
        BREAK_FREE,
        BREAK_KINSOKU,
        BREAK_KINSOKU,
        BREAK_KINSOKU,
        BREAK_FREE,
        BREAK_IN_CLUSTER,
        BREAK_FREE,
    ]


def test_marks_and_loose_gaps_are_found_as_their_rules_say() -> None:
    """A mark is one of the full-width marks set at least 0.9 of a cell wide; a gap is loose
    unless it lies inside one Latin word or between the two halves of a —— or ……."""
    rng = random.Random(5)
    for _ in range(500):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 30)))
        prepared = _prepared(text)
        words = [-1] * len(text)
        for k, match in enumerate(re.finditer(r"[A-Za-z0-9]+(?:[.,%/:\-][A-Za-z0-9]+)*%?", text)):
            words[match.start() : match.end()] = [k] * (match.end() - match.start())
        assert prepared.is_mark == [
            c in _MARKS and w >= 0.9 * 16.0 for c, w in zip(text, prepared.width_pt, strict=True)
        ]
        assert prepared.loose == [
            0 if (w >= 0 and w == w_next) or (c in DOUBLED_MARKS and c == c_next) else 1
            for w, w_next, c, c_next in zip(words, words[1:], text, text[1:], strict=False)
        ], text


def test_fewer_than_two_characters_counts_what_is_not_a_space_or_a_mark() -> None:
    rng = random.Random(23)
    for _ in range(300):
        text = "".join(rng.choice([*PIECES, " ", " "]) for _ in range(rng.randint(0, 12)))
        prepared = _prepared(text)
        for start in range(len(text) + 1):
            for end in range(start, len(text) + 1):
                counted = sum(
                    1
                    for i in range(start, end)
                    if text[i] != " "
                    and not prepared.is_mark[i]
                    and text[i] not in LINE_START_FORBIDDEN
                )
                assert prepared.fewer_than_two_characters(start, end) == (counted < 2), text
