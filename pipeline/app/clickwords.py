"""click's own messages (usage errors such as "No such command") in the clerk's language.

click writes these through `gettext` imported into each of its modules as `_` and `ngettext`;
`install()` points those names at our catalogue (pipeline/i18n.py), looked up when a message is
shown, so BULLETIN_LANG and the locale decide as for every other message. A click text that is
not in the catalogue stays English.
"""

from __future__ import annotations

import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types

from pipeline.i18n import N_, _

_CLICK_MODULES = (
    click.core,
    click.decorators,
    click.exceptions,
    click.formatting,
    click.parser,
    click.termui,
    click.types,
)

# The click texts a clerk meets when a command line is mistyped, in click's own wording.
USAGE_ERRORS = (
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("Did you mean {possibility}?"),
    N_("(Did you mean one of: {possibilities}?)"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing command."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Got unexpected extra argument ({args})"),
    N_("Got unexpected extra arguments ({args})"),
    N_("Option {name!r} requires an argument."),
    N_("Option {name!r} requires {nargs} arguments."),
    N_("Option {name!r} does not take a value."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value!r} is not one of {choices}."),
    N_("{value} is not in the range {range}."),
    N_("Aborted!"),
)


def click_gettext(message: str) -> str:
    """click's `_`: the text in the user's language; click fills its fields itself."""
    return _(message)


def click_ngettext(singular: str, plural: str, count: int) -> str:
    """click's `ngettext`: the singular or plural text, translated."""
    return _(singular if count == 1 else plural)


def install() -> None:
    """Make click's modules look their messages up in our catalogue."""
    for module in _CLICK_MODULES:
        if hasattr(module, "_"):
            module._ = click_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = click_ngettext  # type: ignore[attr-defined]
