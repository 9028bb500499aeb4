"""Results kept by the exact bytes of the files they were made from, so never handed back stale.

A kept Builder reads an unchanged issue, series file, address book or style file again on every
rebuild (a few hundred microseconds) but parses and checks it only when its bytes differ from
those it was last made from; the most recent `limit` results are kept.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
Contents = tuple[bytes | None, ...]  # the bytes of each file a result was made from (None: absent)


class KeptByContent(Generic[T]):
    """The last results made from files, each with the bytes of the files it was made from."""

    def __init__(self, limit: int = 8) -> None:
        self.limit = limit
        self._kept: OrderedDict[Hashable, tuple[Contents, T]] = OrderedDict()

    def get(self, name: Hashable, contents: Contents) -> T | None:
        """The result kept under `name` if it was made from exactly these bytes."""
        found = self._kept.get(name)
        if found is None or found[0] != contents:
            return None
        self._kept.move_to_end(name)
        return found[1]

    def put(self, name: Hashable, contents: Contents, result: T) -> None:
        """Keep a result made from these bytes; the oldest beyond `limit` are dropped."""
        self._kept[name] = (contents, result)
        self._kept.move_to_end(name)
        while len(self._kept) > self.limit:
            self._kept.popitem(last=False)
