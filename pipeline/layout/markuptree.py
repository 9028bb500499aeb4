"""The template's XML output read into elements by expat alone, without importing xml.etree.

xml.etree.ElementTree costs ~12M instructions to import, more than parsing a document with it;
a build after an edit parses the template's output once. expat (which ElementTree's parser
runs too, with the same settings) reads the plain markup our templates make here into elements
with ElementTree's tag, attributes, text and tail. Markup with anything more (a declaration, a
comment, CDATA, a doctype, a namespace) or that expat refuses gives None, and the caller parses
it with ElementTree, so its elements and its error messages are ElementTree's own.
"""

from __future__ import annotations

import pyexpat
from collections.abc import Iterator
from typing import overload

_ELSEWHERE = ("<!", "<?", "xmlns", "xml:")  # what ElementTree alone reads here (namespaces…)


class Element:
    """The part of xml.etree.ElementTree.Element that templates.py reads."""

    __slots__ = ("_children", "attrib", "tag", "tail", "text")

    def __init__(self, tag: str, attrib: dict[str, str]) -> None:
        self.tag = tag
        self.attrib = attrib
        self.text: str | None = None
        self.tail: str | None = None
        self._children: list[Element] = []

    def __iter__(self) -> Iterator[Element]:
        return iter(self._children)

    def __len__(self) -> int:
        return len(self._children)

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    def get(self, key: str, default: str | None = None) -> str | None:
        """An attribute's value, or the default."""
        return self.attrib.get(key, default)

    def find(self, tag: str) -> Element | None:
        """The first child with this tag (ElementTree's find of a plain tag name)."""
        return next((child for child in self._children if child.tag == tag), None)

    def iter(self, tag: str) -> Iterator[Element]:
        """This element and those below it with this tag, in document order."""
        if self.tag == tag:
            yield self
        for child in self._children:
            yield from child.iter(tag)


def parse(markup: str) -> Element | None:
    """The root element of the markup; None if ElementTree must read it."""
    if any(part in markup for part in _ELSEWHERE):
        return None
    parser = pyexpat.ParserCreate(None, "}")  # as ElementTree's XMLParser creates it
    stack: list[Element] = []
    roots: list[Element] = []
    data: list[str] = []
    # As ElementTree's TreeBuilder: text after a start tag is that element's text, after an end
    # tag the ended element's tail.
    target: list[tuple[Element, bool] | None] = [None]  # (element, its text, not its tail)

    def flush() -> None:
        if data and target[0] is not None:
            element, is_text = target[0]
            if is_text:
                element.text = "".join(data)
            else:
                element.tail = "".join(data)
        data.clear()

    def start(tag: str, attrib: dict[str, str]) -> None:
        flush()
        element = Element(tag, attrib)
        (stack[-1]._children if stack else roots).append(element)
        stack.append(element)
        target[0] = (element, True)

    def end(tag: str) -> None:
        flush()
        target[0] = (stack.pop(), False)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data.append
    try:
        parser.Parse(markup, True)
    except pyexpat.ExpatError:
        return None
    flush()
    return roots[0] if len(roots) == 1 else None
