"""Set up by the first import of the package so that a build starts sooner; nothing else changes.

Two import-time costs of a one-shot build are avoided, each behaving exactly as before:

- Generated dataclass methods. `dataclasses` compiles the source of each method it writes
  (`__init__`, `__eq__`, `__hash__`, …) with `exec`, ~0.1 ms each, ~35 ms for the ~70 classes a
  build defines. The compiled code is kept on disk by the exact source text (`DataclassCode`):
  the same text always compiles to the same code, so an entry is never stale; Python's version
  is in the file's name. What a process compiled anew is written once, when it ends.
- PIL in reportlab. `reportlab.lib.utils` imports PIL.Image at its top (~15 ms), though only a
  drawn picture uses it. While that one module runs, `from PIL import Image` gives it a stand-in
  (`PilImageOnFirstUse`) that imports the real PIL.Image when first used, and then puts the real
  module in its place; every other importer of PIL.Image gets the real module as usual.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import marshal
import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.files import cache_dir, write_atomically

CODES_KEPT = 4096  # generated methods kept on disk; beyond, a file keeps what one process used


class DataclassCode:
    """Compiled code of generated dataclass methods by source text; read on first use."""

    def __init__(self) -> None:
        self._codes: dict[str, types.CodeType] | None = None
        self._used: dict[str, types.CodeType] = {}
        self.compiled = 0  # methods this process compiled anew (not found kept)
        self._lock = threading.Lock()

    @staticmethod
    def path() -> Path:
        """The file of this Python's kept code (its bytecode differs between versions)."""
        version = "-".join(str(part) for part in sys.version_info[:3])
        return cache_dir() / f"dataclass-code-{sys.implementation.name}-{version}.marshal"

    def _loaded(self) -> dict[str, types.CodeType]:
        with self._lock:
            if self._codes is None:
                self._codes = {}
                with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
                    kept = marshal.loads(self.path().read_bytes())
                    if isinstance(kept, dict):
                        self._codes = {
                            text: code
                            for text, code in kept.items()
                            if isinstance(text, str) and isinstance(code, types.CodeType)
                        }
            return self._codes

    def code(self, source: str) -> types.CodeType:
        """The code of `source` as `exec(source)` in dataclasses would compile it."""
        codes = self._loaded()
        code = codes.get(source)
        if code is None:
            # dataclasses.py has no __future__ imports: neither may the compiled code inherit ours.
            code = compile(source, "<string>", "exec", dont_inherit=True)
            codes[source] = code
            self.compiled += 1
            if self.compiled == 1:
                atexit.register(self.save)
        self._used[source] = code
        return code

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /, **options: Any) -> None:
        """`exec` as dataclasses calls it, a source text's code taken from the kept ones."""
        if isinstance(source, str) and not options:
            source = self.code(source)
        builtins.exec(source, globals, locals, **options)

    def save(self) -> None:
        """Write the kept code if this process compiled any anew; a failing write is skipped."""
        if not self.compiled or self._codes is None:
            return
        kept = self._codes if len(self._codes) <= CODES_KEPT else self._used
        with contextlib.suppress(OSError, ValueError):
            write_atomically(self.path(), marshal.dumps(kept))
        self.compiled = 0


DATACLASS_CODE = DataclassCode()


class PilImageOnFirstUse(types.ModuleType):
    """Stands for PIL.Image in reportlab.lib.utils until something of it is used."""

    def __getattr__(self, name: str) -> Any:
        import importlib

        real = importlib.import_module("PIL.Image")  # under the import lock: one real module
        utils = sys.modules.get("reportlab.lib.utils")
        if utils is not None and vars(utils).get("Image") is self:
            setattr(utils, "Image", real)  # noqa: B010 (a module mypy does not know)
        return getattr(real, name)


class _WithPilStandIn:
    """The loader of reportlab.lib.utils, running it with the stand-in as PIL.Image."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> types.ModuleType | None:
        """The loader's own module object."""
        module: types.ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Run reportlab.lib.utils; PIL.Image is real afterwards only if something imported it."""
        try:
            import PIL
        except ImportError:  # reportlab's own import says what is missing
            self._loader.exec_module(module)
            return
        if "PIL.Image" in sys.modules or "Image" in vars(PIL):
            self._loader.exec_module(module)
            return
        stand_in = PilImageOnFirstUse("PIL.Image")
        setattr(PIL, "Image", stand_in)  # noqa: B010 (PIL's stubs know no such attribute)
        try:
            self._loader.exec_module(module)
        finally:
            if vars(PIL).get("Image") is stand_in:
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
            spec.loader = _WithPilStandIn(spec.loader)
        return spec


def install() -> None:
    """Install both (once; the PIL stand-in only while reportlab.lib.utils is not imported)."""
    import dataclasses

    if vars(dataclasses).get("exec") is None:
        dataclasses.exec = DATACLASS_CODE.exec  # type: ignore[attr-defined]
    if "reportlab.lib.utils" not in sys.modules and ReportlabFinder not in sys.meta_path:
        sys.meta_path.insert(0, ReportlabFinder)
