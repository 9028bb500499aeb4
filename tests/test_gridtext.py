"""Tests of pipeline/layout/gridtext.py: the break classes of a text without spaces."""

from __future__ import annotations

import random

from pipeline.layout.gridtext import (
    _CLUSTER_STARTS,
    _MARKS,
    BREAK_FREE,
    BREAK_IN_CLUSTER,
    BREAK_KINSOKU,
    BREAK_NEVER,
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
