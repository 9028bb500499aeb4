"""Set up by the first import of the package so that a build starts sooner; nothing else changes.

Five import-time costs of a one-shot build are avoided, each behaving exactly as before:

- Generated dataclass methods. `dataclasses` compiles the source of each method it writes
  (`__init__`, `__eq__`, `__hash__`, …) with `exec`, ~0.1 ms each, ~35 ms for the ~70 classes a
  build defines; namedtuple `eval`s a `__new__` the same way. The compiled code is kept on
  disk by the exact source text (`DataclassCode`): the same text always compiles to the same
  code, so an entry is never stale; Python's version is in the file's name. What a process
  compiled anew is written once, when it ends.
- Compiled regular expressions. The package and the libraries it imports compile ~70
  patterns (~18 ms). What `re` compiles a pattern into (the regex engine's code, its flags and
  groups) is kept on disk by the pattern and its flags (`RegexCode`, in place of
  `re._compiler.compile`); the same pattern always compiles to the same code, and the engine's
  version is in the file's name. A bad pattern is compiled by `re` itself and raises as before.
- PIL in reportlab. `reportlab.lib.utils` imports PIL.Image at its top (~15 ms), though only a
  drawn picture uses it. While that one module runs, `from PIL import Image` gives it a stand-in
  (`ModuleOnFirstUse`) that imports the real PIL.Image when first used, and then puts the real
  module in its place; every other importer of PIL.Image gets the real module as usual.
- Modules imported but seldom used. `dataclasses` imports `inspect` (~16M instructions with
  `ast`, `dis` and `tokenize`) for classes without a docstring, and reportlab's
  `rltempfile` imports `tempfile` (with `shutil`, `random`, `bz2`, `lzma`) for its test helpers.
  While each of those two modules runs, the import is given the same kind of stand-in.
- reportlab's safe eval. `reportlab.lib.utils` imports `reportlab.lib.rl_safe_eval` (~50M
  instructions, among them two regexes joined from sets, so different in every process and never
  found kept), though a build calls none of it. A stand-in (`SafeEvalOnFirstUse`) takes its place
  until one of its four functions is called or anything else of it is asked for; then the real
  module is imported and put in its place.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # the regex engine: no stubs
import atexit
import builtins
import collections
import contextlib
import marshal
import re
import sys
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pipeline.files import cache_dir, write_atomically

CODES_KEPT = 4096  # entries kept on disk by each kind; beyond, a file keeps what one process used


class _KeptCode:
    """Compiled code kept on disk by what it was compiled from; read on first use, written once
    when the process ends (or by `save_kept`) if it compiled anything anew."""

    KIND = ""

    def __init__(self) -> None:
        self._codes: dict[Any, Any] | None = None
        self._used: dict[Any, Any] = {}
        self.compiled = 0  # entries this process compiled anew (not found kept)
        self._lock = threading.Lock()

    @classmethod
    def path(cls) -> Path:
        """The file of this Python's kept code (its bytecode differs between versions)."""
        version = "-".join(str(part) for part in sys.version_info[:3])
        return cache_dir() / f"{cls.KIND}-{sys.implementation.name}-{version}.marshal"

    def _valid(self, key: Any, value: Any) -> bool:
        raise NotImplementedError

    def _loaded(self) -> dict[Any, Any]:
        with self._lock:
            if self._codes is None:
                self._codes = {}
                with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
                    kept = marshal.loads(self.path().read_bytes())
                    if isinstance(kept, dict):
                        self._codes = {k: v for k, v in kept.items() if self._valid(k, v)}
            return self._codes

    def _found(self, key: Any) -> Any:
        """The kept entry of `key` (None if there is none), marked as used by this process."""
        value = self._loaded().get(key)
        if value is not None:
            self._used[key] = value
        return value

    def _keep(self, key: Any, value: Any) -> None:
        """Keep a newly compiled entry, to be written when the process ends."""
        self._loaded()[key] = value
        self._used[key] = value
        self.compiled += 1
        if self.compiled == 1:
            atexit.register(self.save)

    def save(self) -> None:
        """Write the kept code if this process compiled any anew; a failing write is skipped."""
        if not self.compiled or self._codes is None:
            return
        kept = self._codes if len(self._codes) <= CODES_KEPT else self._used
        with contextlib.suppress(OSError, ValueError):
            write_atomically(self.path(), marshal.dumps(kept))
        self.compiled = 0


class DataclassCode(_KeptCode):
    """Compiled code of generated dataclass methods (and namedtuples' `__new__`) by source."""

    KIND = "dataclass-code"

    def _valid(self, key: Any, value: Any) -> bool:
        if isinstance(key, tuple):  # an expression: ("eval", source)
            key = key[1] if len(key) == 2 and key[0] == "eval" else None
        return isinstance(key, str) and isinstance(value, types.CodeType)

    def code(self, source: str, mode: str = "exec") -> types.CodeType:
        """The code of `source` as `exec(source)` in dataclasses (or `eval(source)` in
        collections) would compile it."""
        key = source if mode == "exec" else (mode, source)
        code: types.CodeType | None = self._found(key)
        if code is None:
            # Neither dataclasses.py nor collections has __future__ imports: nor may the code.
            code = compile(source, "<string>", mode, dont_inherit=True)
            self._keep(key, code)
        return code

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /, **options: Any) -> None:
        """`exec` as dataclasses calls it, a source text's code taken from the kept ones."""
        if isinstance(source, str) and not options:
            source = self.code(source)
        builtins.exec(source, globals, locals, **options)

    def eval(self, source: Any, globals: Any = None, locals: Any = None, /) -> Any:
        """`eval` as collections.namedtuple calls it, the expression's code kept."""
        if isinstance(source, str):
            source = self.code(source, "eval")
        return builtins.eval(source, globals, locals)


_REAL_COMPILE = re._compiler.compile  # type: ignore[attr-defined]


class RegexCode(_KeptCode):
    """What `re` compiles a pattern into for the regex engine, by the pattern and its flags."""

    KIND = f"regex-code-{_sre.MAGIC}"

    def _valid(self, key: Any, value: Any) -> bool:
        return (
            isinstance(key, tuple)
            and len(key) == 2
            and isinstance(key[0], str | bytes)
            and isinstance(value, tuple)
            and len(value) == 5
        )

    def compile(self, pattern: Any, flags: Any = 0) -> Any:
        """`re._compiler.compile`: the engine's code of a pattern from the kept ones, else
        compiled by `re` itself (which also raises its own errors for a bad pattern)."""
        if not isinstance(pattern, str | bytes) or flags & re.DEBUG:
            return _REAL_COMPILE(pattern, flags)
        key = (pattern, int(flags))
        kept = self._found(key)
        if kept is not None:
            all_flags, code, groups, groupindex, indexgroup = kept
            with contextlib.suppress(Exception):  # a damaged entry: compiled anew
                return _sre.compile(pattern, all_flags, code, groups, groupindex, indexgroup)
        compiled = _REAL_COMPILE(pattern, flags)
        parsed = re._parser.parse(pattern, flags)  # type: ignore[attr-defined]
        # Opcodes are int subclasses, which marshal cannot write.
        code = [int(c) for c in re._compiler._code(parsed, flags)]  # type: ignore[attr-defined]
        self._keep(
            key,
            (compiled.flags, code, compiled.groups, dict(compiled.groupindex), _index(compiled)),
        )
        return compiled


def _index(compiled: re.Pattern[Any]) -> tuple[str | None, ...]:
    """The group names by group number (None for a group without a name), as `re` passes."""
    names: list[str | None] = [None] * (compiled.groups + 1)
    for name, number in compiled.groupindex.items():
        names[number] = name
    return tuple(names)


DATACLASS_CODE = DataclassCode()
REGEX_CODE = RegexCode()


def save_kept() -> None:
    """Write what this process compiled anew now (for a process that ends without atexit)."""
    DATACLASS_CODE.save()
    REGEX_CODE.save()


class ModuleOnFirstUse(types.ModuleType):
    """Stands for a module in one importer's globals (as `bound_as`, by default the module's
    name) until something of it is used; then the real module is imported and bound there in
    its place."""

    def __init__(self, name: str, importer: str, bound_as: str = "") -> None:
        super().__init__(name)
        self._importer = importer
        self._bound_as = bound_as or name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):  # the import system's questions
            raise AttributeError(name)
        import importlib

        real = importlib.import_module(self.__name__)  # under the import lock: one real module
        importer = sys.modules.get(self._importer)
        if importer is not None and vars(importer).get(self._bound_as) is self:
            setattr(importer, self._bound_as, real)
        return getattr(real, name)


@contextlib.contextmanager
def imports_on_first_use(name: str, importer: str) -> Iterator[None]:
    """While the body runs `importer`, `import name` gives it a ModuleOnFirstUse (unless the
    module is imported already)."""
    if name in sys.modules:
        yield
        return
    stand_in = ModuleOnFirstUse(name, importer)
    sys.modules[name] = stand_in
    try:
        yield
    finally:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]


SAFE_EVAL = "reportlab.lib.rl_safe_eval"
SAFE_EVAL_CALLS = ("rl_safe_exec", "rl_safe_eval", "safer_globals", "rl_extended_literal_eval")


class SafeEvalOnFirstUse(types.ModuleType):
    """Stands for reportlab.lib.rl_safe_eval, which reportlab.lib.utils imports, until something
    of it is used: the four functions utils takes from it import the real module when called."""

    def __init__(self) -> None:
        super().__init__(SAFE_EVAL)
        self._real: types.ModuleType | None = None
        self._lock = threading.Lock()
        for name in SAFE_EVAL_CALLS:
            setattr(self, name, self._calling(name))

    def _calling(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(self.real(), name)(*args, **kwargs)

        call.__name__ = call.__qualname__ = name
        return call

    def real(self) -> types.ModuleType:
        """The real module, imported now if it is not yet (and put in this one's place)."""
        with self._lock:
            if self._real is None:
                import importlib

                if sys.modules.get(SAFE_EVAL) is self:
                    del sys.modules[SAFE_EVAL]
                self._real = importlib.import_module(SAFE_EVAL)
                package = sys.modules.get("reportlab.lib")
                if package is not None and vars(package).get("rl_safe_eval") is self:
                    setattr(package, "rl_safe_eval", self._real)  # noqa: B010
            return self._real

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):  # the import system's questions
            raise AttributeError(name)
        return getattr(self.real(), name)


class _WithStandIns:
    """The loader of reportlab.lib.utils, running it with the stand-ins as PIL.Image, as
    reportlab.lib.rl_safe_eval and as the tempfile of reportlab.lib.rltempfile."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> types.ModuleType | None:
        """The loader's own module object."""
        module: types.ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Run reportlab.lib.utils; PIL.Image is real afterwards only if something imported it,
        rl_safe_eval and rltempfile's tempfile only when something of them is used."""
        with imports_on_first_use("tempfile", "reportlab.lib.rltempfile"):
            self._exec_module(module)

    def _exec_module(self, module: types.ModuleType) -> None:
        if SAFE_EVAL not in sys.modules:
            stand_in = SafeEvalOnFirstUse()
            sys.modules[SAFE_EVAL] = stand_in
            package = sys.modules.get("reportlab.lib")
            if package is not None:
                setattr(package, "rl_safe_eval", stand_in)  # noqa: B010
        try:
            import PIL
        except ImportError:  # reportlab's own import says what is missing
            self._loader.exec_module(module)
            return
        if "PIL.Image" in sys.modules or "Image" in vars(PIL):
            self._loader.exec_module(module)
            return
        image = ModuleOnFirstUse("PIL.Image", "reportlab.lib.utils", bound_as="Image")
        setattr(PIL, "Image", image)  # noqa: B010 (PIL's stubs know no such attribute)
        try:
            self._loader.exec_module(module)
        finally:
            if vars(PIL).get("Image") is image:
                delattr(PIL, "Image")

    def __getattr__(self, name: str) -> Any:
        if name == "_loader":  # not set yet (a copy): no endless lookup
            raise AttributeError(name)
        return getattr(self._loader, name)  # get_source, get_data, is_package, …


class ReportlabFinder:
    """Finds reportlab.lib.utils as the other finders do, and gives it the stand-in loader."""

    @classmethod
    def find_spec(cls, fullname: str, path: Any = None, target: Any = None) -> Any:
        """reportlab.lib.utils's spec with its loader wrapped (once); None for any other module."""
        if fullname != "reportlab.lib.utils":
            return None
        for finder in [finder for finder in sys.meta_path if finder is not cls]:
            find: Callable[..., Any] | None = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                break
        else:
            return None
        # The import system's loop over sys.meta_path ends with this spec: removing is safe.
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(cls)
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _WithStandIns(spec.loader)
        return spec


def install() -> None:
    """Install all of them (once; the stand-ins only where their importer is not imported yet)."""
    with imports_on_first_use("inspect", "dataclasses"):
        import dataclasses

    if vars(dataclasses).get("exec") is None:
        dataclasses.exec = DATACLASS_CODE.exec  # type: ignore[attr-defined]
    if vars(collections).get("eval") is None:
        collections.eval = DATACLASS_CODE.eval  # type: ignore[attr-defined]
    if re._compiler.compile is _REAL_COMPILE:  # type: ignore[attr-defined]
        re._compiler.compile = REGEX_CODE.compile  # type: ignore[attr-defined]
    if "reportlab.lib.utils" not in sys.modules and ReportlabFinder not in sys.meta_path:
        sys.meta_path.insert(0, ReportlabFinder)
