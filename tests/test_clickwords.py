"""click's usage errors in the clerk's language: exact messages in Chinese and English."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pipeline.app.cli import main


@pytest.mark.parametrize(
    ("language", "args", "expected"),
    [
        (
            "en",
            ["buidl"],
            "Try 'bulletin --help' for help.\n\n"
            "Error: No such command 'buidl'. Did you mean 'build'?\n",
        ),
        (
            "zh",
            ["buidl"],
            "输入 bulletin --help 可查看用法。\n\n"
            "错误：没有“buidl”这个命令。 您要输入的是不是 'build'？\n",
        ),
        (
            "en",
            ["import"],
            "Try 'bulletin import --help' for help.\n\nError: Missing argument 'DOCX'.\n",
        ),
        ("zh", ["import"], "输入 bulletin import --help 可查看用法。\n\n错误：缺少参数 'DOCX'.\n"),
        (
            "en",
            ["build", "--nope"],
            "Try 'bulletin build --help' for help.\n\nError: No such option '--nope'.\n",
        ),
        (
            "zh",
            ["build", "--nope"],
            "输入 bulletin build --help 可查看用法。\n\n错误：没有“--nope”这个选项。\n",
        ),
    ],
)
def test_usage_errors_are_in_the_clerks_language(
    language: str, args: list[str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_LANG", language)
    result = CliRunner().invoke(main, args, prog_name="bulletin")
    assert result.exit_code == 2
    assert result.output.endswith(expected)
    assert result.output.startswith("用法：" if language == "zh" else "Usage: ")
