"""The schema checker: exact TOML types, every problem at once, each at its key's path."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from pipeline.source.schema import (
    PositiveInt,
    Problem,
    SchemaError,
    check,
    description,
    doc,
    fields_of,
    schema_at,
)


@dataclass(frozen=True, kw_only=True)
class Item:
    name: str = field(metadata=doc("the item's name"))
    count: PositiveInt = 1


@dataclass(frozen=True, kw_only=True)
class Doc:
    title: str
    day: datetime.date | None = None
    flag: bool = False
    size_pt: float = 1.0
    copies: PositiveInt | Literal["auto"] | None = None
    align: Literal["left", "right"] = "left"
    rgb: tuple[float, float, float] | None = None
    items: list[Item] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)


def problems(data: Any) -> list[Problem]:
    with pytest.raises(SchemaError) as caught:
        check(data, Doc)
    return caught.value.problems


def test_a_valid_document_keeps_its_values() -> None:
    day = datetime.date(2024, 7, 24)
    checked = check(
        {
            "title": "简报",
            "day": day,
            "flag": True,
            "size_pt": 16,
            "copies": "auto",
            "align": "right",
            "rgb": [1, 0.5, 0],
            "items": [{"name": "甲", "count": 3}],
            "groups": {"市州": ["甲", "乙"]},
        },
        Doc,
    )
    assert checked == Doc(
        title="简报",
        day=day,
        flag=True,
        size_pt=16.0,
        copies="auto",
        align="right",
        rgb=(1.0, 0.5, 0.0),
        items=[Item(name="甲", count=3)],
        groups={"市州": ["甲", "乙"]},
    )
    assert type(checked.size_pt) is float


@pytest.mark.parametrize(
    ("key", "value", "kind"),
    [
        ("title", 5, "string_type"),
        ("day", "2024-07-24", "date_type"),
        ("day", datetime.datetime(2024, 7, 24, 10), "date_type"),
        ("flag", 1, "bool_type"),
        ("size_pt", "16", "float_type"),
        ("size_pt", True, "float_type"),
        ("items", "甲", "list_type"),
        ("groups", ["甲"], "dict_type"),
    ],
)
def test_values_keep_their_toml_types(key: str, value: object, kind: str) -> None:
    assert problems({"title": "x", key: value}) == [Problem((key,), kind)]


@pytest.mark.parametrize(
    ("value", "kind"),
    [("3", "int_type"), (True, "int_type"), (2.0, "int_type"), (0, "greater_than")],
)
def test_a_positive_whole_number(value: object, kind: str) -> None:
    assert problems({"title": "x", "items": [{"name": "a", "count": value}]}) == [
        Problem(("items", 0, "count"), kind)
    ]


def test_literals_unions_and_tuples_say_what_they_take() -> None:
    assert problems({"title": "x", "align": "centre"}) == [
        Problem(("align",), "value_error", 'one of "left", "right"')
    ]
    assert problems({"title": "x", "copies": 0}) == [
        Problem(("copies",), "value_error", 'a positive whole number, or "auto"')
    ]
    assert problems({"title": "x", "rgb": [1, 0]}) == [
        Problem(("rgb",), "value_error", "a list of 3 numbers")
    ]


def test_every_problem_at_once_with_its_path() -> None:
    found = problems(
        {"titel": "x", "items": [{"name": "a"}, {"count": 2, "nmae": "b"}, "c"], "flag": "yes"}
    )
    assert found == [
        Problem(("title",), "missing"),
        Problem(("flag",), "bool_type"),
        Problem(("items", 1, "name"), "missing"),
        Problem(("items", 1, "nmae"), "extra_forbidden"),
        Problem(("items", 2), "model_type"),
        Problem(("titel",), "extra_forbidden"),
    ]


def test_a_document_that_is_not_a_table() -> None:
    assert problems(["x"]) == [Problem((), "model_type")]


def test_schemas_are_found_by_path_with_their_descriptions() -> None:
    assert schema_at(Doc, ("items", 3)) is Item
    assert schema_at(Doc, ("groups", "市州")) is None
    assert schema_at(Doc, ("nothing",)) is None
    assert list(fields_of(Item)) == ["name", "count"]
    assert fields_of(None) == {}
    assert description(Item, "name") == "the item's name"
    assert description(Item, "count") is None
