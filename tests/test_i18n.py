"""The message catalogues: language choice, complete and compiled translations, same fields."""

from __future__ import annotations

import ast
import gettext
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from pipeline import i18n
from pipeline.diagnostics import Diagnostic
from pipeline.i18n import _, language

PACKAGE = Path(i18n.__file__).resolve().parent
CATALOGUES = sorted(i18n.LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))
LOCALE_VARIABLES = ("BULLETIN_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def _po_messages(po: Path) -> dict[str, str]:
    with po.open("rb") as stream:
        catalog = read_po(stream)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def _marked_texts() -> dict[str, str]:
    """Every text the package passes to _() or N_(), with where it stands."""
    found: dict[str, str] = {}
    for module in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args
            ):
                continue
            where = f"{module.relative_to(PACKAGE.parent)}:{node.lineno}"
            first = node.args[0]
            formatted = (
                isinstance(first, ast.Call)
                and isinstance(first.func, ast.Attribute)
                and first.func.attr == "format"
            )
            assert not isinstance(first, ast.JoinedStr | ast.BinOp) and not formatted, (
                f"{where}: _() takes a literal text with {{fields}}, not an f-string or a"
                " built string (a constant text is marked N_() where it is defined)"
            )
            if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
                continue  # _(CONSTANT): the constant's text is marked N_() where it is set
            found.setdefault(first.value, where)
    return found


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.fixture
def clean_locale(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(i18n.sys, "platform", "linux")
    return monkeypatch


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_TW.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),
        ({"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, "zh"),
        ({"BULLETIN_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
        ({"BULLETIN_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ],
)
def test_language_follows_bulletin_lang_then_the_locale(
    clean_locale: pytest.MonkeyPatch, variables: dict[str, str], expected: str
) -> None:
    for name, value in variables.items():
        clean_locale.setenv(name, value)
    assert language() == expected


def test_windows_asks_for_the_display_language(clean_locale: pytest.MonkeyPatch) -> None:
    clean_locale.setattr(i18n.sys, "platform", "win32")
    clean_locale.setattr(i18n, "_windows_language", lambda: "zh")
    assert language() == "zh"
    clean_locale.setenv("BULLETIN_LANG", "en")
    assert language() == "en"


def test_windows_locale_names_are_recognised() -> None:
    assert i18n._from_locale_name("Chinese (Simplified)_China") == "zh"
    assert i18n._from_locale_name("zh-Hans-CN") == "zh"
    assert i18n._from_locale_name("English_United States") == "en"


def test_every_marked_text_has_a_chinese_translation() -> None:
    translated: dict[str, str] = {}
    for po in CATALOGUES:
        translated.update(_po_messages(po))
    missing = {text: where for text, where in _marked_texts().items() if not translated.get(text)}
    assert not missing, (
        "add these to pipeline/locale/zh/LC_MESSAGES/<stage>.po, then run"
        f" `python -m pipeline.i18n` (see pipeline/i18n.py): {missing}"
    )


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.name)
def test_each_translation_keeps_the_fields_of_its_msgid(po: Path) -> None:
    wrong = {
        msgid: msgstr
        for msgid, msgstr in _po_messages(po).items()
        if msgstr and _fields(msgid) != _fields(msgstr)
    }
    assert not wrong


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.name)
def test_the_compiled_catalogue_matches_its_po(po: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"run `python -m pipeline.i18n` to compile {po.name}"
    with mo.open("rb") as stream:
        compiled = gettext.GNUTranslations(stream)
    stale = {
        msgid: msgstr
        for msgid, msgstr in _po_messages(po).items()
        if msgstr and compiled.gettext(msgid) != msgstr
    }
    assert not stale, f"{po.name} changed after it was compiled: run `python -m pipeline.i18n`"


def test_messages_translate_and_fill_their_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "_catalogue", lambda lang: _FakeCatalogue(lang))
    monkeypatch.setenv("BULLETIN_LANG", "zh")
    assert _("unknown key '{key}'", key="titel") == "未知的键“titel”"
    monkeypatch.setenv("BULLETIN_LANG", "en")
    assert _("unknown key '{key}'", key="titel") == "unknown key 'titel'"
    assert _("braces {stay} without fields") == "braces {stay} without fields"


def test_the_position_and_key_stay_machine_readable_in_chinese(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BULLETIN_LANG", "zh")
    shown = Diagnostic("error", "未知的键", Path("a.toml"), 3, 1, "masthead.titel").format()
    assert shown.startswith("a.toml:3:1: ")
    assert shown.endswith(" [masthead.titel]")


class _FakeCatalogue(gettext.NullTranslations):
    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def gettext(self, message: str) -> str:
        if self.lang == "zh" and message == "unknown key '{key}'":
            return "未知的键“{key}”"
        return message
