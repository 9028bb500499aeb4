"""A compiled template rendered with jinja2's runtime alone, without importing the rest of jinja2.

Importing jinja2 for its Environment (lexer, parser, compiler, loaders, bytecode cache) is ~25 ms
of a one-shot build; rendering needs only its runtime (Context, LoopContext, StrictUndefined,
escaping) and its filters. The template's code, compiled by a real Environment with the options
of templates.py, is kept on disk by the digest of the template's bytes; a build runs that code
with the runtime modules imported by themselves (jinja2's package is set up without its
`__init__`, which runs the moment anything else of jinja2 is asked for).

Code that reads nothing more than bulletin's templates do runs first with jinjalite.py's smaller
runtime (jinja2's runtime is then not imported at all). Whatever the fast paths do not have
(another filter or test, a global such as range, an include, an undefined name, any error) makes
`render` answer None, and the caller renders with jinja2 as before, so the markup and every
error message are jinja2's own.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import marshal
import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.files import cache_dir, write_atomically

# Changes when templates.py compiles templates with other options or filters.
OPTIONS = "autoescape strict trim_blocks lstrip_blocks no_trailing_newline join cn_date v1"
_lock = threading.Lock()


def _code_path(source: bytes) -> Path:
    """Where a template's code is kept: by its bytes, jinja2's version and Python's."""
    key = hashlib.sha256(OPTIONS.encode() + b"\0" + _jinja2_identity() + b"\0" + source)
    return cache_dir() / f"templates-code-{sys.implementation.cache_tag}" / key.hexdigest()[:32]


@functools.cache
def _jinja2_identity() -> bytes:
    """jinja2's __init__.py, which holds its __version__ (read, not run: it imports the rest)."""
    spec = importlib.util.find_spec("jinja2")
    if spec is None or spec.origin is None:
        raise OSError("jinja2 is not installed")
    return Path(spec.origin).read_bytes()


def identity() -> bytes:
    """What a template's output depends on besides its bytes and its context: jinja2's version
    and the compile options (OSError if jinja2 is not installed)."""
    return OPTIONS.encode() + b"\0" + _jinja2_identity()


def has_code(source: bytes) -> bool:
    """Whether a template's code is kept already (runnable by `render` or not)."""
    return _code_path(source).is_file()


def keep_code(source: bytes, code: types.CodeType) -> None:
    """Keep a template's compiled code for later builds; a cache that fails is skipped."""
    with contextlib.suppress(OSError, ValueError):
        write_atomically(_code_path(source), marshal.dumps(code))


def render(
    source: bytes, context: dict[str, Any], filters: dict[str, Callable[..., Any]]
) -> str | None:
    """The template's output for `context`, from its kept code; None if jinja2 must render."""
    try:
        code = marshal.loads(_code_path(source).read_bytes())
    except (OSError, ValueError, EOFError, TypeError, ImportError):
        return None
    if not isinstance(code, types.CodeType):
        return None
    from pipeline.layout import jinjalite  # only when a template is rendered

    if jinjalite.runnable(code):
        with contextlib.suppress(Exception):  # what it lacks, jinja2's runtime may have
            return jinjalite.render(code, context, filters)
    try:
        runtime, environment = _runtime(filters)
        namespace: dict[str, Any] = {"environment": environment, "__file__": code.co_filename}
        exec(code, namespace)  # what jinja2's Template.from_code does
        root, blocks, name = namespace["root"], namespace["blocks"], namespace["name"]
        return "".join(root(runtime.new_context(environment, name, blocks, context)))
    except Exception:  # jinja2 renders it, and says what is wrong
        return None


def _runtime(filters: dict[str, Callable[..., Any]]) -> tuple[Any, Any]:
    """jinja2.runtime and an environment with what compiled template code reads from one."""
    with _lock:
        if "jinja2" not in sys.modules:
            _set_up_package()
    import jinja2.filters
    import jinja2.runtime

    environment = _Environment(jinja2.runtime, {"join": jinja2.filters.do_join, **filters})
    return jinja2.runtime, environment


def _set_up_package() -> None:
    """Put jinja2's package into sys.modules without running its __init__ (until it is used)."""
    spec = importlib.util.find_spec("jinja2")
    if spec is None or spec.loader is None:
        raise ImportError("jinja2")
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def finish(name: str) -> Any:
        with _lock:
            if package.__dict__.get("__getattr__") is finish:
                del package.__dict__["__getattr__"]
                loader.exec_module(package)  # the rest of jinja2, as `import jinja2` runs it
        if name in package.__dict__:
            return package.__dict__[name]
        raise AttributeError(f"module 'jinja2' has no attribute {name!r}")

    package.__dict__["__getattr__"] = finish
    sys.modules["jinja2"] = package


class _Environment:
    """The parts of jinja2.Environment that code compiled by templates.py's Environment reads."""

    autoescape = True
    is_async = False
    concat = "".join

    def __init__(self, runtime: Any, filters: dict[str, Callable[..., Any]]) -> None:
        self.context_class = runtime.Context
        self.undefined = runtime.StrictUndefined
        self.filters = filters
        self.tests: dict[str, Callable[..., Any]] = {}
        self.globals: dict[str, Any] = {}

    # jinja2 3.1's Environment.getitem and Environment.getattr, which compiled code calls.
    def getitem(self, obj: Any, argument: Any) -> Any:
        """An item or attribute of an object, preferring the item."""
        try:
            return obj[argument]
        except (AttributeError, TypeError, LookupError):
            if isinstance(argument, str):
                try:
                    attr = str(argument)
                except Exception:
                    pass
                else:
                    try:
                        return getattr(obj, attr)
                    except AttributeError:
                        pass
            return self.undefined(obj=obj, name=argument)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """An attribute or item of an object, preferring the attribute."""
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)
