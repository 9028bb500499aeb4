"""Kept template code run by jinjalite.py: jinja2's markup exactly for every template and issue,
and for anything it lacks, Unsupported (then jinja2 renders, as the template's markup)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import jinja2
import pytest
from conftest import ROOT, SERIES_TOML, issue_toml, write

from pipeline.diagnostics import BulletinError
from pipeline.layout import jinjalite, jinjarun
from pipeline.layout.templates import FILTERS, TEMPLATE_FILE, TemplateStore, _context
from pipeline.source.load import LoadedIssue, load_issue

sys.path.insert(0, str(ROOT / "bench"))
import corpus

pytestmark = pytest.mark.usefixtures("cache_folder")  # a cache folder of its own


def environment() -> jinja2.Environment:
    """An Environment with templates.py's options (Template.environment without its loader)."""
    made = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    made.filters.update(FILTERS)
    return made


def both(source: str, context: dict[str, Any]) -> tuple[str, types.CodeType]:
    """jinja2's markup of a template for a context, and the code it compiles the template to."""
    made = environment()
    code = made.compile(source, TEMPLATE_FILE)
    return made.from_string(source).render(context), code


def every_issue(tmp_path: Path) -> list[LoadedIssue]:
    """The samples, the test cases that load and a bench corpus issue."""
    paths = sorted((ROOT / "issues").glob("*/20*.toml")) + sorted(
        (ROOT / "tests" / "cases").glob("*/20*.toml")
    )
    paths.append(corpus.write_corpus(tmp_path / "issues" / "bench", 2)[0])
    body = "甲 <b>&amp;</b> 'a' \"b\" & < >\n\n一、标题\n\n（一）小标题"
    write(tmp_path / "issues" / "s" / "series.toml", SERIES_TOML)
    paths.append(write(tmp_path / "issues" / "s" / "2024-07.toml", issue_toml(7, body=body)))
    loaded = []
    for path in paths:
        try:
            loaded.append(load_issue(path))
        except BulletinError:
            continue  # a case of a refused issue: nothing is rendered
    return loaded


@pytest.mark.parametrize("name", ["work-bulletin", "brief-news"])
def test_every_template_gives_jinja2s_markup_for_every_issue(tmp_path: Path, name: str) -> None:
    source = (TemplateStore([ROOT / "templates"]).get(name).folder / TEMPLATE_FILE).read_text(
        encoding="utf-8"
    )
    issues = every_issue(tmp_path)
    assert len(issues) >= 8
    for loaded in issues:
        for copies in (None, 30):
            context = _context(loaded, copies)
            theirs, code = both(source, context)
            assert jinjalite.runnable(code)
            assert jinjalite.render(code, context, FILTERS) == theirs


RUNS = {
    "loop counts": (
        "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}"
        "{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}"
        "{{ loop.depth }}{{ loop['index'] }};{% endfor %}"
    ),
    "nested loops and set": (
        "{% set n = 2 %}{% for a in xs %}{% for b in xs if b != a %}{{ a }}{{ b }}"
        "{% set m = n %}{{ m }}{{ loop.first }}{% endfor %}{{ loop.last }}{% endfor %}"
    ),
    "items, attributes, escaping": (
        "{{ d['items'] }}{{ d['k'] }}{{ d.k }}{{ xs[1] }}{{ q }}{{ none }}{{ 1.5 }}{{ 2 + 3 }}"
        "{{ 'a' if q else 'b' }}{{ xs | join('<') }}{{ words | join }}{{ (1, 2)[1] }}"
    ),
}
UNSUPPORTED = {
    "an undefined name": "{{ nothing }}",
    "an undefined attribute": "{{ d.nothing }}",
    "another filter": "{{ q | upper }}",
    "a global": "{% for i in range(2) %}{{ i }}{% endfor %}",
    "a test": "{% if q is defined %}x{% endif %}",
    "the ~ operator": "{{ q ~ 1 }}",
    "another loop attribute": "{% for x in xs %}{{ loop.previtem }}{% endfor %}",
    "a loop's method": "{% for x in xs %}{{ loop.cycle('a', 'b') }}{% endfor %}",
    "a value that is not plain": "{{ xs }}",
    "join of numbers": "{{ numbers | join(',') }}",
    "join by attribute": "{{ people | join(',', attribute='name') }}",
    "a macro": "{% macro m() %}x{% endmacro %}{{ m() }}",
    "a set block": "{% set b %}x{% endset %}{{ b }}",
    "a call": "{{ d.keys() }}",
    "a dict's method (an attribute before the item)": "{{ d.items }}",
    "a block": "{% block b %}x{% endblock %}",
    "an inline if without else": "{{ 'a' if not q }}",
}
CONTEXT = {
    "xs": ["x", "y&", "z"],
    "d": {"k": "<v>", "items": "i"},
    "q": "'\"",
    "none": None,
    "words": ["a", "b"],
    "numbers": [1, 2],
    "people": [{"name": "n"}],
}


@pytest.mark.parametrize("source", RUNS.values(), ids=RUNS.keys())
def test_what_it_runs_is_jinja2s_markup(source: str) -> None:
    theirs, code = both(source, CONTEXT)
    assert jinjalite.runnable(code)
    assert jinjalite.render(code, CONTEXT, FILTERS) == theirs


@pytest.mark.parametrize("source", UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_what_it_lacks_is_left_to_jinja2(source: str) -> None:
    code = environment().compile(source, TEMPLATE_FILE)
    if jinjalite.runnable(code):
        with pytest.raises(jinjalite.Unsupported):
            jinjalite.render(code, CONTEXT, FILTERS)
    try:
        theirs: str | None = environment().from_string(source).render(CONTEXT)
    except jinja2.TemplateError:
        theirs = None  # jinja2's own error
    encoded = source.encode()
    jinjarun.keep_code(encoded, code)
    # jinja2's runtime renders it, or jinjarun answers None and jinja2 itself does
    assert jinjarun.render(encoded, CONTEXT, FILTERS) in (theirs, None)


def test_a_dicts_own_attributes_come_before_its_items() -> None:
    """As jinja2's getattr: d.items is the method, d.k the item (read without the attribute)."""
    context = {"d": {"k": "v", "items": "i", "get": "g"}, "d2": {"__class__": "c"}}
    theirs, code = both("{{ d.k }}{{ d['items'] }}", context)
    assert jinjalite.render(code, context, FILTERS) == theirs == "vi"
    for source in ("{{ d.items }}", "{{ d.missing }}", "{{ d2.__class__ }}"):
        with pytest.raises(jinjalite.Unsupported):
            jinjalite.render(environment().compile(source, TEMPLATE_FILE), context, FILTERS)
