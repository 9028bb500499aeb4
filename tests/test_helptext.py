"""`bulletin --help` and each command's help: in the chosen language, whole, with an example."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from test_i18n import CATALOGUES, _po_messages

from pipeline.app.cli import main
from pipeline.app.helptext import help_text, summary

COMMANDS = sorted(main.commands)


def _flat(text: str) -> str:
    """Help text with click's line wrapping undone (CJK lines join without a space)."""
    text = re.sub(r"\n\s+", " ", text)
    return re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", text)


def test_every_help_text_has_a_chinese_translation() -> None:
    translated: dict[str, str] = {}
    for po in CATALOGUES:
        translated.update(_po_messages(po))
    texts = [help_text(main)]
    for command in main.commands.values():
        texts.append(help_text(command))
        texts += [p.help for p in command.params if getattr(p, "help", None)]  # type: ignore[attr-defined]
    missing = [text for text in texts if not translated.get(text)]
    assert not missing, "translate these in pipeline/locale/zh/LC_MESSAGES/app.po: " + repr(missing)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_command_list_shows_each_whole_summary(
    monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    monkeypatch.setenv("BULLETIN_LANG", language)
    shown = CliRunner().invoke(main, ["--help"], prog_name="bulletin")
    assert shown.exit_code == 0
    assert "…" not in shown.stdout
    assert shown.stdout.startswith({"en": "Usage: bulletin", "zh": "用法：bulletin"}[language])
    listed = _flat(shown.stdout)
    for name in COMMANDS:
        assert _flat(summary(main.commands[name])) in listed, name
    if language == "zh":
        assert "命令：" in shown.stdout and "生成 issues/ 下的每一期" in shown.stdout


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_has_its_help_with_an_example(
    monkeypatch: pytest.MonkeyPatch, language: str, name: str
) -> None:
    monkeypatch.setenv("BULLETIN_LANG", language)
    shown = CliRunner().invoke(main, [name, "--help"], prog_name="bulletin")
    assert shown.exit_code == 0
    heading = {"en": r"Examples?:", "zh": "示例："}[language]
    assert re.search(rf"^  {heading}\n\n    bulletin {name}\b", shown.stdout, re.MULTILINE), (
        shown.stdout
    )
    options = {"en": "Options:", "zh": "选项："}[language]
    assert options in shown.stdout
    if language == "zh":
        assert "显示此帮助并退出。" in shown.stdout
        assert help_text(main.commands[name]).split("\n")[0] not in shown.stdout  # translated
