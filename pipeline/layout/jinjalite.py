"""A runtime of our own for kept template code that needs only what bulletin's templates use.

Importing jinja2's runtime (with its nodes, utils, filters and markupsafe) is ~45M instructions
of a one-shot build after an edit; the code jinja2 compiles from a plain template reads little of
it: a context, loops, StrictUndefined, escaping and the `join` filter. `runnable` admits code
whose every name is one of those (no macros, includes, tests, calls, `~`, blocks or Markup), and
`render` runs it with the small versions below, each giving what jinja2's gives for what it
accepts. Whatever they do not accept (an undefined value, another filter, a value that is not a
plain str or number, a loop attribute other than the counts) raises `Unsupported`, and the caller
renders with jinja2, whose output and errors are then the template's.
"""

from __future__ import annotations

import builtins
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

# What the module jinja2 compiles imports from jinja2.runtime (jinja2 3.x) and defines.
MODULE_NAMES = frozenset(
    (
        "jinja2.runtime",
        "LoopContext",
        "Macro",
        "Markup",
        "Namespace",
        "TemplateNotFound",
        "TemplateReference",
        "TemplateRuntimeError",
        "Undefined",
        "escape",
        "identity",
        "internalcode",
        "markup_join",
        "missing",
        "str_join",
        "name",
        "root",
        "blocks",
        "debug_info",
        "environment",
    )
)
# The names the template's functions may read: the ones below have versions here.
FUNCTION_NAMES = frozenset(
    (
        "KeyError",
        "LoopContext",
        "TemplateRuntimeError",
        "Undefined",
        "add",
        "concat",
        "escape",
        "eval_ctx",
        "exported_vars",
        "filters",
        "getattr",
        "getitem",
        "internalcode",
        "resolve_or_missing",
        "undefined",
        "vars",
    )
)
PLAIN = (str, int, float, bool, type(None))  # values escaped here (others may have __html__)
LOOP_COUNTS = frozenset(
    ("index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0")
)


class Unsupported(Exception):
    """Something only jinja2 itself renders (or reports)."""


def _unsupported(*args: Any, **kwargs: Any) -> Any:
    raise Unsupported


def runnable(code: types.CodeType) -> bool:
    """Whether a template's compiled module reads nothing this runtime lacks."""
    if not set(code.co_names) <= MODULE_NAMES:
        return False
    stack = [k for k in code.co_consts if isinstance(k, types.CodeType)]
    while stack:
        inner = stack.pop()
        if not set(inner.co_names) <= FUNCTION_NAMES:
            return False
        stack += [k for k in inner.co_consts if isinstance(k, types.CodeType)]
    return True


def render(
    code: types.CodeType, context: dict[str, Any], filters: Mapping[str, Callable[..., Any]]
) -> str:
    """The output of runnable template code for a context (Unsupported: jinja2 must render)."""
    environment = _Environment({"join": _join, **filters})
    runtime = types.SimpleNamespace(
        LoopContext=LoopContext,
        TemplateRuntimeError=Unsupported,
        Undefined=_unsupported,
        escape=escape,
        internalcode=_identity,
        missing=_MISSING,
        **{n: _unsupported for n in _PLACEHOLDERS},
    )

    def import_runtime(name: str, *args: Any, **kwargs: Any) -> Any:
        if name != "jinja2.runtime":
            raise Unsupported
        return runtime

    namespace: dict[str, Any] = {
        "__builtins__": {**vars(builtins), "__import__": import_runtime},
        "environment": environment,
        "__file__": code.co_filename,
    }
    exec(code, namespace)
    if namespace.get("blocks") != {}:
        raise Unsupported
    return "".join(namespace["root"](_Context(context)))


_PLACEHOLDERS = (
    "Macro",
    "Markup",
    "Namespace",
    "TemplateNotFound",
    "TemplateReference",
    "identity",
    "markup_join",
    "str_join",
)


class _Missing:
    """jinja2's `missing`: a name the context does not have."""


_MISSING = _Missing()


def _identity(function: Any) -> Any:
    return function


def escape(value: object) -> str:
    """markupsafe.escape's text for a plain str or number (a str, not a Markup)."""
    if type(value) not in PLAIN:
        raise Unsupported  # it may have its own __html__
    text = value if type(value) is str else str(value)
    return (
        text.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


def _join(eval_ctx: object, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    """jinja2's `join` filter with autoescape on, for plain strings joined by a plain string."""
    items = list(value)
    if attribute is not None or type(d) is not str or any(type(i) is not str for i in items):
        raise Unsupported
    return d.join(items)


class _EvalContext:
    """What `join` is given (jinja2's EvalContext with autoescape on)."""

    autoescape = True
    volatile = False


class _Context:
    """jinja2's Context as compiled code reads it: the template's own variables, then the
    values it was given (no globals: jinja2 renders a template that uses range or dict)."""

    def __init__(self, parent: dict[str, Any]) -> None:
        self.parent = parent
        self.vars: dict[str, Any] = {}
        self.exported_vars: set[str] = set()
        self.eval_ctx = _EvalContext()

    def resolve_or_missing(self, key: str) -> Any:
        """A variable's value, or `missing`."""
        if key in self.vars:
            return self.vars[key]
        if key in self.parent:
            return self.parent[key]
        return _MISSING


class LoopContext:
    """jinja2's LoopContext for a plain loop: iterated as (item, loop), with its counts."""

    def __init__(
        self, iterable: Iterable[Any], undefined: Any, recurse: Any = None, depth0: int = 0
    ) -> None:
        if recurse is not None or depth0 != 0:
            raise Unsupported  # a recursive loop
        self._items = list(iterable)
        self._index0 = -1

    def __iter__(self) -> Iterator[tuple[Any, LoopContext]]:
        for index0, item in enumerate(self._items):
            self._index0 = index0
            yield item, self

    def count(self, name: str) -> int | bool:
        """One of loop.index, first, length… as jinja2 gives it."""
        index0, length = self._index0, len(self._items)
        counts = {
            "index0": index0,
            "index": index0 + 1,
            "revindex0": length - index0 - 1,
            "revindex": length - index0,
            "first": index0 == 0,
            "last": index0 == length - 1,
            "length": length,
            "depth0": 0,
            "depth": 1,
        }
        if name not in counts:
            raise Unsupported  # previtem, cycle, changed…: jinja2's
        return counts[name]


_DICT_ATTRIBUTES = frozenset(dir(dict))  # every attribute a plain dict has (none of its own)


class _Environment:
    """What compiled code reads from a jinja2 Environment (autoescape, StrictUndefined)."""

    def __init__(self, filters: dict[str, Callable[..., Any]]) -> None:
        self.filters = filters
        self.undefined = _unsupported  # StrictUndefined: jinja2 says what is wrong
        self.concat = "".join

    # jinja2 3.1's Environment.getitem and getattr; a missing value is jinja2's to report.
    def getitem(self, obj: Any, argument: Any) -> Any:
        """An item or attribute of an object, preferring the item."""
        if type(obj) is LoopContext:
            return obj.count(argument) if isinstance(argument, str) else _unsupported()
        try:
            return obj[argument]
        except (AttributeError, TypeError, LookupError):
            if isinstance(argument, str):
                try:
                    return getattr(obj, str(argument))
                except AttributeError:
                    pass
            raise Unsupported from None

    def getattr(self, obj: Any, attribute: str) -> Any:
        """An attribute or item of an object, preferring the attribute."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            # What getattr would find on a plain dict is its type's: not raising and catching
            # its AttributeError halves a render (most values are the context's dicts).
            try:
                return obj[attribute]
            except KeyError:
                raise Unsupported from None
        if type(obj) is LoopContext:
            return obj.count(attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            raise Unsupported from None
