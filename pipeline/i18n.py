"""Messages in the clerk's language: English msgids in the code, Chinese from gettext catalogues.

How to write a message that a user reads (diagnostics, CLI output, help texts):

1. In the code, write the English text through `_` with named fields, never an f-string::

       from pipeline.i18n import _

       raise BulletinError.single(
           _("unknown key '{key}'", key=name), file=path, line=line, col=col, key=name,
           hint=_("did you mean '{word}'?", word=close),
       )

   `_` translates the text, then fills `{field}`s with str.format (only when fields are given;
   with fields, write a literal brace as `{{` `}}`). A text kept in a constant is marked with
   `N_("...")` (which returns it untouched) and translated where it is used: `_(CONSTANT)`.
   The `file:line:col:` prefix and the `[key]` suffix are added by `Diagnostic.format` and
   never translated; key names, TOML snippets (`date = 2024-03-08`) and command names stay as
   they are inside a translation. There are no plural forms: pick one of two msgids in code.

2. Add the translation to the catalogue of your module's stage folder, one block per message,
   blocks in msgid order (the compile step below re-sorts them, so a block added anywhere is
   fine and two branches rarely touch the same lines)::

       pipeline/locale/zh/LC_MESSAGES/<stage>.po     (the stage folder's name, such as
                                                       source or app; base.po for pipeline/*.py)
       #: pipeline/source/load.py
       msgid "unknown key '{key}'"
       msgstr "未知的键“{key}”"

   The msgstr must use exactly the msgid's `{field}`s.

3. Compile, and commit the .po and the .mo together::

       python -m pipeline.i18n          # needs the [dev] extra (babel)

   `tests/test_i18n.py` fails when a `_()`/`N_()` text has no translation, when a .mo does not
   match its .po, or when the fields of a translation differ from its msgid.
   On a rebase conflict: keep both sides' blocks in the .po (delete the <<<<<<< ======= >>>>>>>
   lines), then run the compile step again and `git add` both files (the .mo is binary: never
   merge it by hand; the compile step writes it anew).

The language: BULLETIN_LANG=zh or =en; else the locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, as
gettext reads them; on Windows the user's display language); Chinese for `zh*`, else English.
It is read at each call, so tests and long-running commands follow a changed environment.
"""

from __future__ import annotations

import gettext
import locale
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal

Language = Literal["zh", "en"]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_LANG_CHINESE = 0x04  # the primary language id of every Chinese LANGID in Windows


def _(message: str, /, **fields: object) -> str:
    """The message in the user's language, with its `{field}`s filled in."""
    text = _catalogue(language()).gettext(message)
    return text.format(**fields) if fields else text


def N_(message: str, /) -> str:
    """Mark a constant text for translation without translating it yet."""
    return message


def language() -> Language:
    """The language of messages now: BULLETIN_LANG, else the locale, else English."""
    chosen = os.environ.get("BULLETIN_LANG", "").strip().lower()
    if chosen.startswith(("zh", "en")):
        return "zh" if chosen.startswith("zh") else "en"
    for name in _LOCALE_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            # LANGUAGE is a list such as zh_CN:en; the first entry decides.
            return _from_locale_name(value.split(":")[0])
    if sys.platform == "win32":
        return _windows_language()
    return "en"


def _from_locale_name(name: str) -> Language:
    """zh_CN.UTF-8, zh-Hans, Chinese (Simplified)_China → zh; anything else → en."""
    lowered = name.lower()
    return "zh" if lowered.startswith("zh") or lowered.startswith("chinese") else "en"


def _windows_language() -> Language:  # pragma: no cover - exercised on Windows only
    """Windows keeps no locale variables: ask for the UI language, then the user locale."""
    try:
        import ctypes

        langid = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
        if isinstance(langid, int) and langid:
            return "zh" if langid & 0x3FF == _LANG_CHINESE else "en"
    except (AttributeError, OSError):
        pass
    name = locale.getlocale()[0]
    return _from_locale_name(name) if name else "en"


@lru_cache(maxsize=2)
def _catalogue(lang: Language) -> gettext.NullTranslations:
    """Every stage's compiled catalogue of the language, chained (English: none)."""
    chained = gettext.NullTranslations()
    if lang == "en":
        return chained
    for mo in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.mo")):
        with mo.open("rb") as stream:
            chained.add_fallback(gettext.GNUTranslations(stream))
    return chained


def compile_catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Sort every .po under locale_dir by msgid and write its .mo beside it; the .mo paths."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po, write_po

    written = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as stream:
            catalog = read_po(stream, locale=po.parent.parent.name, abort_invalid=True)
        with po.open("wb") as stream:
            write_po(stream, catalog, width=0, sort_output=True, omit_header=False)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as stream:
            write_mo(stream, catalog)
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_catalogues():
        print(
            f"compiled {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
        )
