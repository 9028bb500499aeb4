"""Tests for diagnostics as data: the severity is one of two words, and the shape of a message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipeline.diagnostics import Diagnostic


def test_a_misspelt_severity_is_refused_not_taken_for_a_warning() -> None:
    severity: Any = "eror"
    with pytest.raises(ValueError, match="eror"):
        Diagnostic(severity, "message")


def test_format_names_file_line_col_key_and_hint() -> None:
    diagnostic = Diagnostic(
        "error", "unknown key 'titel'", Path("a.toml"), 9, 1, "masthead.titel", "did you?"
    )
    assert diagnostic.format() == (
        "a.toml:9:1: error: unknown key 'titel' [masthead.titel]\n  hint: did you?"
    )
    assert diagnostic.is_error
    assert not Diagnostic("warning", "w").is_error
