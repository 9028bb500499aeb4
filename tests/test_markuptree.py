"""The template's markup read by expat alone: ElementTree's elements exactly, or None (then
ElementTree reads it) for anything more than plain markup and for malformed markup."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT
from test_jinjalite import every_issue

from pipeline.layout import markuptree
from pipeline.layout.markuptree import Element
from pipeline.layout.templates import TemplateStore, _context, _render_with_jinja2

pytestmark = pytest.mark.usefixtures("cache_folder")  # a cache folder of its own


def shape(element: Element | ET.Element) -> tuple[object, ...]:
    """An element and everything below it as plain data, to compare."""
    return (
        element.tag,
        dict(element.attrib),
        element.text,
        element.tail,
        [shape(child) for child in element],
        len(element),
    )


def assert_as_elementtree(markup: str) -> None:
    mine = markuptree.parse(markup)
    assert mine is not None
    theirs = ET.fromstring(markup)
    assert shape(mine) == shape(theirs)
    for tag in ("p", "tr", "td", "left", "caption", "nothing"):
        assert [shape(e) for e in mine.iter(tag)] == [shape(e) for e in theirs.iter(tag)]
        found, expected = mine.find(tag), theirs.find(tag)
        assert (found is None) == (expected is None)
        assert found is None or expected is None or shape(found) == shape(expected)
    assert mine.get("title") == theirs.get("title")
    assert mine.get("nothing", "x") == theirs.get("nothing", "x") == "x"


@pytest.mark.parametrize("name", ["work-bulletin", "brief-news"])
def test_every_templates_markup_reads_as_elementtree_reads_it(tmp_path: Path, name: str) -> None:
    template = TemplateStore([ROOT / "templates"]).get(name)
    issues = every_issue(tmp_path)
    assert len(issues) >= 8
    for loaded in issues:
        assert_as_elementtree(_render_with_jinja2(template, _context(loaded, 30), None))


PLAIN = {
    "text and tails": "<a>x<b>y</b>z<c/>w<d>v<e>u</e></d>t</a>",
    "entities and character references": "<a k='&lt;&amp;&quot;'>&lt;&#x4E00;&#20108;&gt;</a>",
    "whitespace and line ends": "<a>\r\n  <b k='1\n2\t3'> </b>\n\n</a>\n",
    "a table": "<table><caption>c</caption><tr><td>1</td><td/></tr><tr><td>3</td></tr></table>",
    "nesting": "<p><tr><td><tr>inner</tr></td></tr></p>",
}
ELSEWHERE = {
    "a declaration": "<?xml version='1.0'?><a>x</a>",
    "a comment": "<a>x<!-- c -->y</a>",
    "CDATA": "<a><![CDATA[<x>]]></a>",
    "a doctype": "<!DOCTYPE a [<!ENTITY e 'v'>]><a>&e;</a>",
    "a namespace": "<a xmlns='u'><b/></a>",
    "the xml prefix": "<a xml:lang='zh'/>",
    "malformed": "<a><b></a>",
    "an undefined entity": "<a>&nbsp;</a>",
    "two roots": "<a/><b/>",
    "an unbound prefix": "<p:a/>",
    "nothing": "",
}


@pytest.mark.parametrize("markup", PLAIN.values(), ids=PLAIN.keys())
def test_plain_markup_reads_as_elementtree_reads_it(markup: str) -> None:
    assert_as_elementtree(markup)


@pytest.mark.parametrize("markup", ELSEWHERE.values(), ids=ELSEWHERE.keys())
def test_anything_more_is_left_to_elementtree(markup: str) -> None:
    assert markuptree.parse(markup) is None


def test_parsing_imports_no_elementtree() -> None:
    script = (
        "import sys\n"
        "from pipeline.layout import markuptree\n"
        "print(markuptree.parse('<a>x</a>').text, 'xml.etree' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["x", "False"]
